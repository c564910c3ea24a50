"""Profiles of the hot paths behind the figures, to see what limits a missed target.

    python -m bench.profiles stream anthropic   # Anthropic.stream reading 10,000 deltas
    python -m bench.profiles agent openai       # Agent.stream, every thread
    python -m bench.profiles import             # what `import tkach_sync` adds to its floor

Streams are sampled with py-spy (every thread, so the agent's producer shows
too) and reported as microseconds per event, self time, by function and by
library. Without py-spy, cProfile profiles the main thread only. The import
profile sums ``-X importtime`` self times over seven fresh interpreters.
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .clients import agent_stream, provider_stream
from .server import ROOT, TranscriptServer
from .transcripts import Protocol

SECONDS = 6.0
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("stream", "agent", "import", "_workload"):
        print(__doc__)
        return 2
    if argv[0] == "import":
        return _imports()
    if argv[0] == "_workload":  # _workload <kind> <protocol> [cProfile output]
        stats_out = Path(argv[3]) if len(argv) > 3 else None
        return _workload(argv[1], _protocol(argv[2]), stats_out)
    return _sampled(argv[0], _protocol(argv[1] if len(argv) > 1 else "anthropic"))


def _protocol(name: str) -> Protocol:
    return "openai" if name == "openai" else "anthropic"


def _workload(kind: str, protocol: Protocol, stats_out: Path | None) -> int:
    """Read the 10k-delta route for ``SECONDS``; print microseconds per event."""
    route = "a-text-10k" if protocol == "anthropic" else "o-text-10k"
    make = agent_stream if kind == "agent" else provider_stream
    with TranscriptServer() as server:
        events = server.meta(route).events
        client = make(server.url(route), protocol)
        client.read()
        profiler = cProfile.Profile() if stats_out else None
        if profiler:
            profiler.enable()
        reads, start = 0, time.perf_counter()
        while time.perf_counter() - start < SECONDS:
            client.read()
            reads += 1
        elapsed = time.perf_counter() - start
        if profiler is not None and stats_out is not None:
            profiler.disable()
            profiler.dump_stats(stats_out)
        client.close()
    print(f"us/event={elapsed / reads / events * 1e6:.3f}")
    return 0


def _sampled(kind: str, protocol: Protocol) -> int:
    workload = [sys.executable, "-m", "bench.profiles", "_workload", kind, protocol]
    spy = shutil.which("py-spy") or _beside_python("py-spy")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp, "profile.txt")
        if spy is None:
            print("py-spy not found: cProfile of the main thread only", file=sys.stderr)
            plain = subprocess.run([*workload, str(raw)], cwd=ROOT, check=False)
            pstats.Stats(str(raw)).sort_stats("tottime").print_stats(25)
            return plain.returncode
        command = [spy, "record", "-r", "1000", "--threads", "--format", "raw", "-o", str(raw)]
        done = subprocess.run(
            [*command, "--", *workload], cwd=ROOT, capture_output=True, text=True, check=True
        )
        found = re.search(r"us/event=([\d.]+)", done.stdout)
        if found is None:
            raise RuntimeError(f"the workload said nothing: {done.stdout!r}")
        micros = float(found[1])
        print(f"{kind} {protocol}: {micros:.2f} us/event under py-spy\n")
        _report(raw.read_text(), micros)
    return 0


def _beside_python(name: str) -> str | None:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else None


def _report(collapsed: str, micros: float) -> None:
    """Self time per library and per function, as wall microseconds per event, per thread.

    Samples where a thread waits (a lock, a queue, a socket) count too: they
    are wall time the thread spends per event. Each thread's samples cover the
    whole run, so each thread is scaled to the measured microseconds per event.
    """
    threads: dict[str, tuple[collections.Counter[str], collections.Counter[str]]] = {}
    for line in collapsed.splitlines():
        stack, _, number = line.rpartition(" ")
        count = int(number)
        frames = stack.split(";")
        if not any(
            "read (bench/clients.py" in f or "(tkach_sync/streaming.py" in f for f in frames
        ):
            continue  # start-up, not the measured loop
        thread = frames[0].split(": ", 1)[-1]
        functions, libraries = threads.setdefault(
            thread, (collections.Counter(), collections.Counter())
        )
        match = _FRAME.match(frames[-1])
        function, file = (match["function"], match["file"]) if match else (frames[-1], "?")
        functions[f"{function} ({file})"] += count
        libraries[_library(file)] += count
    if not threads:
        print("no samples in the measured loop")
    for thread, (functions, libraries) in threads.items():
        total = sum(functions.values())
        print(f"thread {thread}, by library (self time, us/event):")
        for name, samples in libraries.most_common(8):
            print(f"  {samples / total * micros:7.3f}  {name}")
        print(f"thread {thread}, by function (self time, us/event):")
        for name, samples in functions.most_common(15):
            print(f"  {samples / total * micros:7.3f}  {name}")
        print()


def _library(file: str) -> str:
    for name in ("tkach_sync", "sseclient", "urllib3", "requests", "threading", "queue"):
        if f"{name}/" in file or file.endswith(f"{name}.py"):
            return name
    return "json" if "json/" in file else file


def _imports(rounds: int = 7) -> int:
    program = (
        "import requests, sseclient, sys; from pydantic import BaseModel; "
        "print('MARK', file=sys.stderr); import tkach_sync"
    )
    runs: list[dict[str, int]] = []
    for _ in range(rounds):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", program],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        runs.append(_self_times(err.split("MARK\n", 1)[1]))
    names = set().union(*runs)
    median = {name: statistics.median(run.get(name, 0) for run in runs) for name in names}
    total = statistics.median(sum(run.values()) for run in runs)
    print(
        f"import tkach_sync after its floor: {total / 1000:.1f} ms of self time (-X importtime)\n"
    )
    groups: collections.Counter[str] = collections.Counter()
    for name, micros in median.items():
        parts = name.split(".")
        groups[".".join(parts[:2]) if parts[0] == "tkach_sync" else parts[0]] += int(micros)
    print("by package (ms):")
    for name, micros in groups.most_common(15):
        print(f"  {micros / 1000:6.1f}  {name}")
    print("\nby module (ms):")
    for name, micros in sorted(median.items(), key=lambda item: -item[1])[:20]:
        print(f"  {micros / 1000:6.1f}  {name}")
    return 0


def _self_times(importtime: str) -> dict[str, int]:
    times = {}
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        times[name.strip()] = int(self_us)
    return times


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
