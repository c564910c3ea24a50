"""The transcripts the loopback server replays, by route name.

Each is built from ``tkach_sync.testing`` turns and rendered to wire bytes
once, in the server process. A route answers its ``first`` turn, and its
``after_tools`` turn to a request that carries tool results, so an agent loop
ends after one tool round, as a real conversation would.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tkach_sync.testing import (
    ToolCallSpec,
    Turn,
    render_anthropic_json,
    render_anthropic_sse,
    render_openai_json,
    render_openai_sse,
)

__all__ = ["TRANSCRIPTS", "Transcript", "prose", "render"]

Protocol = Literal["anthropic", "openai"]

SAVE_TOOL = "save"
"""The tool the tool-heavy transcripts call: ``save(path, content)``."""
LOOKUP_TOOL = "lookup"
"""The tool the loop transcripts call: ``lookup(key)``."""

_WORDS = (
    "stream", "token", "delta", "naïve", "café", "model", "agent", "loop", "tool",
    '"quoted"', "line\n", "tab\t", "—", "résumé", "événement", "parse", "socket",
)  # fmt: skip


def prose(chars: int, *, ascii_only: bool = False) -> str:
    """Deterministic text of exactly ``chars`` characters, with non-ASCII and JSON escapes.

    ``ascii_only`` keeps one byte per character in memory too, so a text's
    size is its length (one non-Latin-1 character makes CPython store two
    bytes for every character).
    """
    words = itertools.cycle([w for w in _WORDS if w.isascii()] if ascii_only else _WORDS)
    parts: list[str] = []
    size = 0
    while size < chars:
        word = next(words) + " "
        parts.append(word)
        size += len(word)
    return "".join(parts)[:chars]


@dataclass(frozen=True, slots=True)
class Transcript:
    """What one route answers, and how."""

    protocol: Protocol
    first: Turn
    after_tools: Turn | None = None
    json_answers: bool = False
    """Answer with a whole JSON body instead of an event stream."""
    drip: float = 0.0
    """Seconds between events; the events up to the first text delta go out at once."""
    counted: bool = False
    """Send in small pieces and count the bytes the socket accepted (backpressure)."""


def render(protocol: Protocol, turn: Turn, *, json_answer: bool) -> bytes:
    """The body of one answer, as the real API writes it."""
    if json_answer:
        if protocol == "anthropic":
            return json.dumps(render_anthropic_json(turn)).encode()
        return json.dumps(render_openai_json(turn)).encode()
    if protocol == "anthropic":
        return render_anthropic_sse(turn)
    return render_openai_sse(turn)


def _text(deltas: int, size: int = 16) -> Turn:
    return Turn.text(prose(deltas * size), chunks=deltas)


def _saves(*sizes: int) -> Turn:
    calls = [
        ToolCallSpec(SAVE_TOOL, {"path": f"notes/part-{i}.md", "content": prose(size)})
        for i, size in enumerate(sizes, start=1)
    ]
    return Turn.tool_calls(*calls, text="Saving the notes now.")


_DONE = Turn.text("All saved.")
_LOOKUP = Turn.tool_calls(ToolCallSpec(LOOKUP_TOOL, {"key": "alpha"}))
_ANSWER = Turn.text("The value of alpha is 42.")

BIG_TEXT_CHARS = 20 * 1024 * 1024
"""The memory figure's answer: 20 MiB of ASCII text, so 20 MiB as a ``str`` too."""


def _transcripts() -> dict[str, Callable[[], Transcript]]:
    a: Protocol = "anthropic"
    o: Protocol = "openai"
    return {
        # 1, 2: throughput. The tool-heavy turn streams ~5,000 12-character fragments.
        "a-text-10k": lambda: Transcript(a, _text(10_000)),
        "a-tools": lambda: Transcript(a, _saves(30_000, 30_000), _DONE),
        "o-text-10k": lambda: Transcript(o, _text(10_000)),
        "o-tools": lambda: Transcript(o, _saves(30_000, 30_000), _DONE),
        # 3: accumulator scaling.
        "a-text-2500": lambda: Transcript(a, _text(2_500)),
        "a-text-20k": lambda: Transcript(a, _text(20_000)),
        "a-tool-30k": lambda: Transcript(a, _saves(30_000), _DONE),
        "a-tool-120k": lambda: Transcript(a, _saves(120_000), _DONE),
        "a-tool-240k": lambda: Transcript(a, _saves(240_000), _DONE),
        # 4: cancel latency on a slow stream (long enough never to end on its own).
        "a-drip-50ms": lambda: Transcript(a, _text(400), drip=0.05),
        "a-drip-500ms": lambda: Transcript(a, _text(60), drip=0.5),
        # 6: the loop over HTTP, JSON answers.
        "a-loop": lambda: Transcript(a, _LOOKUP, _ANSWER, json_answers=True),
        # 7: time to first event.
        "a-short": lambda: Transcript(a, _text(20)),
        # 10, 11: a 20 MiB answer in 1,000 deltas of 20 KiB; counted for backpressure.
        "a-big": lambda: Transcript(
            a, Turn.text(prose(BIG_TEXT_CHARS, ascii_only=True), chunks=1_000)
        ),
        "a-big-counted": lambda: Transcript(a, _text(100_000, 128), counted=True),
    }


TRANSCRIPTS = _transcripts()
