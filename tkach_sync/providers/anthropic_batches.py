"""Anthropic Message Batches: the same requests, run asynchronously at half the price.

Submit with ``create_batch``, poll with ``retrieve_batch`` (or let
``wait_for_batch`` poll at your cadence), then read the rows with
``batch_results``: the JSONL file is read line by line, never held whole.
Every rule the API enforces on what is submitted (``custom_id`` form and
uniqueness, request count, total size) is checked before any HTTP call.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..cancel import CancellationToken
from ..errors import ApiError, BatchNotReady, DeserializationError, InvalidRequest, RequestCancelled
from ._anthropic_wire import anthropic_body, parse_anthropic_response
from ._http import HttpClient
from ._jsonl import JsonLines
from ._wire_json import as_dict, as_list, opt_count, opt_dict, opt_str, req_str
from .base import Request, Response

__all__ = [
    "BatchCounts",
    "BatchHandle",
    "BatchPage",
    "BatchRequest",
    "BatchResult",
    "BatchStatus",
    "BatchesMixin",
    "Canceled",
    "Errored",
    "Expired",
    "Succeeded",
]

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_BATCH_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024
_PATH = "/v1/messages/batches"


class BatchStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    CANCELING = "canceling"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """Requests per state; all but ``processing`` stay 0 until the whole batch ends."""

    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired


@dataclass(frozen=True, slots=True)
class BatchHandle:
    id: str
    status: BatchStatus
    request_counts: BatchCounts
    created_at: datetime
    ended_at: datetime | None
    expires_at: datetime
    """24 hours after creation; unfinished requests then end as expired."""
    cancel_initiated_at: datetime | None = None
    archived_at: datetime | None = None
    results_url: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status is BatchStatus.ENDED


@dataclass(frozen=True, slots=True)
class BatchRequest:
    custom_id: str
    params: Request


@dataclass(frozen=True, slots=True)
class Succeeded:
    response: Response


@dataclass(frozen=True, slots=True)
class Errored:
    error_type: str
    message: str


@dataclass(frozen=True, slots=True)
class Canceled:
    pass


@dataclass(frozen=True, slots=True)
class Expired:
    pass


BatchOutcome = Succeeded | Errored | Canceled | Expired


@dataclass(frozen=True, slots=True)
class BatchResult:
    custom_id: str
    outcome: BatchOutcome


@dataclass(frozen=True, slots=True)
class BatchPage:
    """One page of ``list_batches``, newest first; iterate it for its handles."""

    batches: list[BatchHandle]
    has_more: bool
    first_id: str | None
    last_id: str | None

    def __iter__(self) -> Iterator[BatchHandle]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class BatchesMixin:
    """The batch endpoints, on the ``Anthropic`` provider."""

    _http: HttpClient

    def create_batch(
        self, requests: Sequence[BatchRequest], cancel: CancellationToken | None = None
    ) -> BatchHandle:
        """Submit requests as one batch; everything the API would refuse is refused first."""
        body = _encode_batch(requests)
        token = cancel or CancellationToken()
        return _handle(self._http.request_json("POST", _PATH, token, body=body))

    def retrieve_batch(self, batch_id: str, cancel: CancellationToken | None = None) -> BatchHandle:
        token = cancel or CancellationToken()
        return _handle(self._http.request_json("GET", f"{_PATH}/{_id(batch_id)}", token))

    def list_batches(
        self,
        limit: int | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        cancel: CancellationToken | None = None,
    ) -> BatchPage:
        if limit is not None and not 1 <= limit <= 1000:
            raise InvalidRequest("limit must be between 1 and 1000")
        params = {
            k: v
            for k, v in {"limit": limit, "before_id": before_id, "after_id": after_id}.items()
            if v is not None
        }
        data = self._http.request_json("GET", _PATH, cancel or CancellationToken(), params=params)
        page = as_dict(data, "the batch list")
        return BatchPage(
            [_handle(item) for item in as_list(page.get("data"), "the batch list's data")],
            page.get("has_more") is True,
            opt_str(page, "first_id", "the batch list"),
            opt_str(page, "last_id", "the batch list"),
        )

    def iter_batches(
        self, page_size: int | None = None, cancel: CancellationToken | None = None
    ) -> Iterator[BatchHandle]:
        """Every batch, page after page, newest first."""
        after_id = None
        while True:
            page = self.list_batches(page_size, after_id=after_id, cancel=cancel)
            yield from page
            if not page.has_more or page.last_id is None:
                return
            after_id = page.last_id

    def cancel_batch(self, batch_id: str, cancel: CancellationToken | None = None) -> BatchHandle:
        """Ask the API to stop a batch; it moves to ``canceling``, then ``ended``."""
        token = cancel or CancellationToken()
        return _handle(self._http.request_json("POST", f"{_PATH}/{_id(batch_id)}/cancel", token))

    def batch_results(
        self, batch_id: str, cancel: CancellationToken | None = None
    ) -> Iterator[BatchResult]:
        """The rows of an ended batch, read line by line; ``BatchNotReady`` before it ended.

        Rows come in no particular order: match them by ``custom_id``. Leaving
        early? ``close()`` the iterator (or use it in a ``with``) to hang up.
        """
        token = cancel or CancellationToken()
        handle = self.retrieve_batch(batch_id, token)
        if not handle.is_terminal or handle.results_url is None:
            raise BatchNotReady(handle.status.value)
        url = handle.results_url
        try:
            response = self._http.with_retries(lambda: self._http.send("GET", url, token), token)
        except ApiError as exc:
            if exc.status in (400, 404):  # the batch may have changed under us
                current = self.retrieve_batch(batch_id, token)
                if not current.is_terminal:
                    raise BatchNotReady(current.status.value) from exc
            raise
        return JsonLines(response, token, _row)

    def wait_for_batch(
        self,
        batch: str | BatchHandle,
        *,
        poll_interval: float,
        timeout: float | None = None,
        cancel: CancellationToken | None = None,
        on_progress: Callable[[BatchHandle], object] | None = None,
    ) -> BatchHandle:
        """Poll until the batch ended; the wait sleeps on the token, so a cancel ends it at once.

        ``on_progress`` sees every handle polled. Past ``timeout`` seconds this
        raises ``BatchNotReady`` with the last status.
        """
        if not poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0 seconds, not {poll_interval!r}")
        token = cancel or CancellationToken()
        batch_id = batch if isinstance(batch, str) else batch.id
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            handle = self.retrieve_batch(batch_id, token)
            if on_progress is not None:
                on_progress(handle)
            if handle.is_terminal:
                return handle
            delay = poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BatchNotReady(handle.status.value)
                delay = min(delay, remaining)
            if token.wait(delay):
                raise RequestCancelled("stopped waiting for the batch: cancelled")


# --- encoding ----------------------------------------------------------------


def _encode_batch(requests: Sequence[BatchRequest]) -> bytes:
    """The create body, encoded one request at a time so an oversized batch stops early."""
    _check_custom_ids(requests)
    parts: list[bytes] = []
    size = len(b'{"requests":[]}') - 1  # each request then adds itself and a comma
    for index, r in enumerate(requests):
        item = {"custom_id": r.custom_id, "params": anthropic_body(r.params, stream=False)}
        part = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
        size += len(part) + 1
        if size > MAX_BYTES:
            raise InvalidRequest(
                f"the batch passes the API's limit of {MAX_BYTES} bytes (256 MB) at request "
                f"{index} ({r.custom_id!r}); split it into smaller batches"
            )
        parts.append(part)
    return b'{"requests":[' + b",".join(parts) + b"]}"


def _check_custom_ids(requests: Sequence[BatchRequest]) -> None:
    if not requests:
        raise InvalidRequest("a batch needs at least one request")
    if len(requests) > MAX_REQUESTS:
        raise InvalidRequest(f"a batch holds at most {MAX_REQUESTS} requests, not {len(requests)}")
    seen: set[str] = set()
    for r in requests:
        if not isinstance(r.custom_id, str) or not CUSTOM_ID.match(r.custom_id):
            raise InvalidRequest(
                f"invalid custom_id {r.custom_id!r}: it must match {CUSTOM_ID.pattern}"
            )
        if r.custom_id in seen:
            raise InvalidRequest(f"duplicate custom_id {r.custom_id!r} (must be unique)")
        seen.add(r.custom_id)


def _id(batch_id: str) -> str:
    """A batch id safe to put in a path: ``msgbatch_`` ids are letters, digits and ``_``."""
    if not isinstance(batch_id, str) or not _BATCH_ID.match(batch_id):
        raise InvalidRequest(f"not a batch id: {batch_id!r}")
    return batch_id


# --- decoding ----------------------------------------------------------------


def _time(data: dict[str, Any], key: str, where: str) -> datetime | None:
    value = opt_str(data, key, where)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DeserializationError(f"{where}.{key}: bad timestamp {value!r}") from exc
    if parsed.tzinfo is None:
        raise DeserializationError(f"{where}.{key}: timestamp {value!r} has no time zone")
    return parsed


def _required_time(data: dict[str, Any], key: str, where: str) -> datetime:
    moment = _time(data, key, where)
    if moment is None:
        raise DeserializationError(f"{where}.{key} is required")
    return moment


def _handle(data: object) -> BatchHandle:
    batch = as_dict(data, "the batch")
    where = f"batch {req_str(batch, 'id', 'the batch')}"
    status = req_str(batch, "processing_status", where)
    try:
        processing_status = BatchStatus(status)
    except ValueError:
        raise DeserializationError(f"{where}: unknown processing_status {status!r}") from None
    counts = opt_dict(batch, "request_counts", where) or {}
    return BatchHandle(
        id=batch["id"],
        status=processing_status,
        request_counts=BatchCounts(
            **{
                name: opt_count(counts, name, f"{where}.request_counts") or 0
                for name in BatchCounts.__dataclass_fields__
            }
        ),
        created_at=_required_time(batch, "created_at", where),
        ended_at=_time(batch, "ended_at", where),
        expires_at=_required_time(batch, "expires_at", where),
        cancel_initiated_at=_time(batch, "cancel_initiated_at", where),
        archived_at=_time(batch, "archived_at", where),
        results_url=opt_str(batch, "results_url", where),
    )


def _row(line: bytes, number: int) -> BatchResult:
    where = f"batch results line {number}"
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise DeserializationError(f"{where} is not JSON: {line[:120]!r}") from exc
    except RecursionError:
        raise DeserializationError(f"{where} is nested too deeply") from None
    row = as_dict(data, where)
    custom_id = req_str(row, "custom_id", where)
    result = as_dict(row.get("result"), f"{where}: result")
    kind = result.get("type")
    if kind == "succeeded":
        try:
            response = parse_anthropic_response(result.get("message"))
        except DeserializationError as exc:
            raise DeserializationError(f"{where}: {exc}") from exc
        return BatchResult(custom_id, Succeeded(response))
    if kind == "errored":
        return BatchResult(custom_id, _errored(result.get("error"), where))
    if kind == "canceled":
        return BatchResult(custom_id, Canceled())
    if kind == "expired":
        return BatchResult(custom_id, Expired())
    raise DeserializationError(f"{where}: unknown result type {kind!r}")


def _errored(error: object, where: str) -> Errored:
    # The real line nests the error twice ({"type":"error","error":{type,message}});
    # some clients flatten it. Both are understood.
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]
    if not isinstance(error, dict):
        raise DeserializationError(f"{where}: an errored row has no error object")
    return Errored(str(error.get("type") or "unknown_error"), str(error.get("message") or ""))
