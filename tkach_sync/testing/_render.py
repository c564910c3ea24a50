"""Turn -> wire bytes: pure functions, usable without any server (e.g. to test SSE parsers).

The SSE renderers include the faults that live *in* the stream (a mid-stream
error, truncation, garbage lines); faults of the connection (cuts, splits,
drips, hangs) only happen on the wire, in the server.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from . import _anthropic, _openai
from ._pieces import drop_last
from ._turns import ErrorSpec, Faults, Turn

__all__ = [
    "DEFAULT_MODEL",
    "anthropic_blocks",
    "openai_blocks",
    "render_anthropic_json",
    "render_anthropic_sse",
    "render_openai_json",
    "render_openai_sse",
]

DEFAULT_MODEL = "fake-model"
"""The model name echoed when neither the turn nor the request names one."""

_REQUEST_ID = "req_fake"


def render_anthropic_json(turn: Turn, *, model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """The non-streaming Messages response (A.3), or the error body (A.7) of an error turn."""
    if turn.api_error is not None:
        return _anthropic.error_body(turn.api_error, _REQUEST_ID)
    _refuse_raw(turn)
    return _anthropic.message_json(turn, model)


def render_anthropic_sse(turn: Turn, *, model: str = DEFAULT_MODEL) -> bytes:
    """The whole Messages event stream (A.4), in-stream faults included."""
    return b"".join(anthropic_blocks(turn, model))


def render_openai_json(turn: Turn, *, model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """The non-streaming chat completion (D.3), or the error body (D.5) of an error turn."""
    if turn.api_error is not None:
        return _openai.error_body(turn.api_error)
    _refuse_raw(turn)
    return _openai.completion_json(turn, model)


def render_openai_sse(
    turn: Turn, include_usage: bool = True, *, model: str = DEFAULT_MODEL
) -> bytes:
    """The whole chat-completion chunk stream (D.4), in-stream faults included.

    ``include_usage`` mirrors the request's ``stream_options.include_usage``.
    """
    return b"".join(openai_blocks(turn, model, include_usage))


def anthropic_blocks(turn: Turn, model: str) -> Iterator[bytes]:
    """The stream one event at a time, lazily (a ``blast`` is never built whole)."""
    _refuse_non_stream(turn)
    events = _anthropic.sse_events(turn, model)
    return _with_stream_faults(events, turn.faults, _anthropic.error_event)


def openai_blocks(turn: Turn, model: str, include_usage: bool) -> Iterator[bytes]:
    _refuse_non_stream(turn)
    chunks = _openai.sse_chunks(turn, model, include_usage)
    return _with_stream_faults(chunks, turn.faults, _openai.error_event)


def _with_stream_faults(
    events: Iterator[bytes], faults: Faults, error_event: Callable[[ErrorSpec], bytes]
) -> Iterator[bytes]:
    if faults.garbage:
        events = _insert(events, faults.garbage_after, b"\n".join(faults.garbage) + b"\n\n")
    if faults.truncate_after is not None:
        keep = faults.truncate_after
        events = drop_last(events, -keep) if keep < 0 else itertools.islice(events, keep)
    if faults.stream_error is not None and faults.error_after is not None:
        head = itertools.islice(events, faults.error_after)
        events = itertools.chain(head, [error_event(faults.stream_error)])
    return events


def _insert(events: Iterator[bytes], after: int, extra: bytes) -> Iterator[bytes]:
    if after == 0:
        yield extra
    for count, event in enumerate(events, start=1):
        yield event
        if count == after:
            yield extra


def _refuse_raw(turn: Turn) -> None:
    if turn.raw_body is not None:
        raise ValueError("a raw turn is sent as given; it has no protocol rendering")


def _refuse_non_stream(turn: Turn) -> None:
    _refuse_raw(turn)
    if turn.api_error is not None:
        raise ValueError("an error turn answers with a JSON body, never a stream")
