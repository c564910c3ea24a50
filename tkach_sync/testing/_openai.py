"""A turn in OpenAI Chat Completions wire form: the completion, the SSE chunks, the error body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._pieces import (
    dump,
    fragments,
    repeated_text_pieces,
    sse_data,
    stop_reason,
    text_pieces,
    tool_call_id,
    usage_fields,
)
from ._turns import ErrorSpec, Turn

__all__ = ["completion_json", "error_body", "error_event", "sse_chunks"]

_CREATED = 1_700_000_000
_FINISH_REASONS = {
    "end_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "stop_sequence": "stop",
    "refusal": "content_filter",
}
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}


def error_object(spec: ErrorSpec) -> dict[str, Any]:
    kind = spec.error_type
    if kind is None and spec.status >= 500:
        kind = "server_error"
    elif kind is None:
        kind = _ERROR_TYPES.get(spec.status, "invalid_request_error")
    return {"message": spec.message, "type": kind, "param": None, "code": spec.code}


def error_body(spec: ErrorSpec) -> dict[str, Any]:
    return {"error": error_object(spec)}


def error_event(spec: ErrorSpec) -> bytes:
    return sse_data(dump(error_body(spec)))


def completion_json(turn: Turn, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": turn.answer * turn.repeat if turn.answer else None,
        "refusal": None,
        "annotations": [],
    }
    if turn.thinking is not None:
        message["reasoning_content"] = turn.thinking
    if turn.calls:
        message["tool_calls"] = [
            _call_head(turn, i) | {"function": {"name": c.name, "arguments": _arguments(c.input)}}
            for i, c in enumerate(turn.calls)
        ]
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(turn)}
    return {
        "id": _id(turn),
        "object": "chat.completion",
        "created": _CREATED,
        "model": turn.model or model,
        "choices": [choice],
        "usage": _usage(turn),
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def sse_chunks(turn: Turn, model: str, include_usage: bool) -> Iterator[bytes]:
    """The chunks of D.4: role, content, tool-call fragments, finish, usage, ``[DONE]``."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = _chunk_head(turn, model) | {"choices": [choice]}
        if include_usage:
            payload["usage"] = None
        return sse_data(dump(payload))

    yield chunk({"role": "assistant", "content": "" if turn.answer else None, "refusal": None})
    for piece in text_pieces(turn.thinking or "", turn.chunks):
        yield chunk({"reasoning_content": piece})
    for piece in repeated_text_pieces(turn):
        yield chunk({"content": piece})
    for index, call in enumerate(turn.calls):
        head = {"index": index} | _call_head(turn, index)
        head["function"] = {"name": call.name, "arguments": ""}
        yield chunk({"tool_calls": [head]})
        for part in fragments(_arguments(call.input), turn.json_fragment_size):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
    yield chunk({}, _finish(turn))
    if include_usage:
        yield sse_data(dump(_chunk_head(turn, model) | {"choices": [], "usage": _usage(turn)}))
    yield sse_data("[DONE]")


def _chunk_head(turn: Turn, model: str) -> dict[str, Any]:
    return {
        "id": _id(turn),
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": turn.model or model,
        "system_fingerprint": "fp_fake",
    }


def _call_head(turn: Turn, index: int) -> dict[str, Any]:
    return {"id": tool_call_id(turn, index, turn.calls[index], "call_"), "type": "function"}


def _arguments(tool_input: Any) -> str:
    return dump(dict(tool_input))


def _finish(turn: Turn) -> str:
    if turn.finish_reason is not None:
        return turn.finish_reason
    return _FINISH_REASONS.get(stop_reason(turn), "stop")


def _usage(turn: Turn) -> dict[str, Any]:
    """OpenAI counts cached tokens inside ``prompt_tokens``; Anthropic keeps them apart."""
    input_tokens, output_tokens, cache_write, cache_read = usage_fields(turn.usage)
    prompt = input_tokens + cache_write + cache_read
    return {
        "prompt_tokens": prompt,
        "completion_tokens": output_tokens,
        "total_tokens": prompt + output_tokens,
        "prompt_tokens_details": {"cached_tokens": cache_read},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _id(turn: Turn) -> str:
    return f"chatcmpl-fake{turn.uid}"
