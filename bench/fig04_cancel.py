"""Figure 4: how long a cancel takes to end a stream, a bash command, an approval wait.

Latency runs from the ``cancel()`` call, made in another thread at a random
moment between two events, to the moment the consumer's iteration ends (for
bash: until every process of the command's group is dead). p50 and p99 are
nearest-rank over the trials, so with few trials p99 is the worst one.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import sseclient

from tkach_sync import Agent, ApprovalDecision, CancellationToken, Message, tools
from tkach_sync.messages import ToolUseBlock

from .clients import (
    MODEL,
    PROMPT,
    agent,
    provider,
    raw_body,
    raw_headers,
    request,
    save,
    scripted,
)
from .core import Context, Row, Target, rows_against

STREAM_TARGET = Target.at_most(5.0, "ms", p99=True)
BASH_TARGET = Target.at_most(50.0, "ms", p99=True)
APPROVAL_TARGET = Target.at_most(5.0, "ms", p99=True)
RAW_CLOSE = "requests response.close()"
SDK = "official SDK stream.close()"
_GIVE_UP = 5.0
LatencyTrial = Callable[[], float]
"""One trial: the latency it measured, in milliseconds."""


@dataclass(frozen=True, slots=True)
class Trial:
    """One stream to cancel: its events, and how another thread cancels it."""

    events: Iterable[object]
    cancel: Callable[[], None]
    close: Callable[[], None] = lambda: None


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for route, interval, trials in (
        ("a-drip-50ms", 0.05, ctx.reps(30, 5)),
        ("a-drip-500ms", 0.5, ctx.reps(12, 3)),
    ):
        rows += _stream_rows(ctx, route, interval, trials)
    rows += _bash_rows(ctx.reps(15, 3))
    rows += _approval_rows(ctx.reps(30, 5))
    return rows


# --- streams -------------------------------------------------------------------


def _stream_rows(ctx: Context, route: str, interval: float, trials: int) -> list[Row]:
    notes: dict[str, str] = {}
    with _stream_trials(ctx.server.url(route)) as makers:
        samples: dict[str, list[float]] = {name: [] for name in makers}
        for _ in range(trials):
            for name, make in list(makers.items()):
                try:
                    latency = _cancel_once(make(), interval)
                except ImportError as exc:
                    notes[name] = f"not installed ({exc.name})"
                    del makers[name]
                    continue
                samples[name].append(latency)
    for name in notes:
        samples.pop(name, None)
    case = f"cancel mid-stream, 1 event / {interval * 1000:g} ms"
    targets = {"Anthropic.stream": STREAM_TARGET, "Agent.stream": STREAM_TARGET}
    rows = rows_against("4", case, "ms", samples, RAW_CLOSE, targets, with_p99=True, paired=False)
    rows += [Row("4", case, name, "ms", None, note=why) for name, why in notes.items()]
    return rows


@contextmanager
def _stream_trials(url: str) -> Iterator[dict[str, Callable[[], Trial]]]:
    """A maker of a fresh stream to cancel for each client, by name; closes the clients."""
    llm = provider(url, "anthropic")
    runner = agent(llm)
    session = requests.Session()
    sdk: list[Any] = []

    def ours() -> Trial:
        token = CancellationToken()
        return Trial(llm.stream(request(), token), token.cancel)

    def agents() -> Trial:
        token = CancellationToken()
        stream = runner.stream([Message.user_text(PROMPT)], token)
        return Trial(stream, token.cancel, stream.close)

    def raw() -> Trial:
        response = session.post(
            url + "/v1/messages",
            json=raw_body("anthropic") | {"stream": True},
            headers=raw_headers("anthropic"),
            stream=True,
        )
        events = sseclient.SSEClient(response.iter_content(64 * 1024)).events()
        return Trial(events, response.close)

    def official() -> Trial:
        if not sdk:
            import anthropic

            sdk.append(anthropic.Anthropic(api_key="bench-key", base_url=url, max_retries=0))
        manager = sdk[0].messages.stream(**raw_body("anthropic"))
        stream = manager.__enter__()
        return Trial(stream, stream.close, lambda: manager.__exit__(None, None, None))

    try:
        yield {RAW_CLOSE: raw, "Anthropic.stream": ours, "Agent.stream": agents, SDK: official}
    finally:
        session.close()
        llm.close()
        for client in sdk:
            client.close()


def _cancel_once(trial: Trial, interval: float, ready: threading.Event | None = None) -> float:
    """Milliseconds from ``cancel()`` to the end of the consumer's loop.

    The cancel comes a random time within ``interval`` after the first event
    (or after ``ready`` is set, when given).
    """
    started, ended = threading.Event(), threading.Event()
    end: list[float] = []

    def consume() -> None:
        try:
            for _event in trial.events:
                started.set()
        except Exception:
            pass  # a cancel may end the loop with an error: that is still its end
        finally:
            end.append(time.perf_counter())
            started.set()
            ended.set()

    thread = threading.Thread(target=consume, name="bench-consumer", daemon=True)
    thread.start()
    try:
        if not (ready or started).wait(_GIVE_UP):
            raise RuntimeError("the stream never started")
        time.sleep(random.uniform(0.0, interval))
        begin = time.perf_counter()
        trial.cancel()
        if not ended.wait(_GIVE_UP):
            return _GIVE_UP * 1000  # counted as the give-up time; the thread ends with the stream
        return (end[0] - begin) * 1000
    finally:
        thread.join(_GIVE_UP)
        trial.close()


# --- tools -----------------------------------------------------------------------

OURS_BASH = "Agent.run + Bash"
KILLPG = "os.killpg (anchor)"
OURS_APPROVAL = "Agent.stream + approval"
EVENT_WAKE = "threading.Event wake (anchor)"
_SPAWN = "echo $$ > pids; sleep 30 & echo $! >> pids; sleep 30 & echo $! >> pids; touch ready; wait"


def _paired(
    case: str,
    trials: int,
    anchor: tuple[str, LatencyTrial],
    ours: tuple[str, LatencyTrial],
    target: Target,
) -> list[Row]:
    """Rows for our latency against an anchor's, trials taken in turns."""
    samples: dict[str, list[float]] = {anchor[0]: [], ours[0]: []}
    for _ in range(trials):
        for name, once in (anchor, ours):
            samples[name].append(once())
    targets = {ours[0]: target}
    return rows_against("4", case, "ms", samples, anchor[0], targets, with_p99=True, paired=False)


def _bash_rows(trials: int) -> list[Row]:
    case = "cancel mid-bash: until the process group is dead"
    return _paired(case, trials, (KILLPG, _killpg_once), (OURS_BASH, _bash_once), BASH_TARGET)


def _bash_once() -> float:
    with _workdir() as workdir:
        call = ToolUseBlock("toolu_bash", "bash", {"command": _SPAWN})
        runner = Agent(scripted(call), MODEL, tools=[tools.Bash()], working_dir=workdir)
        token = CancellationToken()
        thread = threading.Thread(target=_run_quietly, args=(runner, token), daemon=True)
        thread.start()
        pids = _spawned(workdir)
        begin = time.perf_counter()
        token.cancel()
        _until_dead(pids)
        elapsed = (time.perf_counter() - begin) * 1000
        thread.join(_GIVE_UP)
        return elapsed


def _killpg_once() -> float:
    with _workdir() as workdir:
        proc = subprocess.Popen(["bash", "-c", _SPAWN], cwd=workdir, start_new_session=True)
        try:
            pids = _spawned(workdir)
            begin = time.perf_counter()
            os.killpg(proc.pid, signal.SIGTERM)
            _until_dead(pids)
            return (time.perf_counter() - begin) * 1000
        finally:
            proc.wait()


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tkach-bench-") as tmp:
        yield Path(tmp)


def _run_quietly(runner: Agent, token: CancellationToken) -> None:
    with contextlib.suppress(Exception):  # Cancelled, as expected
        runner.run([Message.user_text(PROMPT)], token)


def _spawned(workdir: Path) -> list[int]:
    """The pids of bash and its two children, once the command wrote them all."""
    deadline = time.monotonic() + _GIVE_UP
    while not (workdir / "ready").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the bash command never started")
        time.sleep(0.001)
    return [int(line) for line in (workdir / "pids").read_text().split()]


def _until_dead(pids: list[int]) -> None:
    deadline = time.monotonic() + _GIVE_UP
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.0002)


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie has exited (when it is reaped is up to its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _approval_rows(trials: int) -> list[Row]:
    case = "cancel mid-approval: a prompt nobody answers"
    anchor, ours = (EVENT_WAKE, _wake_once), (OURS_APPROVAL, _approval_once)
    return _paired(case, trials, anchor, ours, APPROVAL_TARGET)


def _approval_once() -> float:
    asked, release = threading.Event(), threading.Event()

    def approve(name: str, tool_input: dict[str, Any], tool_class: object) -> ApprovalDecision:
        asked.set()
        release.wait(_GIVE_UP)
        return ApprovalDecision.allow()

    call = ToolUseBlock("toolu_save", save.name, {"path": "a.md", "content": "x"})
    runner = Agent(scripted(call), MODEL, tools=[save], approval=approve)
    token = CancellationToken()
    stream = runner.stream([Message.user_text(PROMPT)], token)

    def close() -> None:
        release.set()
        stream.close()

    return _cancel_once(Trial(stream, token.cancel, close), 0.001, ready=asked)


def _wake_once() -> float:
    """The least a cross-thread wake-up costs: one ``Event.set`` seen by a waiting thread."""
    event, woke = threading.Event(), threading.Event()
    end: list[float] = []

    def wait() -> None:
        event.wait(_GIVE_UP)
        end.append(time.perf_counter())
        woke.set()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    time.sleep(0.001)
    begin = time.perf_counter()
    event.set()
    woke.wait(_GIVE_UP)
    thread.join(_GIVE_UP)
    return (end[0] - begin) * 1000
