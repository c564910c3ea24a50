"""Figure 9: import time in a fresh interpreter, against the runtime dependencies' own.

Each sample is a new interpreter that times its one import statement (the
interpreter's own start-up is left out). The floor imports what tkach_sync
cannot avoid: ``requests``, ``sseclient`` and pydantic's ``BaseModel`` (a
bare ``import pydantic`` is lazy and loads almost nothing). A first,
unrecorded round compiles the byte code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from .core import Context, Row, Target, interleaved, note_gaps, rows_against
from .server import ROOT

FLOOR = "requests + sseclient + pydantic (floor)"
OURS = "import tkach_sync"
TARGET = Target.above_anchor_at_most(30.0, "ms")
STATEMENTS = {
    FLOOR: "import requests, sseclient; from pydantic import BaseModel",
    OURS: "import tkach_sync",
    "import anthropic": "import anthropic",
    "import openai": "import openai",
    "import pydantic_ai": "import pydantic_ai",
}
_PROGRAM = "import time; t = time.perf_counter(); {0}; print(time.perf_counter() - t)"


def run(ctx: Context) -> list[Row]:
    notes: dict[str, str] = {}
    timers: dict[str, Callable[[], float]] = {}
    for name, statement in STATEMENTS.items():
        missing = _missing(statement)
        if missing:
            notes[name] = missing
        else:
            timers[name] = _timer(statement)
    samples = interleaved(timers, ctx.reps(7, 2))
    case = "import time, fresh interpreter"
    rows = rows_against("9", case, "ms", samples, FLOOR, {OURS: TARGET})
    note_gaps(rows, "{:+.0f} ms over the floor")
    rows += [Row("9", case, name, "ms", None, note=why) for name, why in notes.items()]
    return rows


def _timer(statement: str) -> Callable[[], float]:
    def sample() -> float:
        out = subprocess.run(
            [sys.executable, "-c", _PROGRAM.format(statement)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout) * 1000

    return sample


def _missing(statement: str) -> str:
    module = statement.split()[1].rstrip(",")
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import importlib.util as u; print(u.find_spec({module!r}) is not None)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return "" if found.stdout.strip() == "True" else f"not installed ({module})"
