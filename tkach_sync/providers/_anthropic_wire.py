"""Anthropic Messages API wire format: request bodies, answers and stream events.

Pure functions and one accumulator, no HTTP: the ``Anthropic`` provider calls
them. The stream accumulator and the mappings both kinds of answer share
(stop reasons, usage, error events) live in ``_anthropic_stream`` and are
re-exported here. Empty text blocks are dropped from parsed answers, because
the API refuses them when the history is sent back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import DeserializationError, InvalidRequest
from ..messages import (
    CacheControl,
    ContentBlock,
    Message,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from ._anthropic_stream import (
    AnthropicStreamAccumulator,
    error_from_event,
    error_from_payload,
    merge_usage,
    stop_reason,
)
from ._wire_json import as_dict, as_list, opt_str, req_str
from .base import Request, Response

__all__ = [
    "MAX_CACHE_BREAKPOINTS",
    "AnthropicStreamAccumulator",
    "anthropic_body",
    "error_from_event",
    "merge_usage",
    "parse_anthropic_response",
    "stop_reason",
]

MAX_CACHE_BREAKPOINTS = 4

# --- the request body --------------------------------------------------------


def anthropic_body(request: Request, *, stream: bool) -> dict[str, Any]:
    """The JSON body for ``POST /v1/messages``.

    Built by hand rather than with ``model_dump``: it runs on every turn over
    the whole history, and hand-built dicts are twice as fast (0.1 ms for 150
    messages) and say exactly which keys are left out. The body shares tool
    inputs and schemas with the request; treat it as read-only.
    """
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [_message(m) for m in request.messages],
    }
    if request.system:
        body["system"] = [
            _cached({"type": "text", "text": b.text}, b.cache_control) for b in request.system
        ]
    if request.tools:
        body["tools"] = [
            _cached(
                {"name": t.name, "description": t.description, "input_schema": t.input_schema},
                t.cache_control,
            )
            for t in request.tools
        ]
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.stop_sequences:
        body["stop_sequences"] = list(request.stop_sequences)
    if stream:
        body["stream"] = True
    body.update(request.extra)
    _check_cache_breakpoints(body)
    return body


def _message(message: Message) -> dict[str, Any]:
    return {
        "role": message.role.value,
        "content": [_BLOCK_TO_WIRE[b.type](b) for b in message.content],
    }


def _cached(wire: dict[str, Any], cache_control: CacheControl | None) -> dict[str, Any]:
    if cache_control is not None:
        control: dict[str, str] = {"type": cache_control.type}
        if cache_control.ttl is not None:
            control["ttl"] = cache_control.ttl
        wire["cache_control"] = control
    return wire


def _text(block: TextBlock) -> dict[str, Any]:
    return _cached({"type": "text", "text": block.text}, block.cache_control)


def _tool_use(block: ToolUseBlock) -> dict[str, Any]:
    return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}


def _tool_result(block: ToolResultBlock) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": block.tool_use_id,
        "content": block.content,
    }
    if block.is_error:
        wire["is_error"] = True
    return _cached(wire, block.cache_control)


def _thinking(block: ThinkingBlock) -> dict[str, Any]:
    return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}


def _redacted_thinking(block: RedactedThinkingBlock) -> dict[str, Any]:
    return {"type": "redacted_thinking", "data": block.data}


_BLOCK_TO_WIRE: dict[str, Callable[[Any], dict[str, Any]]] = {
    "text": _text,
    "tool_use": _tool_use,
    "tool_result": _tool_result,
    "thinking": _thinking,
    "redacted_thinking": _redacted_thinking,
}


def _check_cache_breakpoints(body: dict[str, Any]) -> None:
    """Refuse what the API would answer with a 400: a fifth ``cache_control`` marker, or a
    1-hour marker after a 5-minute one (the cache is laid out tools, system, messages)."""
    ttls = _ttls(body.get("tools")) + _ttls(body.get("system"))
    for message in body.get("messages") or ():
        ttls += _ttls(message.get("content") if isinstance(message, dict) else None)
    count = len(ttls) + int("cache_control" in body)  # automatic caching takes a slot too
    if count > MAX_CACHE_BREAKPOINTS:
        raise InvalidRequest(
            f"the request sets {count} cache breakpoints (cache_control) across tools, system "
            f"and messages; the Anthropic API allows at most {MAX_CACHE_BREAKPOINTS}"
        )
    if "5m" in ttls and "1h" in ttls[ttls.index("5m") :]:
        raise InvalidRequest(
            "a 1-hour cache breakpoint comes after a 5-minute one; the API wants the longer "
            "lifetimes first (tools, then system, then messages)"
        )


def _ttls(items: object) -> list[str]:
    """The lifetime of each ``cache_control`` marker in a list of blocks, in order."""
    if not isinstance(items, list):
        return []
    return [
        str(item["cache_control"].get("ttl") or "5m")
        if isinstance(item["cache_control"], dict)
        else "5m"
        for item in items
        if isinstance(item, dict) and "cache_control" in item
    ]


# --- the response ------------------------------------------------------------


def parse_anthropic_response(data: object) -> Response:
    """A ``Response`` from the decoded JSON of a non-streaming answer."""
    message = as_dict(data, "the response")
    if message.get("type") == "error":
        raise error_from_payload(message, "an error came with a success status")
    content: list[ContentBlock] = []
    for i, item in enumerate(as_list(message.get("content"), "the response's content")):
        block = _response_block(as_dict(item, f"content[{i}]"), f"content[{i}]")
        if block is not None:
            content.append(block)
    has_tool_use = any(isinstance(b, ToolUseBlock) for b in content)
    reason = stop_reason(opt_str(message, "stop_reason", "the response"), has_tool_use)
    usage = message.get("usage")
    return Response(content, reason, merge_usage(Usage(), usage, "the response's usage"))


def _response_block(wire: dict[str, Any], where: str) -> ContentBlock | None:
    """One content block; None for empty text and kinds we do not model (server tools…)."""
    kind = req_str(wire, "type", where)
    if kind == "text":
        text = req_str(wire, "text", where)
        return TextBlock(text) if text else None
    if kind == "tool_use":
        tool_input = wire.get("input", {})
        if not isinstance(tool_input, dict):
            raise DeserializationError(f"{where}.input should be a JSON object")
        return ToolUseBlock(req_str(wire, "id", where), req_str(wire, "name", where), tool_input)
    if kind == "thinking":
        signature = opt_str(wire, "signature", where) or ""
        return ThinkingBlock(thinking=req_str(wire, "thinking", where), signature=signature)
    if kind == "redacted_thinking":
        return RedactedThinkingBlock(data=req_str(wire, "data", where))
    return None
