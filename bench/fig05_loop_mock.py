"""Figure 5: what the loop itself costs per model call, with an offline model.

A run is two model calls: a tool call, then text. A sample runs whole runs
for at least ``BATCH_SECONDS`` and divides by the model calls made. The
anchor is a hand-written loop over plain dicts, the least such a loop can
cost; the peers run on their own offline test models (see ``peers``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tkach_sync import Message, ToolUseBlock

from .clients import MODEL, PROMPT, agent, hand_loop, lookup, scripted
from .core import Context, Row, Target, interleaved, per_call, rows_against
from .peers import PEERS

HAND = "hand-written dict loop (anchor)"
TARGET = Target.at_most(100.0, "us")
BATCH_SECONDS = 0.1
CALLS_PER_RUN = 2
_CALL = ToolUseBlock("toolu_lookup", lookup.name, {"key": "alpha"})


def run(ctx: Context) -> list[Row]:
    runs: dict[str, Callable[[], object]] = {
        HAND: lambda: hand_loop(_dict_model),
        "Agent.run + Mock": _ours_run(),
        "Agent.stream + Mock": _ours_stream(),
    }
    notes: dict[str, str] = {"Agent.stream + Mock": "a producer thread per run"}
    for name, make in PEERS.items():
        try:
            runs[name] = make()
        except ImportError as exc:
            notes[name] = f"not installed ({exc.name})"
    timers = {name: per_call(run, CALLS_PER_RUN, BATCH_SECONDS) for name, run in runs.items()}
    samples = interleaved(timers, ctx.reps(9, 3))
    case = "loop overhead per model call (tool call, then text)"
    rows = rows_against("5", case, "us/call", samples, HAND, {"Agent.run + Mock": TARGET}, notes)
    rows += [Row("5", case, n, "us/call", None, note=w) for n, w in notes.items() if n not in runs]
    return rows


def _ours_run() -> Callable[[], object]:
    runner = agent(scripted(_CALL), max_turns=4)
    return lambda: runner.run([Message.user_text(PROMPT)])


def _ours_stream() -> Callable[[], object]:
    runner = agent(scripted(_CALL), max_turns=4)

    def once() -> object:
        with runner.stream([Message.user_text(PROMPT)]) as stream:
            for _ in stream:
                pass
            return stream.result()

    return once


def _dict_model(messages: list[dict[str, Any]]) -> dict[str, Any]:
    last = messages[-1]["content"]
    content: list[dict[str, Any]]
    if isinstance(last, list) and last[0]["type"] == "tool_result":
        content = [{"type": "text", "text": "done"}]
    else:
        content = [{"type": "tool_use", "id": _CALL.id, "name": _CALL.name, "input": _CALL.input}]
    return {"role": "assistant", "model": MODEL, "content": content}
