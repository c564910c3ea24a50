"""The Message Batches API of ``Anthropic``: submitting, polling, listing and cancelling.

Reading the results file is tested in test_batch_results.py.
"""

import json
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from batch_helpers import ROOT, ask, batch_of, cancel_midway, paths

from tkach_sync import (
    BatchNotReady,
    CacheControl,
    CancellationToken,
    DeserializationError,
    InvalidRequest,
    Message,
    Overloaded,
    RateLimited,
    RequestCancelled,
    TextBlock,
)
from tkach_sync.providers import (
    Anthropic,
    BatchHandle,
    BatchPage,
    BatchRequest,
    BatchStatus,
    Request,
    SystemBlock,
    ToolDefinition,
)
from tkach_sync.providers._anthropic_wire import anthropic_body
from tkach_sync.testing import Turn


@pytest.fixture
def provider(server, api_key):
    with Anthropic(api_key, base_url=server.url, max_retries=2) as anthropic:
        yield anthropic


# --- what is refused before any HTTP call ----------------------------------------------


@pytest.mark.parametrize("custom_id", ["", "x" * 65, "req with space", "ümlaut", "a/b", "a.b", 7])
def test_a_custom_id_off_the_pattern_is_refused_unsent(provider, server, custom_id):
    requests = [*batch_of("fine"), BatchRequest(custom_id, ask("hi"))]

    with pytest.raises(InvalidRequest, match=r"invalid custom_id .* must match"):
        provider.create_batch(requests)

    assert server.requests == []


@pytest.mark.parametrize("custom_id", ["req-1", "AB_cd-9", "x" * 64, "_", "-"])
def test_custom_ids_on_the_pattern_are_sent(provider, server, custom_id):
    provider.create_batch(batch_of(custom_id))

    assert server.requests[0].json()["requests"][0]["custom_id"] == custom_id


def test_a_duplicate_custom_id_is_refused_unsent(provider, server):
    with pytest.raises(InvalidRequest, match=r"duplicate custom_id 'b' \(must be unique\)"):
        provider.create_batch(batch_of("a", "b", "c", "b"))

    assert server.requests == []


def test_an_empty_batch_is_refused_unsent(provider, server):
    with pytest.raises(InvalidRequest, match="at least one request"):
        provider.create_batch([])

    assert server.requests == []


def test_more_than_100000_requests_are_refused_unsent(provider, server):
    shared = ask("the same small request")
    requests = [BatchRequest(f"r{i}", shared) for i in range(100_001)]

    with pytest.raises(InvalidRequest, match="at most 100000 requests, not 100001"):
        provider.create_batch(requests)

    assert server.requests == []


def test_a_batch_over_256_mb_is_refused_unsent(provider, server):
    # 260 requests share one 1 MiB prompt: cheap to build, 260 MiB once encoded.
    # The encoder stops at the request that crosses the limit.
    shared = ask("x" * (1 << 20))
    requests = [BatchRequest(f"r{i}", shared) for i in range(260)]

    with pytest.raises(
        InvalidRequest, match=r"268435456 bytes \(256 MB\) at request 255 \('r255'\)"
    ):
        provider.create_batch(requests)

    assert server.requests == []


def test_too_many_cache_breakpoints_in_one_request_are_refused_unsent(provider, server):
    cached = [SystemBlock.cached(f"part {i}") for i in range(5)]

    with pytest.raises(InvalidRequest, match="cache breakpoints"):
        provider.create_batch([BatchRequest("a", ask("hi", system=cached))])

    assert server.requests == []


@pytest.mark.parametrize("batch_id", ["", "a/b", "../x", "id?x=1", "id#frag"])
def test_a_batch_id_that_is_not_one_is_refused_unsent(provider, server, batch_id):
    for call in (provider.retrieve_batch, provider.cancel_batch, provider.batch_results):
        with pytest.raises(InvalidRequest, match="not a batch id"):
            call(batch_id)

    assert server.requests == []


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_list_limit_off_the_range_is_refused_unsent(provider, server, limit):
    with pytest.raises(InvalidRequest, match="between 1 and 1000"):
        provider.list_batches(limit=limit)

    assert server.requests == []


# --- create and retrieve ---------------------------------------------------------------


def test_create_sends_each_request_as_its_messages_body_without_stream(provider, server, api_key):
    tool = ToolDefinition("read", "Read a file", {"type": "object"}, CacheControl.ephemeral())
    cached = ask(
        "cached question",
        system=[SystemBlock.cached("You are terse.")],
        tools=[tool],
        temperature=0.2,
    )
    plain = ask("plain question")

    provider.create_batch([BatchRequest("cached", cached), BatchRequest("plain", plain)])

    [sent] = server.requests
    assert (sent.method, sent.path) == ("POST", ROOT)
    assert sent.headers["x-api-key"] == api_key
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["content-type"] == "application/json"
    body = sent.json()
    assert body == {
        "requests": [
            {"custom_id": "cached", "params": anthropic_body(cached, stream=False)},
            {"custom_id": "plain", "params": anthropic_body(plain, stream=False)},
        ]
    }
    params = body["requests"][0]["params"]
    assert "stream" not in params
    assert params["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert params["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert params["temperature"] == 0.2


def test_a_new_batch_is_in_progress_with_aware_timestamps(provider, server):
    handle = provider.create_batch(batch_of("a", "b", "c"))

    assert handle.id == server.batches.ids[0] and handle.id.startswith("msgbatch_")
    assert handle.status is BatchStatus.IN_PROGRESS and not handle.is_terminal
    assert handle.request_counts.processing == handle.request_counts.total == 3
    assert handle.created_at.utcoffset() == handle.expires_at.utcoffset() == timedelta(0)
    assert handle.expires_at - handle.created_at == timedelta(hours=24)
    assert handle.ended_at is handle.cancel_initiated_at is handle.results_url is None


def test_retrieve_reads_the_batch_as_the_server_has_it(provider, server):
    created = provider.create_batch(batch_of("a", "b"))
    server.batches.set_outcome("b", Turn.error(400, "max_tokens: too large"))
    server.batches.end()

    handle = provider.retrieve_batch(created.id)

    assert handle.status is BatchStatus.ENDED and handle.is_terminal
    counts = handle.request_counts
    assert (counts.processing, counts.succeeded, counts.errored) == (0, 1, 1)
    assert handle.ended_at is not None and handle.ended_at.tzinfo is not None
    assert handle.ended_at >= handle.created_at
    assert handle.results_url == f"{server.url}{ROOT}/{created.id}/results"
    assert handle.created_at == created.created_at
    assert paths(server)[-1] == f"{ROOT}/{created.id}"


def test_retrieve_retries_a_429_and_a_529(provider, server):
    created = provider.create_batch(batch_of("a"))
    hint = {"retry-after": "0"}
    server.batches.fault(Turn.error(429, "Slow down", headers=hint), on="retrieve")
    server.batches.fault(Turn.error(529, "Overloaded", headers=hint), on="retrieve")

    handle = provider.retrieve_batch(created.id)

    assert handle.id == created.id
    assert paths(server)[1:] == [f"{ROOT}/{created.id}"] * 3


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (529, Overloaded)])
def test_retries_spent_raise_the_typed_error_with_its_hint(server, api_key, status, error):
    with Anthropic(api_key, base_url=server.url, max_retries=0) as provider:
        created = provider.create_batch(batch_of("a"))
        server.batches.fault(Turn.error(status, "busy", headers={"retry-after": "7"}))

        with pytest.raises(error) as raised:
            provider.retrieve_batch(created.id)

    assert raised.value.retry_after == 7 and raised.value.is_retryable


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("created_at", "2024-08-20T18:37:24", "has no time zone"),
        ("expires_at", "tomorrow", "bad timestamp"),
        ("created_at", None, "created_at is required"),
        ("processing_status", "paused", "unknown processing_status"),
    ],
)
def test_a_malformed_batch_object_is_a_deserialization_error(provider, server, field, value, says):
    created = provider.create_batch(batch_of("a"))
    broken = server.batches.snapshot(created.id) | {field: value}
    server.batches.fault(Turn.raw(json.dumps(broken).encode()), on="retrieve")

    with pytest.raises(DeserializationError, match=says):
        provider.retrieve_batch(created.id)


# --- list ------------------------------------------------------------------------------


def test_list_pages_newest_first(provider, server):
    ids = [provider.create_batch(batch_of("a")).id for _ in range(5)]
    newest_first = ids[::-1]

    first = provider.list_batches(limit=2)
    older = provider.list_batches(limit=2, after_id=first.last_id)
    newer = provider.list_batches(limit=2, before_id=older.first_id)

    assert isinstance(first, BatchPage) and len(first) == 2
    assert [h.id for h in first] == newest_first[:2] and first.has_more
    assert (first.first_id, first.last_id) == (newest_first[0], newest_first[1])
    assert all(isinstance(h, BatchHandle) for h in first)
    assert [h.id for h in older] == newest_first[2:4]
    assert [h.id for h in newer] == newest_first[:2]
    queries = [parse_qs(urlsplit(r.path).query) for r in server.requests[5:]]
    assert queries == [
        {"limit": ["2"]},
        {"limit": ["2"], "after_id": [first.last_id]},
        {"limit": ["2"], "before_id": [older.first_id]},
    ]


def test_iter_batches_walks_every_page(provider, server):
    ids = [provider.create_batch(batch_of("a")).id for _ in range(5)]

    walked = [handle.id for handle in provider.iter_batches(page_size=2)]

    assert walked == ids[::-1]
    assert paths(server)[5:] == [ROOT] * 3  # pages of 2, 2 and 1


def test_an_empty_list(provider):
    page = provider.list_batches()

    assert list(page) == [] and not page.has_more and page.first_id is None
    assert list(provider.iter_batches()) == []


# --- cancel ----------------------------------------------------------------------------


def test_cancel_moves_to_canceling_then_the_batch_ends_with_canceled_counts(provider, server):
    server.batches.set_outcome("done", Turn.text("Finished first"))
    created = provider.create_batch(batch_of("done", "queued-1", "queued-2"))

    cancelling = provider.cancel_batch(created.id)
    server.batches.end(created.id)
    ended = provider.retrieve_batch(created.id)

    assert cancelling.status is BatchStatus.CANCELING and not cancelling.is_terminal
    assert cancelling.cancel_initiated_at is not None
    assert cancelling.cancel_initiated_at.tzinfo is not None
    assert server.requests[1].method == "POST" and server.requests[1].body == b""
    assert paths(server)[1] == f"{ROOT}/{created.id}/cancel"
    assert ended.status is BatchStatus.ENDED
    assert (ended.request_counts.succeeded, ended.request_counts.canceled) == (1, 2)


# --- wait_for_batch --------------------------------------------------------------------


def test_wait_for_batch_polls_until_it_ended_and_reports_each_poll(provider, server):
    server.batches.end_after_polls(2)
    created = provider.create_batch(batch_of("a", "b"))
    seen = []

    ended = provider.wait_for_batch(created, poll_interval=0.01, on_progress=seen.append)

    assert [h.status for h in seen] == [BatchStatus.IN_PROGRESS] * 2 + [BatchStatus.ENDED]
    assert ended == seen[-1] and ended.request_counts.succeeded == 2
    assert server.batches.polls(created.id) == 3


def test_wait_for_batch_gives_up_after_its_timeout(provider, server):
    created = provider.create_batch(batch_of("a"))
    seen = []
    started = time.monotonic()

    with pytest.raises(BatchNotReady) as raised:
        provider.wait_for_batch(
            created.id, poll_interval=0.05, timeout=0.3, on_progress=seen.append
        )

    assert raised.value.status == "in_progress"
    assert 0.3 <= time.monotonic() - started < 5
    assert len(seen) >= 2 and server.batches.polls(created.id) == len(seen)


def test_a_cancel_from_another_thread_ends_the_wait_at_once(provider, server):
    created = provider.create_batch(batch_of("a"))
    token = CancellationToken()
    polled = threading.Event()

    def wait():
        provider.wait_for_batch(
            created.id, poll_interval=60, cancel=token, on_progress=lambda _: polled.set()
        )

    error, seconds = cancel_midway(wait, polled, token)

    assert isinstance(error, RequestCancelled) and seconds < 1


@pytest.mark.parametrize("interval", [0, -1.0])
def test_wait_for_batch_needs_a_positive_poll_interval(provider, server, interval):
    with pytest.raises(ValueError, match="poll_interval"):
        provider.wait_for_batch("msgbatch_x", poll_interval=interval)

    assert server.requests == []


def test_blocks_keep_their_cache_control_in_params(provider, server):
    cached = Request(
        model="claude-x",
        messages=[Message.user([TextBlock("long context", CacheControl.ephemeral_1h())])],
        max_tokens=10,
    )

    provider.create_batch([BatchRequest("a", cached)])

    content = server.requests[0].json()["requests"][0]["params"]["messages"][0]["content"]
    assert content == [
        {
            "type": "text",
            "text": "long context",
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
