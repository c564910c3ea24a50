"""Small pure helpers both protocols share: splitting text, framing SSE, cutting bytes."""

from __future__ import annotations

import itertools
import json
import random
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..messages import Usage
from ._turns import ToolCallSpec, Turn

__all__ = [
    "drop_last",
    "dump",
    "fragments",
    "resplit",
    "sse_data",
    "sse_event",
    "text_pieces",
    "tool_call_id",
]


def dump(payload: Any) -> str:
    """Compact JSON with raw UTF-8, as the real APIs write it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def sse_event(name: str, payload: Any) -> bytes:
    return f"event: {name}\ndata: {dump(payload)}\n\n".encode()


def sse_data(data: str) -> bytes:
    return f"data: {data}\n\n".encode()


def text_pieces(text: str, chunks: int) -> list[str]:
    """``text`` in ``chunks`` nearly equal, non-empty pieces (fewer if the text is short)."""
    if not text:
        return []
    count = min(chunks, len(text))
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def repeated_text_pieces(turn: Turn) -> Iterator[str]:
    """The answer's deltas, ``repeat`` times over, without building the whole text."""
    pieces = text_pieces(turn.answer, turn.chunks)
    for _ in range(turn.repeat):
        yield from pieces


def fragments(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def tool_call_id(turn: Turn, index: int, call: ToolCallSpec, prefix: str) -> str:
    """The call's own id, or a made-up one that is stable for this turn."""
    return call.id or f"{prefix}{turn.uid}{index:02d}"


def stop_reason(turn: Turn) -> str:
    if turn.stop_reason is not None:
        return turn.stop_reason
    return "tool_use" if turn.calls else "end_turn"


def has_text_block(turn: Turn) -> bool:
    """A text block is sent when there is text, or when there would be nothing else."""
    return bool(turn.answer) or not turn.calls


def usage_fields(usage: Usage) -> tuple[int, int, int, int]:
    return (
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_creation_input_tokens,
        usage.cache_read_input_tokens,
    )


def drop_last(items: Iterable[bytes], count: int) -> Iterator[bytes]:
    """All but the last ``count`` items, lazily."""
    held: deque[bytes] = deque()
    for item in items:
        held.append(item)
        if len(held) > count:
            yield held.popleft()


def resplit(
    blocks: Iterable[bytes], sizes: Sequence[int], seed: int | None, top: int
) -> Iterator[bytes]:
    """Re-cut a byte stream into pieces of ``sizes`` (cycled) or seeded-random 1..top bytes."""
    if seed is not None:
        rng = random.Random(seed)
        lengths: Iterator[int] = (rng.randint(1, top) for _ in itertools.count())
    else:
        lengths = itertools.cycle(sizes)
    buffer = bytearray()
    want = next(lengths)
    for block in blocks:
        buffer += block
        while len(buffer) >= want:
            yield bytes(buffer[:want])
            del buffer[:want]
            want = next(lengths)
    if buffer:
        yield bytes(buffer)
