"""Which HTTP response answers a request: status, headers and the body as a series of blocks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import _anthropic, _openai
from ._pieces import dump
from ._render import DEFAULT_MODEL, anthropic_blocks, openai_blocks
from ._turns import ErrorSpec, Faults, Turn

__all__ = [
    "Protocol",
    "Reply",
    "error_reply",
    "guess_protocol",
    "json_reply",
    "route",
    "shaped",
    "turn_reply",
]

Protocol = Literal["anthropic", "openai"]

_ROUTES: dict[str, Protocol] = {"/v1/messages": "anthropic", "/v1/chat/completions": "openai"}
_REQUEST_ID_HEADER: dict[Protocol, str] = {"anthropic": "request-id", "openai": "x-request-id"}


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    blocks: Iterable[bytes]
    """The body, one SSE event (or one raw piece) per block; lazy for streams."""
    length: int | None
    """``Content-Length``; ``None`` means a chunked body."""
    faults: Faults


def route(path: str) -> Protocol | None:
    return _ROUTES.get(path.split("?", 1)[0].rstrip("/"))


def guess_protocol(path: str) -> Protocol:
    """Which provider's error shape a stray request most likely expects."""
    return "openai" if "completions" in path else "anthropic"


def error_reply(
    protocol: Protocol, spec: ErrorSpec, request_id: str, turn: Turn | None = None
) -> Reply:
    if protocol == "anthropic":
        body = _anthropic.error_body(spec, request_id)
    else:
        body = _openai.error_body(spec)
    return json_reply(spec.status, body, protocol, request_id, turn)


def turn_reply(turn: Turn, protocol: Protocol, body: Mapping[str, Any], request_id: str) -> Reply:
    """The turn rendered for ``protocol``, as JSON or SSE as the request's ``stream`` asks."""
    if turn.raw_body is not None:
        return _raw_reply(turn)
    if turn.api_error is not None:
        return error_reply(protocol, turn.api_error, request_id, turn)
    model = body.get("model")
    model = model if isinstance(model, str) and model else DEFAULT_MODEL
    if body.get("stream") is not True:
        if protocol == "anthropic":
            message = _anthropic.message_json(turn, model)
        else:
            message = _openai.completion_json(turn, model)
        return json_reply(200, message, protocol, request_id, turn)
    if protocol == "anthropic":
        blocks = anthropic_blocks(turn, model)
    else:
        options = body.get("stream_options")
        include_usage = isinstance(options, Mapping) and options.get("include_usage") is True
        blocks = openai_blocks(turn, model, include_usage)
    headers = _headers("text/event-stream", protocol, request_id, turn)
    headers += (("cache-control", "no-cache"),)
    return Reply(200, headers, blocks, None, turn.faults)


def json_reply(
    status: int, payload: Any, protocol: Protocol, request_id: str, turn: Turn | None
) -> Reply:
    data = dump(payload).encode()
    headers = _headers("application/json", protocol, request_id, turn)
    faults = turn.faults if turn is not None else Faults()
    return Reply(status, headers, [data], len(data), faults)


def shaped(reply: Reply, turn: Turn) -> Reply:
    """``reply`` sent with ``turn``'s connection faults and extra headers."""
    return replace(reply, headers=_merge(reply.headers, turn.headers), faults=turn.faults)


def _raw_reply(turn: Turn) -> Reply:
    pieces = turn.raw_body or ()
    chunked = turn.raw_chunked
    content_type = turn.content_type or ("text/event-stream" if chunked else "application/json")
    headers = _merge((("content-type", content_type),), turn.headers)
    length = None if chunked else sum(map(len, pieces))
    return Reply(turn.raw_status, headers, pieces, length, turn.faults)


def _headers(
    content_type: str, protocol: Protocol, request_id: str, turn: Turn | None
) -> tuple[tuple[str, str], ...]:
    defaults = (("content-type", content_type), (_REQUEST_ID_HEADER[protocol], request_id))
    return _merge(defaults, turn.headers if turn is not None else ())


def _merge(
    defaults: tuple[tuple[str, str], ...], extra: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """The defaults, minus those the turn sets itself, then the turn's headers."""
    overridden = {name.lower() for name, _ in extra}
    return tuple((n, v) for n, v in defaults if n not in overridden) + extra
