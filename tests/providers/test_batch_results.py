"""Reading a batch's results file with ``Anthropic.batch_results``: rows, errors, memory, cancel."""

import json
import threading
import tracemalloc

import pytest
from batch_helpers import ROOT, batch_of, cancel_midway, paths

from tkach_sync import (
    ApiError,
    BatchNotReady,
    CancellationToken,
    DeserializationError,
    RequestCancelled,
    StopReason,
    TextBlock,
    TransportError,
    Usage,
)
from tkach_sync.providers import (
    Anthropic,
    BatchResult,
    Canceled,
    Errored,
    Expired,
    Response,
    Succeeded,
)
from tkach_sync.testing import Turn


@pytest.fixture
def provider(server, api_key):
    with Anthropic(api_key, base_url=server.url, max_retries=2) as anthropic:
        yield anthropic


def create(provider, *custom_ids):
    return provider.create_batch(batch_of(*custom_ids))


def row_line(custom_id, result):
    return json.dumps({"custom_id": custom_id, "result": result}).encode()


# --- the rows --------------------------------------------------------------------------


def test_every_kind_of_row(provider, server):
    server.batches.set_outcome(
        "ok", Turn.text("Paris", usage=Usage(input_tokens=12, output_tokens=3))
    )
    server.batches.set_outcome("bad", Turn.error(400, "max_tokens: 100000 > 64000"))
    server.batches.set_outcome("late", "expired")
    server.batches.set_outcome("stopped", "canceled")
    created = create(provider, "ok", "bad", "late", "stopped", "flat")
    # Some clients write the error flat, without the envelope: it reads the same.
    flat = {"type": "errored", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.batches.replace_line(5, row_line("flat", flat))
    server.batches.end()

    rows = list(provider.batch_results(created.id))

    assert all(isinstance(row, BatchResult) for row in rows)
    outcomes = {row.custom_id: row.outcome for row in rows}
    assert outcomes == {
        "ok": Succeeded(
            Response(
                [TextBlock("Paris")], StopReason.END_TURN, Usage(input_tokens=12, output_tokens=3)
            )
        ),
        "bad": Errored("invalid_request_error", "max_tokens: 100000 > 64000"),
        "late": Expired(),
        "stopped": Canceled(),
        "flat": Errored("overloaded_error", "Overloaded"),
    }
    assert paths(server)[-2:] == [f"{ROOT}/{created.id}", f"{ROOT}/{created.id}/results"]


def test_a_cancelled_batch_yields_its_finished_rows_and_canceled_ones(provider, server):
    server.batches.set_outcome("done", Turn.text("Finished first"))
    created = create(provider, "done", "queued")
    provider.cancel_batch(created.id)
    server.batches.end()

    outcomes = {row.custom_id: row.outcome for row in provider.batch_results(created.id)}

    assert outcomes["done"].response.text == "Finished first"
    assert outcomes["queued"] == Canceled()


def test_lines_split_anywhere_crlf_and_a_last_line_without_newline(provider, server):
    created = create(provider, "a")
    server.batches.end()
    body = row_line("a", {"type": "expired"}) + b"\r\n\r\n" + row_line("b", {"type": "canceled"})
    pieces = [body[:9], body[9:40], body[40:]]
    server.batches.fault(Turn.raw(pieces, content_type="application/x-jsonl"), on="results")

    rows = list(provider.batch_results(created.id))

    assert rows == [BatchResult("a", Expired()), BatchResult("b", Canceled())]


# --- broken files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"{not json", "batch results line 4 is not JSON"),
        (b"[1, 2]", "batch results line 4 should be a JSON object"),
        (b'{"result": {"type": "expired"}}', "batch results line 4.custom_id"),
        (row_line("x", {"type": "pending"}), "line 4: unknown result type 'pending'"),
        (row_line("x", {"type": "succeeded"}), "batch results line 4: the response"),
        (row_line("x", {"type": "errored"}), "line 4: an errored row has no error object"),
    ],
)
def test_a_malformed_line_fails_naming_its_number(provider, server, line, says):
    batch_id = server.batches.add_synthetic(6)
    server.batches.replace_line(2, b"")  # a blank line: skipped, but still counted
    server.batches.replace_line(4, line)
    read = []

    with pytest.raises(DeserializationError, match=says):
        for row in provider.batch_results(batch_id):
            read.append(row.custom_id)

    assert read == ["req-000000", "req-000002"]


def test_a_connection_cut_mid_file_is_a_transport_error_after_the_rows_before_it(provider, server):
    batch_id = server.batches.add_synthetic(10)
    server.batches.fault(Turn().cut(after_events=3), on="results")
    read = []

    with pytest.raises(TransportError):
        for row in provider.batch_results(batch_id):
            read.append(row.custom_id)

    assert read == ["req-000000", "req-000001", "req-000002"]


# --- not ready, refused, retried -----------------------------------------------------------


@pytest.mark.parametrize("cancel_first", [False, True])
def test_results_before_the_end_are_not_ready_and_never_requested(provider, server, cancel_first):
    created = create(provider, "a")
    if cancel_first:
        provider.cancel_batch(created.id)

    with pytest.raises(BatchNotReady) as raised:
        provider.batch_results(created.id)

    assert raised.value.status == ("canceling" if cancel_first else "in_progress")
    assert not raised.value.is_retryable
    assert not any(path.endswith("/results") for path in paths(server))


def test_results_refused_while_the_batch_has_not_ended_are_not_ready(provider, server):
    created = create(provider, "a")
    # A stale answer says it ended; the results endpoint and a fresh look say otherwise.
    stale = server.batches.snapshot(created.id) | {
        "processing_status": "ended",
        "results_url": f"{server.url}{ROOT}/{created.id}/results",
    }
    server.batches.fault(Turn.raw(json.dumps(stale).encode()), on="retrieve")

    with pytest.raises(BatchNotReady) as raised:
        provider.batch_results(created.id)

    assert raised.value.status == "in_progress"
    assert isinstance(raised.value.__cause__, ApiError) and raised.value.__cause__.status == 404
    here = f"{ROOT}/{created.id}"
    assert paths(server)[1:] == [here, f"{here}/results", here]


def test_results_refused_for_an_ended_batch_raise_the_api_error(provider, server):
    created = create(provider, "a")
    server.batches.end()
    server.batches.fault(Turn.error(404, "results are archived"), on="results")

    with pytest.raises(ApiError) as raised:
        provider.batch_results(created.id)

    assert not isinstance(raised.value, BatchNotReady)
    assert raised.value.status == 404 and raised.value.error_type == "not_found_error"


def test_the_results_request_retries_a_529(provider, server):
    batch_id = server.batches.add_synthetic(3)
    server.batches.fault(Turn.error(529, "Overloaded", headers={"retry-after": "0"}), on="results")

    rows = list(provider.batch_results(batch_id))

    assert len(rows) == 3
    assert paths(server)[1:] == [f"{ROOT}/{batch_id}/results"] * 2


# --- memory, cancel and close ----------------------------------------------------------------


def test_a_50000_line_file_is_read_in_bounded_memory(provider, server):
    batch_id = server.batches.add_synthetic(50_000)
    measured = server.batches.fault(Turn(), on="results")  # no fault: it counts the bytes sent
    count, last = 0, None

    tracemalloc.start()
    try:
        for row in provider.batch_results(batch_id):
            count, last = count + 1, row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert measured.finished.wait(5)
    file_size = measured.bytes_sent
    assert count == 50_000 and last.custom_id == "req-049999"
    assert file_size > 20 * 2**20, file_size  # about 23 MB
    assert peak < 4 * 2**20, f"peak {peak} bytes while reading {file_size} bytes"


def test_a_cancel_while_reading_results_hangs_up_at_once(provider, server):
    batch_id = server.batches.add_synthetic(100)
    stalled = server.batches.fault(Turn().hang(after_events=5), on="results")
    token = CancellationToken()
    read = []
    five = threading.Event()

    def reader():
        for row in provider.batch_results(batch_id, cancel=token):
            read.append(row.custom_id)
            if len(read) == 5:
                five.set()

    error, seconds = cancel_midway(reader, five, token)

    assert isinstance(error, RequestCancelled) and seconds < 1
    assert len(read) == 5
    assert stalled.client_disconnected.wait(1)


def test_rows_already_received_are_not_handed_out_after_a_cancel(provider, server):
    batch_id = server.batches.add_synthetic(20)
    # The whole file arrives as one piece, so every row is read before the cancel.
    server.batches.fault(Turn().split([1 << 20]), on="results")
    token = CancellationToken()
    rows = provider.batch_results(batch_id, cancel=token)
    next(rows)

    token.cancel()

    with pytest.raises(RequestCancelled):
        next(rows)


@pytest.mark.parametrize("read_first", [True, False])
def test_closing_the_rows_early_hangs_up(provider, server, read_first):
    batch_id = server.batches.add_synthetic(100)
    stalled = server.batches.fault(Turn().hang(after_events=3), on="results")

    with provider.batch_results(batch_id) as rows:
        if read_first:
            assert next(rows).custom_id == "req-000000"

    assert stalled.client_disconnected.wait(5)
    with pytest.raises(StopIteration):
        next(rows)
