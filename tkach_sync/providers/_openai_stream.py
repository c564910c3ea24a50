"""OpenAI-compatible streamed answers, and the mappings streamed and whole answers share.

Finish reasons: ``stop`` → ``END_TURN`` (``TOOL_USE`` when tool calls came,
as some servers say ``stop`` anyway), ``length`` → ``MAX_TOKENS``,
``tool_calls``/``function_call`` → ``TOOL_USE``, ``content_filter`` →
``REFUSAL``, ``stop_sequence`` → ``STOP_SEQUENCE``; a missing or unknown one
is inferred from the tool calls.

Usage: OpenAI's ``prompt_tokens`` includes the cached tokens, while our
``input_tokens`` is the uncached part (as Anthropic reports it), so
``input_tokens = prompt_tokens - cached`` and ``cache_read_input_tokens =
cached``, where ``cached`` is ``prompt_tokens_details.cached_tokens`` (or
DeepSeek's ``prompt_cache_hit_tokens``).

Errors inside a 200 (``{"error": …}``, vLLM's ``{"object": "error", …}``, or
OpenRouter's ``finish_reason: "error"``) become the error the same failure
has as an HTTP answer: rate limits → ``RateLimited`` (429), overloads and
503s → ``Overloaded``, ``server_error`` and other 5xx → a retryable
``ApiError``; quota exhaustion is a 429 that is never retried; an error of
unknown kind keeps the stream's status, 200, and is not retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, DeserializationError, Overloaded, RateLimited
from ..events import ContentDelta, Done, MessageDelta, StreamEvent, ToolUse, UsageReport
from ..messages import ContentBlock, StopReason, ThinkingBlock, Usage
from ._wire_json import as_dict, opt_count, opt_dict, opt_list, opt_str, parse_json

__all__ = [
    "OpenAIStreamAccumulator",
    "error_from_payload",
    "is_error",
    "parse_arguments",
    "parse_usage",
    "reasoning",
    "stop_reason",
]

# --- finish reasons, usage and arguments -------------------------------------

_FINISH_REASONS = {
    "length": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "content_filter": StopReason.REFUSAL,
    "stop_sequence": StopReason.STOP_SEQUENCE,
}


def stop_reason(finish_reason: str | None, has_tool_calls: bool) -> StopReason:
    """Our stop reason for a ``finish_reason`` (see the module docstring)."""
    known = _FINISH_REASONS.get(finish_reason or "")
    if known is not None:
        return known
    return StopReason.TOOL_USE if has_tool_calls else StopReason.END_TURN


def parse_usage(wire: object, where: str) -> Usage:
    counts = as_dict(wire, where)
    prompt = opt_count(counts, "prompt_tokens", where) or 0
    details = opt_dict(counts, "prompt_tokens_details", where)
    cached = (
        opt_count(details, "cached_tokens", f"{where}.prompt_tokens_details") if details else None
    )
    if cached is None:
        cached = opt_count(counts, "prompt_cache_hit_tokens", where) or 0
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=opt_count(counts, "completion_tokens", where) or 0,
        cache_read_input_tokens=cached,
    )


def reasoning(fields: dict[str, Any], where: str) -> str | None:
    """A message's or delta's reasoning: DeepSeek's ``reasoning_content``, or
    ``reasoning``, its newer name in vLLM and OpenRouter's."""
    return opt_str(fields, "reasoning_content", where) or _text(fields.get("reasoning"))


def parse_arguments(raw: object) -> dict[str, Any] | None:
    """A tool call's input from its ``arguments``; None when they hold no clear JSON object.

    Servers send ``""`` or null for no arguments (→ ``{}``), an object instead
    of a string, the object twice (``{…}{…}``: the first is kept), or the
    object encoded twice as a JSON string.
    """
    if isinstance(raw, dict):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    value = _one_value(raw) if isinstance(raw, str) else None
    if isinstance(value, str):
        value = _one_value(value)
    return value if isinstance(value, dict) else None


def _one_value(text: str) -> object:
    """The JSON value in ``text``, also when one identical copy of it follows."""
    text = text.strip()
    try:
        value, end = json.JSONDecoder().raw_decode(text)
        rest = text[end:].strip()
        return value if not rest or json.loads(rest) == value else None
    except (ValueError, RecursionError):
        return None


# --- errors ------------------------------------------------------------------

_QUOTA = frozenset({"insufficient_quota", "credit_balance_exhausted", "billing_hard_limit_reached"})
_RATE_LIMITED = frozenset({"rate_limit_error", "rate_limit_exceeded", "slow_down"})
_OVERLOADED = frozenset(
    {
        "overloaded_error",
        "overloaded",
        "server_overloaded",
        "engine_overloaded",
        "service_unavailable",
    }
)
_SERVER = frozenset({"server_error", "api_error", "internal_error", "internal_server_error"})
_CLIENT = {
    "invalid_request_error": 400,
    "BadRequestError": 400,
    "context_length_exceeded": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "not_found_error": 404,
}


def is_error(payload: dict[str, Any]) -> bool:
    """Whether a 200 body or chunk is really an error (OpenAI's and vLLM's forms)."""
    return bool(payload.get("error")) or payload.get("object") == "error"


def error_from_payload(payload: dict[str, Any], fallback: str = "") -> ApiError:
    """The error a body or chunk reports, classified as the module docstring says."""
    error = payload.get("error")
    details = error if isinstance(error, dict) else payload
    message = _text(details.get("message")) or _text(error) or fallback or "no message"
    error_type, code = _text(details.get("type")), details.get("code")
    kinds = {k for k in (error_type, _text(code)) if k}
    status = code if type(code) is int and 400 <= code <= 599 else None
    return _classified(kinds, status, message, error_type or _text(code))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _classified(kinds: set[str], status: int | None, message: str, kind: str | None) -> ApiError:
    if kinds & _QUOTA:
        return ApiError(status or 429, message, kind, retryable=False)
    if kinds & _RATE_LIMITED or status == 429:
        return RateLimited(429, message, kind)
    if kinds & _OVERLOADED or status in (503, 529):
        return Overloaded(status or 503, message, kind)
    if kinds & _SERVER:
        return ApiError(status or 500, message, kind, retryable=True)
    client = next((_CLIENT[k] for k in kinds if k in _CLIENT), None)
    return ApiError(status or client or 200, message, kind)


# --- the stream --------------------------------------------------------------


@dataclass(slots=True)
class _Slot:
    """One tool call being assembled from fragments."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def is_complete(self) -> bool:
        text = "".join(self.arguments)
        return bool(text.strip()) and parse_arguments(text) is not None


class OpenAIStreamAccumulator:
    """Turns the ``data:`` payloads of one streamed answer into ``StreamEvent``s.

    Feed it each event's data, and call ``finish()`` at the end of the body.
    Text goes out at once. Tool calls are assembled from their fragments and
    go out whole at ``[DONE]``, then the usage, the stop reason and ``Done``.

    Fragments find their call by ``index``. Without an index, a fragment
    continues the last call unless it brings a new id (or, without an id, a
    function name after the last call's arguments are complete). At a known
    index, a new id after complete arguments starts a new call (servers that
    send every call at index 0). The first id and name win, never
    concatenated; arguments are appended. A call without an id gets
    ``call_<n>``, n its position. A call that never got an id nor a name is
    noise and is dropped; one with an id but no name is a protocol error.

    Arguments that hold no clear JSON object become ``{}`` (the tool then
    rejects them and the model sees why); under ``finish_reason: "length"``
    such a call was cut short and is dropped, as on Anthropic. Usage is the
    last non-null ``usage`` (or ``x_groq.usage``); none at all reads as zero.

    Blank data and data starting with ``:`` (a keep-alive sent as data) are
    skipped; anything else that is not JSON raises ``DeserializationError``,
    so garbage never passes silently. Data after ``[DONE]`` is ignored. At the
    end of the body without ``[DONE]``, the answer is flushed as at
    ``[DONE]`` if a ``finish_reason`` came, and is a truncated stream if not.

    Reasoning (``reasoning_content`` or ``reasoning``) is kept for ``thinking()``,
    not streamed: the agent sends it back with the turn. A ``refusal`` is
    streamed as text, and the answer stops with ``REFUSAL``.
    """

    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._by_index: dict[int, _Slot] = {}
        self._usage = Usage()
        self._finish_reason: str | None = None
        self._reasoning: list[str] = []
        self._refused = False
        self._done = False

    def feed(self, data: str) -> list[StreamEvent]:
        """The events one ``data:`` payload yields; raises the error an error chunk reports."""
        text = data.strip()
        if self._done or not text or text.startswith(":"):
            return []
        if text.startswith("[DONE]"):
            return self._flush()
        chunk = as_dict(parse_json(text, "a stream chunk"), "a stream chunk")
        if is_error(chunk):
            raise error_from_payload(chunk)
        self._read_usage(chunk)
        events: list[StreamEvent] = []
        for i, item in enumerate(opt_list(chunk, "choices", "a stream chunk")):
            choice = as_dict(item, f"choices[{i}]")
            if choice.get("index", 0) == 0:  # other choices exist only when n > 1
                events += self._read_choice(chunk, choice)
        return events

    def finish(self) -> list[StreamEvent]:
        """The events owed at the end of the body; raises if the answer was cut off."""
        if self._done:
            return []
        if self._finish_reason is None:
            raise DeserializationError("the stream ended before the answer was complete")
        return self._flush()

    def thinking(self) -> list[ContentBlock]:
        """The answer's reasoning, to send back with it (unsigned: not Anthropic's)."""
        return [ThinkingBlock(thinking="".join(self._reasoning))] if self._reasoning else []

    def _read_usage(self, chunk: dict[str, Any]) -> None:
        """Keep the last usage seen; Groq used to put it in ``x_groq``."""
        groq = opt_dict(chunk, "x_groq", "a stream chunk") or {}
        if chunk.get("usage") is not None:
            self._usage = parse_usage(chunk["usage"], "a stream chunk's usage")
        if groq.get("usage") is not None:
            self._usage = parse_usage(groq["usage"], "a stream chunk's x_groq.usage")

    def _read_choice(self, chunk: dict[str, Any], choice: dict[str, Any]) -> list[StreamEvent]:
        finish_reason = opt_str(choice, "finish_reason", "choices[0]")
        if finish_reason == "error":
            raise error_from_payload(chunk, "the server ended the answer with an error")
        delta = opt_dict(choice, "delta", "choices[0]") or {}
        text = opt_str(delta, "content", "choices[0].delta")
        thought = reasoning(delta, "choices[0].delta")
        if thought:
            self._reasoning.append(thought)
        refusal = opt_str(delta, "refusal", "choices[0].delta")
        if refusal:
            self._refused = True
            text = (text or "") + refusal
        for i, fragment in enumerate(opt_list(delta, "tool_calls", "choices[0].delta")):
            self._add_fragment(as_dict(fragment, f"choices[0].delta.tool_calls[{i}]"))
        if finish_reason:
            self._finish_reason = finish_reason
        return [ContentDelta(text)] if text else []

    def _add_fragment(self, fragment: dict[str, Any]) -> None:
        where = "a tool_calls fragment"
        index = fragment.get("index")
        if index is not None and (type(index) is not int or index < 0):
            raise DeserializationError(f"{where} has the index {index!r}")
        function = opt_dict(fragment, "function", where) or {}
        call_id = opt_str(fragment, "id", where) or ""
        name = opt_str(function, "name", f"{where}.function") or ""
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            arguments = json.dumps(arguments)
        elif arguments is not None and not isinstance(arguments, str):
            raise DeserializationError(f"{where}.function.arguments should be a string")
        slot = self._slot_for(index, call_id, name)
        slot.id = slot.id or call_id
        slot.name = slot.name or name
        if arguments:
            slot.arguments.append(arguments)

    def _slot_for(self, index: int | None, call_id: str, name: str) -> _Slot:
        """The call a fragment belongs to; a new one when the fragment starts one."""
        if index is None:
            slot = self._slots[-1] if self._slots else None
        else:
            slot = self._by_index.get(index)
        if slot is None or _starts_new_call(slot, call_id, name, indexed=index is not None):
            slot = _Slot()
            self._slots.append(slot)
            if index is not None:
                self._by_index[index] = slot
        return slot

    def _flush(self) -> list[StreamEvent]:
        calls: list[StreamEvent] = []
        for position, slot in enumerate(self._slots):
            arguments = parse_arguments("".join(slot.arguments))
            if not slot.name:
                if slot.id:
                    raise DeserializationError(f"tool call {slot.id} never named its function")
                continue  # noise: neither id nor name
            if arguments is None and self._finish_reason == "length":
                continue  # cut short by the token limit: dropped
            calls.append(ToolUse(slot.id or f"call_{position}", slot.name, arguments or {}))
        self._done = True
        if self._refused and not calls:
            reason = StopReason.REFUSAL
        else:
            reason = stop_reason(self._finish_reason, bool(calls))
        return [*calls, UsageReport(self._usage), MessageDelta(reason), Done()]


def _starts_new_call(slot: _Slot, call_id: str, name: str, *, indexed: bool) -> bool:
    """Whether a fragment that lands on ``slot`` really starts another call."""
    if indexed:  # servers that send every call at index 0 change only the id
        return bool(call_id and slot.id and call_id != slot.id and slot.is_complete())
    if call_id:
        return call_id != slot.id
    return bool(name) and slot.is_complete()
