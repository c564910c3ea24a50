"""The fake server end to end over real HTTP: routing, rendering, recording, lifecycle."""

import http.client
import json

import pytest
import requests
from wire_helpers import (
    anthropic_stream,
    anthropic_summary,
    fake_llm_threads,
    openai_stream,
    openai_summary,
)

from tkach_sync.testing import (
    FakeLLMServer,
    ToolCallSpec,
    Turn,
    render_anthropic_json,
    render_anthropic_sse,
    render_openai_json,
    render_openai_sse,
)

READ = ToolCallSpec("read", {"file_path": "a.txt"}, id="toolu_1")


def post(url, body, **kwargs):
    return requests.post(url, json=body, timeout=5, **kwargs)


def messages(server, body=None, **kwargs):
    return post(f"{server.url}/v1/messages", {"model": "claude-x", **(body or {})}, **kwargs)


def completions(server, body=None, **kwargs):
    url = f"{server.openai_url}/chat/completions"
    return post(url, {"model": "gpt-x", **(body or {})}, **kwargs)


# --- each protocol, JSON and SSE ------------------------------------------------


def test_anthropic_json_answer(server):
    turn = Turn.tool_calls(READ, text="Let me look.")
    server.add(turn)

    response = messages(server)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["request-id"].startswith("req_")
    assert response.json() == render_anthropic_json(turn, model="claude-x")


def test_anthropic_stream_answer(server):
    turn = Turn.tool_calls(READ, text="Let me look.", chunks=4)
    server.add(turn)

    with messages(server, {"stream": True}, stream=True) as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        body = response.content

    assert body == render_anthropic_sse(turn, model="claude-x")
    summary = anthropic_summary(anthropic_stream(body))
    assert summary["text"] == "Let me look."
    assert summary["tools"] == [("toolu_1", "read", {"file_path": "a.txt"})]


def test_openai_json_answer(server):
    turn = Turn.tool_calls(READ)
    server.add(turn)

    response = completions(server)

    assert response.headers["x-request-id"].startswith("req_")
    assert response.json() == render_openai_json(turn, model="gpt-x")


def test_openai_stream_has_the_usage_chunk_only_when_asked(server):
    turn = Turn.text("Hello", chunks=2)
    server.add(turn)
    server.add(turn)

    with_usage = {"stream": True, "stream_options": {"include_usage": True}}
    first = completions(server, with_usage).content
    second = completions(server, {"stream": True}).content

    assert first == render_openai_sse(turn, include_usage=True, model="gpt-x")
    assert second == render_openai_sse(turn, include_usage=False, model="gpt-x")
    assert openai_summary(openai_stream(first))["usage"]["prompt_tokens"] == 10
    assert openai_summary(openai_stream(second))["usage"] is None


def test_a_stream_is_sent_one_event_per_http_chunk(server):
    server.add(Turn.text("Hello", chunks=5))

    with messages(server, {"stream": True}, stream=True) as response:
        chunks = list(response.raw.read_chunked())

    assert len(chunks) == 12
    assert all(chunk.endswith(b"\n\n") and chunk.count(b"\n\n") == 1 for chunk in chunks)


def test_raw_turns_send_exactly_the_given_bytes(server):
    server.add(Turn.raw(b'{"odd": true}', status=418, headers={"x-odd": "yes"}))
    server.add(Turn.raw([b"data: one\n\n", b"data: two\n\n"]))

    odd = messages(server)
    assert (odd.status_code, odd.content, odd.headers["x-odd"]) == (418, b'{"odd": true}', "yes")
    assert odd.headers["content-type"] == "application/json"
    with completions(server, stream=True) as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert list(response.raw.read_chunked()) == [b"data: one\n\n", b"data: two\n\n"]


def test_turn_headers_override_the_defaults(server):
    server.add(Turn.text("hi").with_headers({"Content-Type": "application/x-odd", "x-a": "1"}))
    response = messages(server)
    assert response.headers["content-type"] == "application/x-odd"
    assert response.headers["x-a"] == "1"


# --- recording and the queue --------------------------------------------------------


def test_requests_are_recorded_with_lower_case_headers(server):
    server.add(Turn.text("hi"))

    messages(server, {"max_tokens": 5}, headers={"X-Api-Key": "sk-test"})

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["x-api-key"] == "sk-test"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"model": "claude-x", "max_tokens": 5}
    assert json.loads(request.body) == request.json()


def test_turns_are_consumed_first_in_first_out_across_protocols(server):
    first = server.add(Turn.text("one"))
    second = server.add(Turn.text("two"))
    assert server.pending == 2
    assert not first.started.is_set() and first.request is None

    answer = messages(server)
    assert answer.json()["content"][0]["text"] == "one"
    assert completions(server).json()["choices"][0]["message"]["content"] == "two"

    assert server.pending == 0
    assert first.started.is_set() and first.finished.wait(5)
    assert first.request is server.requests[0]
    assert second.request is server.requests[1]
    assert len(answer.content) < first.bytes_sent < len(answer.content) + 200  # + the head
    assert not first.client_disconnected.is_set()


def test_a_request_with_no_turn_left_fails_loudly_in_the_providers_shape(server):
    anthropic = messages(server)
    openai = completions(server)

    assert anthropic.status_code == openai.status_code == 500
    assert anthropic.json()["type"] == "error"
    assert "no scripted turn left" in anthropic.json()["error"]["message"]
    assert "no scripted turn left" in openai.json()["error"]["message"]


def test_stray_requests_get_provider_shaped_errors_and_consume_no_turn(server):
    server.add(Turn.text("kept"))

    missing = requests.post(f"{server.url}/v1/nothing", json={}, timeout=5)
    missing_openai = requests.post(f"{server.openai_url}/completions", json={}, timeout=5)
    wrong_method = requests.get(f"{server.url}/v1/messages", timeout=5)
    not_json = requests.post(f"{server.url}/v1/messages", data=b"[1, 2", timeout=5)

    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found_error"
    assert missing_openai.status_code == 404 and "message" in missing_openai.json()["error"]
    assert wrong_method.status_code == 405
    assert not_json.status_code == 400
    assert not_json.json()["error"]["type"] == "invalid_request_error"
    assert server.pending == 1
    assert len(server.requests) == 4


def test_a_chunked_request_body_is_read(server):
    server.add(Turn.text("hi"))
    body = iter([b'{"model": ', b'"chunky"}'])

    response = requests.post(f"{server.url}/v1/messages", data=body, timeout=5)

    assert response.json()["model"] == "chunky"
    assert server.requests[0].headers["transfer-encoding"] == "chunked"


def test_wait_for_requests(server):
    assert server.wait_for_requests(1, timeout=0.01) is False
    server.add(Turn.text("hi"))
    messages(server)
    assert server.wait_for_requests(1, timeout=0.01) is True


def test_connections_are_kept_alive(server):
    server.add(Turn.text("one"))
    server.add(Turn.text("two", chunks=2))
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    try:
        connection.request("POST", "/v1/messages", body=b'{"model": "m"}')
        assert connection.getresponse().read()
        sock = connection.sock
        connection.request("POST", "/v1/messages", body=b'{"model": "m", "stream": true}')
        second = connection.getresponse()
        assert b"message_stop" in second.read()
        assert connection.sock is sock
    finally:
        connection.close()


# --- lifecycle -------------------------------------------------------------------


def test_stop_closes_everything_and_can_be_repeated():
    server = FakeLLMServer().start()
    server.add(Turn.text("hi"))
    with requests.Session() as session:  # keeps an idle connection open
        session.post(f"{server.url}/v1/messages", json={}, timeout=5)
        assert fake_llm_threads()
        server.stop()
        assert fake_llm_threads() == []
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.post(f"{server.url}/v1/messages", json={}, timeout=5)


def test_misuse_raises_clear_errors():
    server = FakeLLMServer()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    with pytest.raises(TypeError, match="Turn"):
        server.add("hello")  # type: ignore[arg-type]
    with server, pytest.raises(RuntimeError, match="once"):
        server.start()
