"""A turn in Anthropic Messages wire form: the JSON message, the SSE events, the error body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ._pieces import (
    fragments,
    has_text_block,
    repeated_text_pieces,
    sse_event,
    stop_reason,
    text_pieces,
    tool_call_id,
    usage_fields,
)
from ._turns import ErrorSpec, Turn

__all__ = ["error_body", "error_event", "message_json", "sse_events"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(spec: ErrorSpec) -> str:
    if spec.error_type is not None:
        return spec.error_type
    fallback = "api_error" if spec.status >= 500 else "invalid_request_error"
    return _ERROR_TYPES.get(spec.status, fallback)


def error_body(spec: ErrorSpec, request_id: str | None) -> dict[str, Any]:
    error = {"type": error_type(spec), "message": spec.message}
    return {"type": "error", "error": error, "request_id": request_id}


def error_event(spec: ErrorSpec) -> bytes:
    error = {"type": error_type(spec), "message": spec.message}
    return sse_event("error", {"type": "error", "error": error})


def message_json(turn: Turn, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if turn.thinking is not None:
        content.append({"type": "thinking", "thinking": turn.thinking, "signature": _sig(turn)})
    if has_text_block(turn):
        content.append({"type": "text", "text": turn.answer * turn.repeat})
    content.extend(_tool_use(turn, i) | {"input": dict(c.input)} for i, c in enumerate(turn.calls))
    message = _message(turn, model, content, stop_reason(turn))
    message["usage"] = _usage(turn, turn.usage.output_tokens)
    return message


def sse_events(turn: Turn, model: str) -> Iterator[bytes]:
    """The events of A.4, in order; a ``ping`` after the first block start and before the end."""
    start = _message(turn, model, [], None)
    start["usage"] = _usage(turn, min(1, turn.usage.output_tokens))
    yield sse_event("message_start", {"type": "message_start", "message": start})
    for index, (block, deltas) in enumerate(_blocks(turn)):
        yield sse_event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )
        if index == 0 and turn.pings:
            yield _PING
        for delta in deltas:
            yield sse_event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield sse_event("content_block_stop", {"type": "content_block_stop", "index": index})
    if turn.pings:
        yield _PING
    delta = {"stop_reason": stop_reason(turn), "stop_sequence": None}
    usage = {"output_tokens": turn.usage.output_tokens}
    yield sse_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
    yield sse_event("message_stop", {"type": "message_stop"})


_PING = b'event: ping\ndata: {"type": "ping"}\n\n'

_Block = tuple[dict[str, Any], Iterator[dict[str, Any]]]


def _blocks(turn: Turn) -> Iterator[_Block]:
    """Each content block's ``content_block_start`` payload and its deltas."""
    if turn.thinking is not None:
        yield {"type": "thinking", "thinking": "", "signature": ""}, _thinking_deltas(turn)
    if has_text_block(turn):
        texts = repeated_text_pieces(turn)
        yield {"type": "text", "text": ""}, ({"type": "text_delta", "text": t} for t in texts)
    for index, call in enumerate(turn.calls):
        arguments = json.dumps(dict(call.input), ensure_ascii=False)
        parts = ["", *fragments(arguments, turn.json_fragment_size)]
        deltas = ({"type": "input_json_delta", "partial_json": part} for part in parts)
        yield _tool_use(turn, index) | {"input": {}}, deltas


def _thinking_deltas(turn: Turn) -> Iterator[dict[str, Any]]:
    for piece in text_pieces(turn.thinking or "", turn.chunks):
        yield {"type": "thinking_delta", "thinking": piece}
    yield {"type": "signature_delta", "signature": _sig(turn)}


def _tool_use(turn: Turn, index: int) -> dict[str, Any]:
    call = turn.calls[index]
    return {"type": "tool_use", "id": tool_call_id(turn, index, call, "toolu_"), "name": call.name}


def _message(
    turn: Turn, model: str, content: list[dict[str, Any]], stop: str | None
) -> dict[str, Any]:
    return {
        "id": f"msg_fake{turn.uid}",
        "type": "message",
        "role": "assistant",
        "model": turn.model or model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
    }


def _usage(turn: Turn, output_tokens: int) -> dict[str, Any]:
    input_tokens, _, cache_write, cache_read = usage_fields(turn.usage)
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": cache_write - turn.usage.cache_creation_1h_input_tokens,
            "ephemeral_1h_input_tokens": turn.usage.cache_creation_1h_input_tokens,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _sig(turn: Turn) -> str:
    return f"EqFakeSignature{turn.uid}"
