"""Every scripted fault, seen from a real client: requests over a loopback socket."""

import threading
import time

import pytest
import requests
from wire_helpers import anthropic_stream, sse_events

from tkach_sync.testing import (
    FakeLLMServer,
    Turn,
    render_anthropic_sse,
    render_openai_json,
    render_openai_sse,
)

PROTOCOLS = ["anthropic", "openai"]


def url(server, protocol):
    if protocol == "anthropic":
        return f"{server.url}/v1/messages"
    return f"{server.openai_url}/chat/completions"


def rendered(turn, protocol):
    if protocol == "anthropic":
        return render_anthropic_sse(turn, model="m")
    return render_openai_sse(turn, include_usage=False, model="m")


def events_of(body):
    """The SSE events of a body, each with its terminating blank line."""
    return [event + b"\n\n" for event in body.split(b"\n\n")[:-1]]


def open_stream(server, protocol="anthropic", timeout=5):
    body = {"model": "m", "stream": True}
    return requests.post(url(server, protocol), json=body, stream=True, timeout=timeout)


def read_until_error(response):
    """The HTTP chunks received before the connection broke, and the error it broke with."""
    received = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError) as error:
        for chunk in response.iter_content(chunk_size=None):
            received.append(chunk)
    return b"".join(received), error.value


# --- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_error_status_with_retry_headers_even_for_a_stream_request(server, protocol):
    headers = {"retry-after": "1", "retry-after-ms": "250"}
    server.add(Turn.error(529, "Overloaded", error_type="overloaded_error", headers=headers))

    with open_stream(server, protocol) as response:
        body = response.json()

    assert response.status_code == 529
    assert response.reason == "Overloaded"
    assert response.headers["retry-after"] == "1"
    assert response.headers["retry-after-ms"] == "250"
    assert response.headers["content-type"] == "application/json"
    if protocol == "anthropic":
        assert body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
        assert body["request_id"] == response.headers["request-id"]
    else:
        assert body["error"]["message"] == "Overloaded"
        assert body["error"]["type"] == "overloaded_error"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_mid_stream_error_after_n_events(server, protocol):
    turn = Turn.text("abcdef", chunks=6, pings=False).error_after(3, "Overloaded")
    server.add(turn)

    with open_stream(server, protocol) as response:
        assert response.status_code == 200
        events = sse_events(response.iter_content(chunk_size=None))

    assert len(events) == 4
    if protocol == "anthropic":
        assert events[-1][0] == "error"
        assert '"overloaded_error"' in events[-1][1]
    else:
        assert events[-1][1].startswith('{"error":{"message":"Overloaded"')


# --- cut connections --------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cut_after_n_events_drops_the_connection_without_a_last_chunk(server, protocol):
    turn = Turn.text("Hello there", chunks=5).cut(after_events=3)
    handle = server.add(turn)

    with open_stream(server, protocol) as response:
        received, error = read_until_error(response)

    assert received == b"".join(events_of(rendered(turn, protocol))[:3])
    assert "prematurely" in str(error) or "IncompleteRead" in str(error)
    assert handle.finished.wait(5) and not handle.client_disconnected.is_set()


def test_cut_after_n_bytes_splits_wherever_it_falls(server):
    turn = Turn.text("Hello there", chunks=5).cut(after_bytes=70)
    server.add(turn)

    with open_stream(server) as response:
        received, _ = read_until_error(response)

    assert received == rendered(turn, "anthropic")[:70]


def test_cut_after_bytes_of_a_json_body_breaks_its_content_length(server):
    server.add(Turn.text("Hello there").cut(after_bytes=10))

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.post(url(server, "openai"), json={}, timeout=5)


def test_cut_after_the_headers_before_any_body_byte(server):
    server.add(Turn.text("hi").cut(after_bytes=0))

    with open_stream(server) as response:
        assert response.status_code == 200
        received, _ = read_until_error(response)

    assert received == b""


def test_cut_before_the_status_line_is_a_connection_error(server):
    handle = server.add(Turn.text("hi").cut())

    with pytest.raises(requests.exceptions.ConnectionError):
        open_stream(server)

    assert handle.started.is_set() and handle.bytes_sent == 0


# --- odd but clean streams ------------------------------------------------------------


def test_truncated_stream_ends_cleanly_before_message_stop(server):
    server.add(Turn.text("hi").truncated())
    server.add(Turn.text("hi").truncated())

    with open_stream(server) as response:
        names = [name for name, _ in anthropic_stream(response.content)]
    with open_stream(server, "openai") as response:
        datas = [data for _, data in sse_events(response.content)]

    assert names[-1] == "message_delta" and "message_stop" not in names
    assert datas and "[DONE]" not in datas


def test_garbage_lines_arrive_among_the_events(server):
    server.add(Turn.text("hi").with_garbage(after_events=2))

    with open_stream(server, "openai") as response:
        events = sse_events(response.content)

    assert events[2] == ("message", "{this is not json")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_split_sends_each_piece_as_its_own_chunk_and_reassembles_exactly(server, protocol):
    turn = Turn.text("Grüße, 世界 🙂!", chunks=3).split([1, 2, 5])
    server.add(turn)

    with open_stream(server, protocol) as response:
        pieces = list(response.raw.read_chunked())

    expected = rendered(turn, protocol)
    assert b"".join(pieces) == expected
    assert [len(p) for p in pieces[:6]] == [1, 2, 5, 1, 2, 5]
    assert {len(p) for p in pieces[:-1]} == {1, 2, 5}  # the last one is what is left
    assert any(_breaks_utf8(p) for p in pieces)
    assert "".join(data for _, data in sse_events(pieces)).count("🙂") == 1


def test_seeded_split_is_random_but_repeatable(server):
    turn = Turn.text("Grüße, 世界 🙂!", chunks=4).split(seed=7, max_size=9)
    server.add(turn)
    server.add(turn)

    runs = []
    for _ in range(2):
        with open_stream(server) as response:
            runs.append(list(response.raw.read_chunked()))

    assert runs[0] == runs[1]
    assert b"".join(runs[0]) == rendered(turn, "anthropic")
    assert len({len(p) for p in runs[0]}) > 3 and max(map(len, runs[0])) <= 9


def test_split_applies_to_json_bodies_too(server):
    turn = Turn.text("Grüße").split([3])
    server.add(turn)
    assert requests.post(url(server, "openai"), json={}, timeout=5).json() == (
        render_openai_json(turn)
    )


def _breaks_utf8(piece):
    try:
        piece.decode()
    except UnicodeDecodeError:
        return True
    return False


# --- slow, stuck and huge answers ------------------------------------------------------


def test_drip_spaces_the_events_out(server):
    delay = 0.05
    server.add(Turn.text("ab", chunks=2, pings=False).drip(delay))

    started = time.monotonic()
    with open_stream(server) as response:
        arrivals = [time.monotonic() for _ in response.raw.read_chunked()]

    assert len(arrivals) == 7
    assert arrivals[-1] - started >= 7 * delay * 0.9
    assert arrivals[-1] - arrivals[0] >= 6 * delay * 0.9
    assert arrivals[-1] - started < 5


def test_stop_ends_a_drip_at_once():
    server = FakeLLMServer().start()
    handle = server.add(Turn.text("slow", chunks=4).drip(30))
    outcome = _stream_in_thread(server)
    assert handle.started.wait(5)

    took = _timed_stop(server)

    assert took < 1
    assert outcome.wait() is not None  # the client saw the connection drop
    assert not handle.client_disconnected.is_set()


def test_a_client_that_leaves_a_drip_is_noticed(server):
    handle = server.add(Turn.text("slow", chunks=4).drip(30))

    with open_stream(server) as response:
        assert response.status_code == 200

    assert handle.client_disconnected.wait(5)
    assert handle.finished.wait(5)


def test_hang_never_answers_until_stop():
    server = FakeLLMServer().start()
    handle = server.add(Turn().hang())
    outcome = _stream_in_thread(server)
    assert handle.started.wait(5)
    assert not handle.finished.wait(0.1)

    took = _timed_stop(server)

    assert took < 1
    assert isinstance(outcome.wait(), requests.exceptions.ConnectionError)
    assert handle.finished.is_set() and handle.bytes_sent == 0


def test_hang_notices_a_client_that_gives_up(server):
    handle = server.add(Turn().hang())

    with pytest.raises(requests.exceptions.ReadTimeout):
        open_stream(server, timeout=0.2)

    assert handle.client_disconnected.wait(5)


def test_hang_after_some_events_stalls_mid_stream(server):
    turn = Turn.text("Hello", chunks=5).hang(after_events=2)
    handle = server.add(turn)

    with open_stream(server) as response:
        chunks = response.raw.read_chunked()
        received = [next(chunks), next(chunks)]
        assert b"".join(received) == b"".join(events_of(rendered(turn, "anthropic"))[:2])
        assert not handle.finished.is_set()

    assert handle.client_disconnected.wait(5)


def test_blast_is_held_back_by_a_client_that_does_not_read(server):
    deltas, delta = 1_000_000, "x" * 1000
    handle = server.add(Turn.blast(deltas=deltas, delta=delta))
    total = deltas * len(delta)

    with open_stream(server) as response:
        stalled_at = _wait_until_stable(handle)
        assert 0 < stalled_at < total // 20
        assert not handle.finished.is_set()

        read = len(response.raw.read(8 * 1024 * 1024))
        assert read == 8 * 1024 * 1024
        assert _wait_until_stable(handle) > stalled_at + read // 2

    assert handle.client_disconnected.wait(5)
    assert handle.finished.wait(5)


def _wait_until_stable(handle, quiet=0.15, timeout=15.0):
    """bytes_sent once it stopped growing for a while: the kernel's buffers are full."""
    deadline = time.monotonic() + timeout
    last, still = -1, 0
    while still < 3 and time.monotonic() < deadline:
        now = handle.bytes_sent
        still = still + 1 if now == last else 0
        last = now
        time.sleep(quiet / 3)
    assert still >= 3, "bytes_sent kept growing"
    return last


class _Outcome:
    def __init__(self):
        self.done = threading.Event()
        self.error = None

    def wait(self):
        assert self.done.wait(5)
        return self.error


def _stream_in_thread(server):
    """Read a stream to its end in a thread; the outcome is the exception it ended with."""
    outcome = _Outcome()

    def run():
        try:
            with open_stream(server, timeout=30) as response:
                response.content  # noqa: B018 - reads the whole body
        except requests.RequestException as error:
            outcome.error = error
        finally:
            outcome.done.set()

    threading.Thread(target=run, daemon=True).start()
    return outcome


def _timed_stop(server):
    started = time.monotonic()
    server.stop()
    return time.monotonic() - started
