"""OpenAI Chat Completions wire format, as OpenAI and the servers that copy it speak it.

Pure functions and one accumulator, no HTTP: the ``OpenAICompatible``
provider calls them. The stream accumulator and the mappings both kinds of
answer share (finish reasons, usage, tool arguments, errors in a 200) live in
``_openai_stream``, whose docstring says how each is mapped; they are
re-exported here.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import DeserializationError
from ..messages import (
    ContentBlock,
    Message,
    Role,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from ._openai_stream import (
    OpenAIStreamAccumulator,
    error_from_payload,
    is_error,
    parse_arguments,
    parse_usage,
    reasoning,
    stop_reason,
)
from ._wire_json import as_dict, as_list, opt_list, opt_str, req_str
from .base import Request, Response

__all__ = [
    "OpenAIStreamAccumulator",
    "error_from_payload",
    "openai_body",
    "parse_arguments",
    "parse_openai_response",
    "stop_reason",
]

# --- the request body --------------------------------------------------------


def openai_body(
    request: Request,
    *,
    stream: bool,
    max_tokens_field: str = "max_tokens",
    include_usage: bool = True,
) -> dict[str, Any]:
    """The JSON body for ``POST /chat/completions``.

    ``max_tokens_field="max_completion_tokens"`` is for OpenAI's newer models,
    which refuse ``max_tokens``; ``include_usage=False`` is for gateways that
    refuse ``stream_options``. Prompt-cache markers have no place here and
    are left out, and so are Anthropic's signed thinking blocks; an unsigned
    one is a compatible server's reasoning and goes back as it came, as
    ``reasoning_content`` (DeepSeek and Kimi refuse a tool loop without it).
    """
    body: dict[str, Any] = {"model": request.model, "messages": _messages(request)}
    body[max_tokens_field] = request.max_tokens
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.input_schema,
                },
            }
            for t in request.tools
        ]
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.stop_sequences:
        body["stop"] = list(request.stop_sequences)
    if stream:
        body["stream"] = True
        if include_usage:
            body["stream_options"] = {"include_usage": True}
    body.update(request.extra)
    return body


def _messages(request: Request) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    if request.system:
        wire.append({"role": "system", "content": "\n\n".join(b.text for b in request.system)})
    for message in request.messages:
        if message.role is Role.USER:
            wire += _user_messages(message)
        else:
            wire += _assistant_message(message)
    return wire


def _user_messages(message: Message) -> list[dict[str, Any]]:
    """A user turn: its text as one message, each tool result as its own ``tool`` message."""
    wire: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ToolResultBlock):
            wire += _user_text(texts)
            texts = []
            content = f"[error] {block.content}" if block.is_error else block.content
            wire.append({"role": "tool", "tool_call_id": block.tool_use_id, "content": content})
    return wire + _user_text(texts)


def _user_text(texts: list[str]) -> list[dict[str, Any]]:
    text = "\n".join(texts)
    return [{"role": "user", "content": text}] if text else []


def _assistant_message(message: Message) -> list[dict[str, Any]]:
    """An assistant turn, or nothing when it has neither text nor tool calls (servers refuse it)."""
    texts = [b.text for b in message.content if isinstance(b, TextBlock)]
    calls = [
        {
            "id": b.id,
            "type": "function",
            "function": {"name": b.name, "arguments": _arguments(b.input)},
        }
        for b in message.content
        if isinstance(b, ToolUseBlock)
    ]
    if not texts and not calls:
        return []
    wire: dict[str, Any] = {"role": "assistant"}
    reasoning = [
        b.thinking for b in message.content if isinstance(b, ThinkingBlock) and not b.signature
    ]
    if reasoning:
        wire["reasoning_content"] = "".join(reasoning)
    if texts:
        wire["content"] = "\n".join(texts)
    if calls:
        wire["tool_calls"] = calls
    return [wire]


def _arguments(tool_input: dict[str, Any]) -> str:
    # Compact, sorted and raw UTF-8: byte for byte what the Rust original sends.
    return json.dumps(tool_input, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


# --- the response ------------------------------------------------------------


def parse_openai_response(data: object) -> Response:
    """A ``Response`` from the decoded JSON of a non-streaming answer."""
    body = as_dict(data, "the response")
    if is_error(body):
        raise error_from_payload(body)
    choices = as_list(body.get("choices"), "the response's choices")
    if not choices:
        raise DeserializationError("the response has no choices")
    choice = as_dict(choices[0], "choices[0]")
    finish_reason = opt_str(choice, "finish_reason", "choices[0]")
    if finish_reason == "error":
        raise error_from_payload(body, "the server ended the answer with an error")
    where = "choices[0].message"
    message = as_dict(choice.get("message"), where)
    content: list[ContentBlock] = []
    thought = reasoning(message, where)
    if thought:
        content.append(ThinkingBlock(thinking=thought))
    text = opt_str(message, "content", where)
    refusal = opt_str(message, "refusal", where)
    if text or refusal:
        content.append(TextBlock((text or "") + (refusal or "")))
    calls = [
        _tool_call(as_dict(call, f"tool_calls[{i}]"), i)
        for i, call in enumerate(opt_list(message, "tool_calls", where))
    ]
    content.extend(calls)
    usage = body.get("usage")
    return Response(
        content,
        StopReason.REFUSAL if refusal and not calls else stop_reason(finish_reason, bool(calls)),
        Usage() if usage is None else parse_usage(usage, "the response's usage"),
    )


def _tool_call(call: dict[str, Any], position: int) -> ToolUseBlock:
    where = f"tool_calls[{position}]"
    function = as_dict(call.get("function"), f"{where}.function")
    name = req_str(function, "name", f"{where}.function")
    call_id = opt_str(call, "id", where) or f"call_{position}"
    return ToolUseBlock(call_id, name, parse_arguments(function.get("arguments")) or {})
