"""Figure 10: peak memory while a 20 MiB text answer streams into a final result.

Each sample is a fresh process (``bench.memchild``) so no client inherits
another's heap. Memory is the peak of the Python heap above its level when
the stream began, by ``tracemalloc``: it counts every str, bytes and list a
client holds, exactly and repeatably, where peak RSS would mostly show the
allocator's retained arenas and the 40-90 MB of imports around a 20 MB
signal (the child reports its RSS rise too; it is in the JSON). Allocations
made outside Python's allocator (Rust or C extensions' own) are not seen.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .core import Context, Row, Target, rows_against
from .memchild import CLIENTS
from .server import ROOT
from .transcripts import BIG_TEXT_CHARS

ROUTE = "a-big"
ANCHOR = "append in place"
TARGET = Target.at_most(1.5, "x text")
TARGETS = {"Agent.stream -> result()": TARGET}


def run(ctx: Context) -> list[Row]:
    url = ctx.server.url(ROUTE)
    ctx.server.meta(ROUTE)  # render the transcript before the first child asks for it
    samples: dict[str, list[float]] = {}
    rss: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    for _ in range(ctx.reps(3, 1)):
        for client in CLIENTS:
            if client in notes:
                continue
            result = _child(client, url)
            if result is None:
                notes[client] = "not installed (anthropic)"
                continue
            if result["chars"] != BIG_TEXT_CHARS:
                raise RuntimeError(f"{client} read {result['chars']} characters")
            samples.setdefault(client, []).append(result["peak"] / BIG_TEXT_CHARS)
            rss.setdefault(client, []).append(result["rss"] / BIG_TEXT_CHARS)
    for client, values in rss.items():
        notes[client] = f"peak RSS rise {sorted(values)[len(values) // 2]:.2f}x"
    case = "peak memory, 20 MiB text answer -> final result"
    rows = rows_against("10", case, "x text", samples, ANCHOR, TARGETS, notes)
    rows += [
        Row("10", case, c, "x text", None, note=why) for c, why in notes.items() if c not in samples
    ]
    return rows


def _child(client: str, url: str) -> dict[str, int] | None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memchild", client, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        if "ModuleNotFoundError" in done.stderr:
            return None
        raise RuntimeError(f"the memory child for {client} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout))
