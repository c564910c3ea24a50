"""Message Batches in wire form (protocols.md C.2-C.5): the checks, the pages, the result lines.

Pure functions, and the record of one batch; ``_batches`` holds the records and serves them.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from . import _anthropic
from ._pieces import dump
from ._render import DEFAULT_MODEL
from ._turns import Turn

__all__ = [
    "MAX_BYTES",
    "MAX_REQUESTS",
    "Batch",
    "Outcome",
    "batch_id",
    "create_error",
    "outcome_kind",
    "page_of",
    "result_line",
    "result_lines",
    "timestamp",
]

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024

Outcome = Turn | Literal["canceled", "expired"]
"""What became of one request: a Turn (succeeded, or errored for an error turn), or neither ran."""

_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_SLOT = "@@custom_id@@"  # "@" is outside the custom id alphabet
_ID_CHARS = string.ascii_letters + string.digits


def batch_id() -> str:
    """A fresh id shaped like the real ones, e.g. ``msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d``."""
    return "msgbatch_01" + "".join(secrets.choice(_ID_CHARS) for _ in range(22))


def timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with microseconds and a ``Z``, as the API writes it."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def outcome_kind(outcome: Outcome | None) -> str:
    """The row's ``result.type``; ``None`` is the default outcome, a success."""
    if outcome is None or isinstance(outcome, Turn):
        failed = outcome is not None and outcome.api_error is not None
        return "errored" if failed else "succeeded"
    return outcome


def result_line(custom_id: str, outcome: Outcome | None, model: str) -> bytes:
    """One line of the results file, newline included (C.4)."""
    kind = outcome_kind(outcome)
    result: dict[str, Any] = {"type": kind}
    if isinstance(outcome, Turn) and outcome.api_error is not None:
        # Nested twice, as the API writes it: a whole error response inside the row.
        result["error"] = _anthropic.error_body(outcome.api_error, None)
    elif kind == "succeeded":
        turn = outcome if isinstance(outcome, Turn) else _default_turn(custom_id)
        message = _anthropic.message_json(turn, model)
        message["usage"]["service_tier"] = "batch"
        result["message"] = message
    return (dump({"custom_id": custom_id, "result": result}) + "\n").encode()


def _default_turn(custom_id: str) -> Turn:
    """The unscripted answer; its message id is ``msg_fake<custom_id>``."""
    return Turn.text(f"Answer to {custom_id}.", uid=custom_id)


@dataclass(eq=False, slots=True)
class Batch:
    """One batch as the server keeps it; ``FakeBatches`` changes it under its lock."""

    id: str
    requests: Sequence[tuple[str, str]] | int
    """``(custom_id, model)`` per request, or the size of a synthetic batch."""
    created_at: datetime
    polls_left: int | None
    status: str = "in_progress"
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    polls: int = 0
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    """Settled when the batch ends: the requests that do not simply succeed."""
    counts: dict[str, int] | None = None

    @property
    def size(self) -> int:
        return self.requests if isinstance(self.requests, int) else len(self.requests)

    def entries(self) -> Iterator[tuple[str, str]]:
        if isinstance(self.requests, int):
            return ((f"req-{i:06d}", DEFAULT_MODEL) for i in range(self.requests))
        return iter(self.requests)


def result_lines(batch: Batch, replaced: Mapping[int, bytes]) -> Iterator[bytes]:
    """The results file, one line per block, rendered only as fast as it is sent.

    Unscripted rows differ only in their ``custom_id``, so each model's is
    rendered once and the id filled in (custom ids need no JSON escaping).
    """
    defaults: dict[str, str] = {}
    for number, (custom_id, model) in enumerate(batch.entries(), start=1):
        line = replaced.get(number)
        outcome = batch.outcomes.get(custom_id)
        if line is None and outcome is None:
            if model not in defaults:
                defaults[model] = result_line(_SLOT, None, model).decode()
            line = defaults[model].replace(_SLOT, custom_id).encode()
        elif line is None:
            line = result_line(custom_id, outcome, model)
        yield line


# --- what POST /v1/messages/batches refuses ------------------------------------


def create_error(body: object) -> str | None:
    """What the API would say is wrong with this create body; ``None`` when it takes it."""
    if not isinstance(body, dict):
        return "the request body is not a JSON object"
    requests = body.get("requests")
    if not isinstance(requests, list):
        return "requests: Field required (a list of {custom_id, params})"
    if not 1 <= len(requests) <= MAX_REQUESTS:
        return f"requests: a batch holds 1 to {MAX_REQUESTS} requests, not {len(requests)}"
    seen: set[str] = set()
    for index, item in enumerate(requests):
        where = f"requests.{index}"
        error = _request_error(item, where)
        if error is not None:
            return error
        custom_id = item["custom_id"]
        if custom_id in seen:
            return f"{where}.custom_id: {custom_id!r} is used twice; custom_id must be unique"
        seen.add(custom_id)
    return None


def _request_error(item: object, where: str) -> str | None:
    if not isinstance(item, dict):
        return f"{where}: Input should be a valid dictionary"
    extra = sorted(set(item) - {"custom_id", "params"})
    if extra:
        return f"{where}.{extra[0]}: Extra inputs are not permitted"
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str):
        return f"{where}.custom_id: Field required"
    if len(custom_id) > 64:
        return f"{where}.custom_id: String should have at most 64 characters"
    if not _CUSTOM_ID.fullmatch(custom_id):
        return f"{where}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
    params = item.get("params")
    if not isinstance(params, dict):
        return f"{where}.params: Field required"
    return _params_error(params, f"{where}.params")


def _params_error(params: Mapping[str, Any], where: str) -> str | None:
    if not isinstance(params.get("model"), str):
        return f"{where}.model: Field required"
    tokens = params.get("max_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
        return f"{where}.max_tokens: Input should be an integer greater than or equal to 1"
    if not isinstance(params.get("messages"), list):
        return f"{where}.messages: Field required"
    if "stream" in params:
        return f"{where}.stream: streaming is not supported in a batch"
    return None


# --- GET /v1/messages/batches ---------------------------------------------------


def page_of(
    batches: Sequence[dict[str, Any]], query: Mapping[str, list[str]]
) -> dict[str, Any] | str:
    """The list page (C.3) of ``batches`` (newest first) that ``query`` asks for, or the error."""
    limit_text = (query.get("limit") or ["20"])[-1]
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        return f"limit: Input should be an integer from 1 to 1000, not {limit_text!r}"
    limit = int(limit_text)
    before, after = (query.get(name, [None])[-1] for name in ("before_id", "after_id"))
    if before is not None and after is not None:
        return "before_id and after_id: give one of them, not both"
    ids = [batch["id"] for batch in batches]
    for cursor in (before, after):
        if cursor is not None and cursor not in ids:
            return f"no batch with id {cursor!r} to page from"
    if before is not None:
        end = ids.index(before)
        start = max(0, end - limit)
        chosen, has_more = batches[start:end], start > 0
    else:
        start = 0 if after is None else ids.index(after) + 1
        chosen, has_more = batches[start : start + limit], start + limit < len(batches)
    return {
        "data": list(chosen),
        "has_more": has_more,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
    }
