"""Anthropic's streamed answers, and the mappings streamed and whole answers share.

Stop reasons map one to one, except ``model_context_window_exceeded``, which
becomes ``MAX_TOKENS`` (the answer was cut short by a token limit, which is
what callers check for); an unknown stop reason becomes ``TOOL_USE`` when the
answer asked for tools and ``END_TURN`` otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ApiError, DeserializationError, Overloaded, RateLimited
from ..events import ContentDelta, Done, MessageDelta, StreamEvent, ToolUse, UsageReport
from ..messages import (
    ContentBlock,
    RedactedThinkingBlock,
    StopReason,
    ThinkingBlock,
    Usage,
)
from ._wire_json import as_dict, index_of, opt_count, opt_dict, opt_str, parse_json, req_str

__all__ = [
    "AnthropicStreamAccumulator",
    "error_from_event",
    "error_from_payload",
    "merge_usage",
    "stop_reason",
]

_STOP_REASONS = {
    "end_turn": StopReason.END_TURN,
    "tool_use": StopReason.TOOL_USE,
    "max_tokens": StopReason.MAX_TOKENS,
    "stop_sequence": StopReason.STOP_SEQUENCE,
    "pause_turn": StopReason.PAUSE_TURN,
    "refusal": StopReason.REFUSAL,
    "model_context_window_exceeded": StopReason.MAX_TOKENS,
}


def stop_reason(wire: str | None, has_tool_use: bool) -> StopReason:
    """Our stop reason for the wire's (see the module docstring for the odd cases)."""
    known = _STOP_REASONS.get(wire or "")
    if known is not None:
        return known
    return StopReason.TOOL_USE if has_tool_use else StopReason.END_TURN


_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def merge_usage(base: Usage, wire: object, where: str) -> Usage:
    """``base`` with every count ``wire`` reports; absent or null counts keep ``base``'s.

    Stream counts are cumulative, so a later report replaces an earlier one:
    a ``message_delta`` with only ``output_tokens`` keeps the input and cache
    counts from ``message_start``.
    """
    if wire is None:
        return base
    counts = as_dict(wire, where)
    update = {
        name: n for name in _USAGE_FIELDS if (n := opt_count(counts, name, where)) is not None
    }
    by_ttl = opt_dict(counts, "cache_creation", where)
    if by_ttl is not None:
        hour = opt_count(by_ttl, "ephemeral_1h_input_tokens", f"{where}.cache_creation")
        if hour is not None:
            update["cache_creation_1h_input_tokens"] = hour
    return base.model_copy(update=update) if update else base


# --- errors ------------------------------------------------------------------

# The HTTP status each error type comes with when it is not inside a stream.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "conflict_error": 409,
    "api_error": 500,
    "timeout_error": 504,
}


def error_from_event(error_type: str | None, message: str) -> ApiError:
    """The error for an ``error`` event (or an error body that came with a 200).

    The status is the one the same error has as an HTTP response, so retries
    treat it alike: overloads, rate limits and server errors are retryable,
    the client's mistakes are not. An unknown type keeps the stream's own
    status, 200, and is not retried.
    """
    message = message or "no message"
    if error_type == "overloaded_error":
        return Overloaded(529, message, error_type)
    if error_type == "rate_limit_error":
        return RateLimited(429, message, error_type)
    return ApiError(_ERROR_STATUS.get(error_type or "", 200), message, error_type)


def error_from_payload(payload: object, raw: str) -> ApiError:
    """The error an ``{"type": "error", "error": {...}}`` payload reports; lenient on its shape."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return error_from_event(None, raw)
    kind, message = error.get("type"), error.get("message")
    return error_from_event(
        kind if isinstance(kind, str) else None, message if isinstance(message, str) else raw
    )


# --- the stream --------------------------------------------------------------

# delta type -> (the kind of block it extends, the field that carries the piece)
_DELTAS = {
    "text_delta": ("text", "text"),
    "input_json_delta": ("tool_use", "partial_json"),
    "thinking_delta": ("thinking", "thinking"),
    "signature_delta": ("thinking", "signature"),
}
_MODELLED_BLOCKS = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})


@dataclass(slots=True)
class _Block:
    """A content block as it streams in: ``pieces`` of text, thinking or tool-input JSON."""

    kind: str
    pieces: list[str] = field(default_factory=list)
    id: str = ""
    name: str = ""
    extra: str = ""  # a thinking block's signature, a redacted block's data
    start_input: object = None
    open: bool = True
    tool_input: dict[str, Any] | None = None  # set once the tool call went out whole


Handler = Callable[["AnthropicStreamAccumulator", dict[str, Any]], list[StreamEvent]]


class AnthropicStreamAccumulator:
    """Turns the server-sent events of one streamed answer into ``StreamEvent``s.

    Feed it each event's name and raw data, and call ``finish()`` at the end
    of the body. Text goes out at once; a tool call goes out whole at its
    ``content_block_stop``. ``message_delta`` closes any block still open: a
    tool call cut short by ``max_tokens`` is dropped on purpose (its JSON is
    unfinished and the turn is over anyway); under any other stop reason it
    is finished as if its stop had come. A missing ``message_stop`` is
    forgiven once ``message_delta`` has given the stop reason, as the official
    SDK forgives it. Text is not kept here (it went out as events, and a long
    answer should live in memory once); ``thinking()`` returns the thinking
    blocks, which a caller must send back.
    """

    def __init__(self) -> None:
        self._blocks: dict[int, _Block] = {}
        self._usage = Usage()
        self._stop_reason: StopReason | None = None
        self._started = False
        self._done = False

    @property
    def usage(self) -> Usage:
        return self._usage

    @property
    def stop_reason(self) -> StopReason | None:
        return self._stop_reason

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        """The events one SSE event yields; raises the error an ``error`` event reports."""
        if event == "error":
            raise error_from_payload(_loads_or_none(data), data)
        handler = self._HANDLERS.get(event)
        if handler is None:
            return []  # ping, and event types newer than this code
        if self._done:
            raise DeserializationError(f"a {event} event came after message_stop")
        try:  # the checked readers run only to report a problem: this is the hot path
            payload = json.loads(data)
        except (ValueError, RecursionError):
            payload = parse_json(data, f"the {event} event")
        if type(payload) is not dict:
            payload = as_dict(payload, f"the {event} event")
        kind = payload.get("type", event)
        if kind != event:
            raise DeserializationError(f"a {event} event carried a {kind!r} payload")
        if kind == "content_block_delta":
            text = self._text_delta(payload)
            if text is not None:
                return text
        return handler(self, payload)

    def _text_delta(self, payload: dict[str, Any]) -> list[StreamEvent] | None:
        """Most events are text for an open text block: those skip the general checks;
        anything unusual returns None and takes the general path."""
        delta, index = payload.get("delta"), payload.get("index")
        if type(delta) is not dict or delta.get("type") != "text_delta" or type(index) is not int:
            return None
        block, text = self._blocks.get(index), delta.get("text")
        if block is None or not block.open or block.kind != "text" or type(text) is not str:
            return None
        return [ContentDelta(text)] if text else []

    def finish(self) -> list[StreamEvent]:
        """The events owed at the end of the body; raises if the answer was cut off."""
        if self._done:
            return []
        if self._stop_reason is None:
            raise DeserializationError("the stream ended before the message was complete")
        self._done = True
        return [Done()]

    def thinking(self) -> list[ContentBlock]:
        """The thinking blocks so far, in order: events do not carry them, and the API wants
        them back unchanged (text and tool calls went out as events)."""
        blocks: list[ContentBlock] = []
        for _index, block in sorted(self._blocks.items()):
            if block.kind == "thinking":
                blocks.append(ThinkingBlock(thinking="".join(block.pieces), signature=block.extra))
            elif block.kind == "redacted_thinking":
                blocks.append(RedactedThinkingBlock(data=block.extra))
        return blocks

    def _message_start(self, payload: dict[str, Any]) -> list[StreamEvent]:
        if self._started:
            raise DeserializationError("the stream sent a second message_start")
        self._started = True
        message = as_dict(payload.get("message"), "message_start.message")
        self._usage = merge_usage(self._usage, message.get("usage"), "message_start.message.usage")
        return [UsageReport(self._usage)]

    def _block_start(self, payload: dict[str, Any]) -> list[StreamEvent]:
        index = index_of(payload, "content_block_start")
        if index in self._blocks:
            raise DeserializationError(f"content block {index} started twice")
        where = "content_block_start.content_block"
        wire = as_dict(payload.get("content_block"), where)
        block = self._blocks[index] = _Block(req_str(wire, "type", where))
        if block.kind == "tool_use":
            block.id, block.name = req_str(wire, "id", where), req_str(wire, "name", where)
            block.start_input = wire.get("input")
        elif block.kind == "redacted_thinking":
            block.extra = req_str(wire, "data", where)
        elif block.kind == "thinking":
            block.pieces.append(opt_str(wire, "thinking", where) or "")
            block.extra = opt_str(wire, "signature", where) or ""
        elif block.kind == "text":
            text = opt_str(wire, "text", where) or ""
            return [ContentDelta(text)] if text else []
        return []

    def _block_delta(self, payload: dict[str, Any]) -> list[StreamEvent]:
        index, block = self._open_block(payload, "content_block_delta")
        delta = as_dict(payload.get("delta"), "content_block_delta.delta")
        kind = req_str(delta, "type", "content_block_delta.delta")
        target, key = _DELTAS.get(kind, ("", ""))
        if not target or (block.kind != target and block.kind not in _MODELLED_BLOCKS):
            return []  # citations, server-tool blocks, delta types newer than this code
        if block.kind != target:
            raise DeserializationError(f"a {kind} came for content block {index}, a {block.kind}")
        piece = req_str(delta, key, "content_block_delta.delta")
        if kind == "signature_delta":
            block.extra = piece
            return []
        if kind == "text_delta":  # text goes out as events only: the caller keeps it, once
            return [ContentDelta(piece)] if piece else []
        block.pieces.append(piece)
        return []

    def _block_stop(self, payload: dict[str, Any]) -> list[StreamEvent]:
        _index, block = self._open_block(payload, "content_block_stop")
        return _close(block)

    def _open_block(self, payload: dict[str, Any], where: str) -> tuple[int, _Block]:
        index = index_of(payload, where)
        block = self._blocks.get(index)
        if block is None:
            raise DeserializationError(f"{where} for content block {index}, which never started")
        if not block.open:
            raise DeserializationError(f"{where} for content block {index}, which already stopped")
        return index, block

    def _message_delta(self, payload: dict[str, Any]) -> list[StreamEvent]:
        delta = as_dict(payload.get("delta"), "message_delta.delta")
        wire_reason = opt_str(delta, "stop_reason", "message_delta.delta")
        self._usage = merge_usage(self._usage, payload.get("usage"), "message_delta.usage")
        if wire_reason is None:
            return [UsageReport(self._usage)]
        has_tool_use = any(b.kind == "tool_use" for b in self._blocks.values())
        reason = self._stop_reason = stop_reason(wire_reason, has_tool_use)
        events: list[StreamEvent] = []
        for _index, block in sorted(self._blocks.items()):
            if not block.open:
                continue
            if block.kind == "tool_use" and reason is StopReason.MAX_TOKENS:
                block.open = False  # dropped: see the class docstring
            else:
                events += _close(block)
        return [*events, UsageReport(self._usage), MessageDelta(reason)]

    def _message_stop(self, payload: dict[str, Any]) -> list[StreamEvent]:
        self._done = True
        return [Done()]

    _HANDLERS: ClassVar[dict[str, Handler]] = {
        "message_start": _message_start,
        "content_block_start": _block_start,
        "content_block_delta": _block_delta,
        "content_block_stop": _block_stop,
        "message_delta": _message_delta,
        "message_stop": _message_stop,
    }


def _close(block: _Block) -> list[StreamEvent]:
    block.open = False
    if block.kind != "tool_use":
        return []
    block.tool_input = _tool_input(block)
    return [ToolUse(block.id, block.name, block.tool_input)]


def _tool_input(block: _Block) -> dict[str, Any]:
    raw = "".join(block.pieces)
    if not raw.strip():
        return block.start_input if isinstance(block.start_input, dict) else {}
    where = f"the input of tool call {block.name!r} ({block.id})"
    value = parse_json(raw, where)
    if not isinstance(value, dict):
        raise DeserializationError(f"{where} is not a JSON object")
    return value


def _loads_or_none(data: str) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
