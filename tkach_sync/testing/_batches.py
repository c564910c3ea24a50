"""The Message Batches endpoints of the fake server (protocols.md C.1), as ``server.batches``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from urllib.parse import parse_qs

from ._batch_wire import (
    MAX_BYTES,
    MAX_REQUESTS,
    Batch,
    Outcome,
    batch_id,
    create_error,
    outcome_kind,
    page_of,
    result_lines,
    timestamp,
)
from ._records import RecordedRequest, TurnHandle
from ._reply import Reply, error_reply, json_reply, shaped, turn_reply
from ._turns import ErrorSpec, Faults, Turn

__all__ = ["Endpoint", "FakeBatches"]

Endpoint = Literal["create", "retrieve", "list", "cancel", "results"]

_ROOT = "/v1/messages/batches"
_LIFETIME = timedelta(hours=24)
_COUNTS = ("processing", "succeeded", "errored", "canceled", "expired")


class FakeBatches:
    """The batch side of a ``FakeLLMServer``, reached as ``server.batches``.

    A POST to ``/v1/messages/batches`` creates a batch ``in_progress``; it
    stays so until the test ends it, at once or after some polls::

        server.batches.set_outcome("req-2", Turn.error(400, "max_tokens: too large"))
        server.batches.end_after_polls(1)  # batches created from now on
        ...  # create_batch, wait_for_batch, batch_results

    A request ends as scripted for its ``custom_id`` (a ``Turn`` succeeds, an
    error turn errors, or ``"canceled"`` / ``"expired"``). Unscripted requests
    succeed with "Answer to <custom_id>.", unless the batch was cancelled:
    then they had not started and end ``canceled``. Outcomes never take the
    turns queued with ``server.add``.

    Where the real API is not documented, the fake guesses: results asked for
    before the batch ended get a 404 ``not_found_error`` (clients should look
    at ``results_url`` first), and cancelling a batch that is no longer
    ``in_progress`` answers it unchanged. Rows come in request order; the
    real API promises no order.
    """

    def __init__(self, base_url: Callable[[], str]) -> None:
        self._base_url = base_url
        self._lock = threading.Lock()
        self._batches: dict[str, Batch] = {}  # oldest first
        self._outcomes: dict[str, Outcome] = {}
        self._end_after: int | None = None
        self._faults: list[tuple[Endpoint | None, TurnHandle]] = []
        self._lines: dict[int, bytes] = {}

    # --- what tests script -------------------------------------------------------

    def set_outcome(self, custom_id: str, outcome: Outcome) -> None:
        """How the request ``custom_id`` ends, in every batch that ends from now on."""
        if isinstance(outcome, Turn):
            if outcome.raw_body is not None or outcome.faults != Faults():
                raise ValueError("a batch outcome is a plain Turn: no raw body, no faults")
        elif outcome not in ("canceled", "expired"):
            raise TypeError(f"an outcome is a Turn, 'canceled' or 'expired', not {outcome!r}")
        with self._lock:
            self._outcomes[custom_id] = outcome

    def end_after_polls(self, polls: int, batch_id: str | None = None) -> None:
        """``polls`` retrieves see the batch unfinished; the next one sees it ended.

        Without ``batch_id`` it applies to the batches created from now on.
        """
        if polls < 0:
            raise ValueError("polls must be >= 0")
        with self._lock:
            if batch_id is None:
                self._end_after = polls
            else:
                self._get(batch_id).polls_left = polls

    def end(self, batch_id: str | None = None) -> None:
        """End the batch now (without an id: every batch not yet ended)."""
        with self._lock:
            batches = [self._get(batch_id)] if batch_id else list(self._batches.values())
            for batch in batches:
                if batch.status != "ended":
                    self._finish(batch)

    def add_synthetic(self, size: int, *, ended: bool = True) -> str:
        """A batch of ``size`` requests ``req-000000``… made without a POST; returns its id.

        Its rows are rendered while they are sent, so a 50,000-line results
        file costs the server no memory.
        """
        if not 1 <= size <= MAX_REQUESTS:
            raise ValueError(f"a batch holds 1 to {MAX_REQUESTS} requests")
        batch = Batch(batch_id(), size, _now(), None)
        with self._lock:
            self._batches[batch.id] = batch
            if ended:
                self._finish(batch)
        return batch.id

    def fault(self, turn: Turn, *, on: Endpoint | None = None) -> TurnHandle:
        """The next batch request (of endpoint ``on``, if given) is answered through ``turn``.

        An error or raw turn answers instead, and the request has no effect.
        Otherwise the real answer is sent with the turn's headers and
        connection faults: ``Turn().cut(after_events=3)`` on ``"results"``
        cuts the file after three lines (one line is one event).
        """
        if on is not None and on not in get_args(Endpoint):
            raise ValueError(f"on must be one of {get_args(Endpoint)}, not {on!r}")
        handle = TurnHandle(turn)
        with self._lock:
            self._faults.append((on, handle))
        return handle

    def replace_line(self, number: int, line: bytes) -> None:
        """Line ``number`` (from 1) of every results file is sent as ``line`` instead."""
        if number < 1:
            raise ValueError("line numbers start at 1")
        with self._lock:
            self._lines[number] = line if line.endswith(b"\n") else line + b"\n"

    # --- what tests observe --------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        """Every batch id, oldest first."""
        with self._lock:
            return list(self._batches)

    def snapshot(self, batch_id: str) -> dict[str, Any]:
        """The batch object as a retrieve would answer now, without counting as a poll."""
        with self._lock:
            return self._json_of(self._get(batch_id))

    def polls(self, batch_id: str) -> int:
        """How many retrieves this batch has answered."""
        with self._lock:
            return self._get(batch_id).polls

    # --- what the server uses -------------------------------------------------------

    @staticmethod
    def serves(path: str) -> bool:
        path = path.split("?", 1)[0].rstrip("/")
        return path == _ROOT or path.startswith(_ROOT + "/")

    def _answer(self, request: RecordedRequest, request_id: str) -> tuple[Reply, TurnHandle | None]:
        path, _, query = request.path.partition("?")
        rest = path.rstrip("/")[len(_ROOT) :].strip("/")
        parts = rest.split("/") if rest else []
        endpoint = _endpoint(request.method, parts, request_id)
        if isinstance(endpoint, Reply):
            return endpoint, None
        handle = self._take_fault(endpoint)
        if handle is not None:
            handle._begin(request)
            if handle.turn.api_error is not None or handle.turn.raw_body is not None:
                return turn_reply(handle.turn, "anthropic", {}, request_id), handle
        reply = self._serve(endpoint, parts, request.body, query, request_id)
        return (reply if handle is None else shaped(reply, handle.turn)), handle

    def _serve(
        self, endpoint: Endpoint, parts: Sequence[str], body: bytes, query: str, request_id: str
    ) -> Reply:
        if endpoint == "create":
            return self._create(body, request_id)
        if endpoint == "list":
            with self._lock:
                newest_first = [self._json_of(b) for b in reversed(self._batches.values())]
            page = page_of(newest_first, parse_qs(query))
            if isinstance(page, str):
                return _error(400, page, request_id)
            return _json(page, request_id)
        with self._lock:
            batch = self._batches.get(parts[0])
            if batch is None:
                return _error(404, f"no batch with id {parts[0]!r}", request_id)
            if endpoint == "retrieve":
                self._poll(batch)
            elif endpoint == "cancel" and batch.status == "in_progress":
                batch.status, batch.cancel_initiated_at = "canceling", _now()
            if endpoint != "results":
                return _json(self._json_of(batch), request_id)
            status, lines = batch.status, dict(self._lines)
        if status != "ended":
            # Our reading of the API: the file does not exist until the batch ended.
            message = f"batch {batch.id} has no results yet: it is {status}"
            return _error(404, message, request_id)
        headers = (("content-type", "application/x-jsonl"), ("request-id", request_id))
        return Reply(200, headers, result_lines(batch, lines), None, Faults())

    def _create(self, body: bytes, request_id: str) -> Reply:
        if len(body) > MAX_BYTES:
            return _error(413, f"a batch takes at most {MAX_BYTES} bytes", request_id)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        problem = create_error(data)
        if problem is not None:
            return _error(400, problem, request_id)
        entries = [(item["custom_id"], item["params"]["model"]) for item in data["requests"]]
        with self._lock:
            batch = Batch(batch_id(), entries, _now(), self._end_after)
            self._batches[batch.id] = batch
            return _json(self._json_of(batch), request_id)

    # --- state, always under the lock --------------------------------------------

    def _get(self, batch_id: str) -> Batch:
        try:
            return self._batches[batch_id]
        except KeyError:
            raise KeyError(f"no batch {batch_id!r}; known: {list(self._batches)}") from None

    def _take_fault(self, endpoint: Endpoint) -> TurnHandle | None:
        with self._lock:
            for index, (on, handle) in enumerate(self._faults):
                if on is None or on == endpoint:
                    del self._faults[index]
                    return handle
        return None

    def _poll(self, batch: Batch) -> None:
        batch.polls += 1
        if batch.status == "ended" or batch.polls_left is None:
            return
        if batch.polls_left == 0:
            self._finish(batch)
        else:
            batch.polls_left -= 1

    def _finish(self, batch: Batch) -> None:
        """Settle every request's outcome and count them: counts move only now (C.2)."""
        cancelled = batch.cancel_initiated_at is not None
        counts = dict.fromkeys(_COUNTS, 0)
        for custom_id, _ in batch.entries():
            outcome = self._outcomes.get(custom_id)
            if outcome is None and cancelled:
                outcome = "canceled"
            if outcome is not None:
                batch.outcomes[custom_id] = outcome
            counts[outcome_kind(outcome)] += 1
        batch.counts, batch.status, batch.ended_at = counts, "ended", _now()

    def _json_of(self, batch: Batch) -> dict[str, Any]:
        ended = batch.status == "ended"
        counts = batch.counts or dict.fromkeys(_COUNTS, 0) | {"processing": batch.size}
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.status,
            "request_counts": dict(counts),
            "created_at": timestamp(batch.created_at),
            "ended_at": timestamp(batch.ended_at),
            "expires_at": timestamp(batch.created_at + _LIFETIME),
            "cancel_initiated_at": timestamp(batch.cancel_initiated_at),
            "archived_at": None,
            "results_url": f"{self._base_url()}{_ROOT}/{batch.id}/results" if ended else None,
        }


def _endpoint(method: str, parts: Sequence[str], request_id: str) -> Endpoint | Reply:
    """Which endpoint a method and path (below ``/v1/messages/batches``) name, or the 404/405."""
    shapes: dict[tuple[int, str | None], dict[str, Endpoint]] = {
        (0, None): {"POST": "create", "GET": "list"},
        (1, None): {"GET": "retrieve"},
        (2, "cancel"): {"POST": "cancel"},
        (2, "results"): {"GET": "results"},
    }
    methods = shapes.get((len(parts), parts[1] if len(parts) == 2 else None))
    path = "/".join([_ROOT, *parts])
    if methods is None:
        return _error(404, f"no such endpoint: {method} {path}", request_id)
    if method not in methods:
        return _error(405, f"{path} takes {' or '.join(methods)}, not {method}", request_id)
    return methods[method]


def _now() -> datetime:
    return datetime.now(UTC)


def _json(payload: Any, request_id: str) -> Reply:
    return json_reply(200, payload, "anthropic", request_id, None)


def _error(status: int, message: str, request_id: str) -> Reply:
    return error_reply("anthropic", ErrorSpec(status, message), request_id)
