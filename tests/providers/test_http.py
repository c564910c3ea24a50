import email.utils
import socket
import threading
import time

import pytest
import responses

from tkach_sync import (
    ApiError,
    CancellationToken,
    DeserializationError,
    Overloaded,
    RateLimited,
    RequestCancelled,
    TransportError,
)
from tkach_sync.providers._http import (
    HttpClient,
    RetryPolicy,
    Timeout,
    error_from_response,
    parse_retry_after,
)

BASE = "https://api.example.test"
ANTHROPIC_ERROR = {
    "type": "error",
    "error": {"type": "invalid_request_error", "message": "messages: roles must alternate"},
    "request_id": "req_123",
}


def client(**options) -> HttpClient:
    return HttpClient(BASE, {"x-api-key": "sk-secret"}, **options)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_final_and_carry_the_servers_message(status):
    error = error_from_response(status, {}, _json(ANTHROPIC_ERROR))
    assert type(error) is ApiError
    assert (error.status, error.error_type, error.request_id) == (
        status,
        "invalid_request_error",
        "req_123",
    )
    assert error.message == "messages: roles must alternate"
    assert not error.is_retryable


@pytest.mark.parametrize(
    ("status", "cls"),
    [(429, RateLimited), (529, Overloaded), (503, Overloaded), (500, ApiError), (502, ApiError)],
)
def test_overload_rate_limit_and_server_errors_are_retryable(status, cls):
    error = error_from_response(status, {"retry-after": "3"}, b"oops")
    assert type(error) is cls
    assert error.is_retryable and error.retry_after == 3.0


def test_openai_openrouter_and_vllm_error_bodies_are_understood():
    openai = error_from_response(
        429,
        {},
        _json({"error": {"message": "slow down", "type": "rate_limit_error", "code": None}}),
    )
    assert (openai.message, openai.error_type) == ("slow down", "rate_limit_error")
    quota = error_from_response(
        429, {}, _json({"error": {"message": "pay", "type": "insufficient_quota"}})
    )
    assert isinstance(quota, RateLimited) and not quota.is_retryable
    router = error_from_response(402, {}, _json({"error": {"code": 402, "message": "no credits"}}))
    assert (router.message, router.error_type) == ("no credits", "402")
    vllm = error_from_response(
        400, {}, _json({"object": "error", "message": "bad", "type": "BadRequestError"})
    )
    assert (vllm.message, vllm.error_type) == ("bad", "BadRequestError")
    text = error_from_response(502, {"x-request-id": "abc"}, b"<html>Bad gateway</html>")
    assert text.message == "<html>Bad gateway</html>" and text.request_id == "abc"


def test_the_servers_should_retry_header_wins():
    assert error_from_response(400, {"x-should-retry": "true"}, b"").is_retryable
    assert not error_from_response(500, {"x-should-retry": "false"}, b"").is_retryable


def test_retry_after_forms():
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "junk", "retry-after": "2"}) == 2.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < parse_retry_after({"retry-after": later}) <= 30


def test_the_retry_policy_backs_off_and_honours_the_server():
    policy = RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=8.0, max_retry_after=60)
    retryable = TransportError("reset")
    assert 0.375 <= policy.delay(0, retryable) <= 0.5
    assert 0.75 <= policy.delay(1, retryable) <= 1.0
    assert policy.delay(3, retryable) is None
    assert policy.delay(0, TransportError("x", retry_after=2.0)) == 2.0
    assert policy.delay(0, TransportError("x", retry_after=120.0)) is None
    assert policy.delay(0, ApiError(400, "bad")) is None


def test_timeouts_take_one_number_or_a_pair():
    assert Timeout.of(None) == Timeout(10.0, 600.0)
    assert Timeout.of(30) == Timeout(10.0, 30.0)
    assert Timeout.of(3) == Timeout(3.0, 3.0)
    assert Timeout.of((1, 2)) == Timeout(1, 2)


@responses.activate
def test_a_rate_limit_is_retried_after_the_servers_delay():
    responses.post(f"{BASE}/v1/x", status=429, headers={"retry-after": "0"}, json=ANTHROPIC_ERROR)
    responses.post(
        f"{BASE}/v1/x", status=529, headers={"retry-after-ms": "1"}, json=ANTHROPIC_ERROR
    )
    responses.post(f"{BASE}/v1/x", json={"ok": True})
    assert client().request_json("POST", "/v1/x", CancellationToken(), body={"a": 1}) == {
        "ok": True
    }
    assert len(responses.calls) == 3
    assert responses.calls[0].request.headers["x-api-key"] == "sk-secret"
    assert responses.calls[0].request.body == b'{"a":1}'


@responses.activate
def test_retries_stop_at_max_retries_and_the_last_error_is_raised():
    responses.post(f"{BASE}/v1/x", status=503, headers={"retry-after": "0"}, body="busy")
    with pytest.raises(Overloaded):
        client(max_retries=2).request_json("POST", "/v1/x", CancellationToken(), body={})
    assert len(responses.calls) == 3


@responses.activate
def test_a_final_error_is_not_retried():
    responses.post(f"{BASE}/v1/x", status=401, json=ANTHROPIC_ERROR)
    with pytest.raises(ApiError) as caught:
        client().request_json("POST", "/v1/x", CancellationToken(), body={})
    assert caught.value.status == 401 and len(responses.calls) == 1
    assert "sk-secret" not in str(caught.value)


@responses.activate
def test_a_cancel_wakes_the_backoff_at_once():
    first_try = threading.Event()

    def overloaded(request):
        first_try.set()
        return 529, {"retry-after": "30"}, "overloaded"

    responses.add_callback(responses.POST, f"{BASE}/v1/x", callback=overloaded)
    token = CancellationToken()
    threading.Thread(target=lambda: first_try.wait(5) and token.cancel()).start()
    started = time.monotonic()
    with pytest.raises(RequestCancelled):
        client().request_json("POST", "/v1/x", token, body={})
    assert time.monotonic() - started < 1.0


@responses.activate
def test_a_body_that_is_not_json_is_a_deserialization_error():
    responses.post(f"{BASE}/v1/x", body="<html>oops</html>", status=200)
    with pytest.raises(DeserializationError, match="not JSON"):
        client(max_retries=0).request_json("POST", "/v1/x", CancellationToken(), body={})


def test_a_refused_connection_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = HttpClient(f"http://127.0.0.1:{port}", {}, max_retries=0)
    with pytest.raises(TransportError) as caught:
        http.request_json("GET", "/", CancellationToken())
    assert caught.value.is_retryable


def test_a_cancel_ends_a_wait_for_headers_that_never_come():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        accepted = threading.Event()

        def silent_server() -> None:
            conn, _ = listener.accept()
            with conn:
                accepted.set()
                while conn.recv(65536):  # read the request, never answer
                    pass

        server = threading.Thread(target=silent_server)
        server.start()
        token = CancellationToken()
        threading.Thread(target=lambda: accepted.wait(5) and token.cancel()).start()
        http = HttpClient(f"http://127.0.0.1:{port}", {}, max_retries=0)
        started = time.monotonic()
        with pytest.raises(RequestCancelled):
            http.request_json("POST", "/v1/messages", token, body={})
        assert time.monotonic() - started < 1.0
        http.close()
        server.join(5)


def _json(data: object) -> bytes:
    import json

    return json.dumps(data).encode()
