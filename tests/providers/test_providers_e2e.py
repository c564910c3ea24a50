"""Anthropic and OpenAICompatible end to end over real HTTP and SSE on loopback."""

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tkach_sync import (
    Agent,
    ApiError,
    ApprovalDecision,
    CancellationToken,
    ContentDelta,
    DeserializationError,
    Done,
    Message,
    MessageDelta,
    Overloaded,
    RateLimited,
    RequestCancelled,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUse,
    TransportError,
    Usage,
    UsageReport,
    tools,
)
from tkach_sync.providers import Request, Timeout
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

API_KEY = "sk-test-SECRET-0123456789"  # the same as conftest's api_key fixture
REQUEST = Request(model="test-model", messages=[Message.user_text("hi")], max_tokens=100)
USAGE = Usage(input_tokens=21, output_tokens=7)


def collect(stream) -> list:
    with stream:
        return list(stream)


def text_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, ContentDelta))


# --- the happy paths -------------------------------------------------------------


def test_complete_returns_text_tool_calls_and_usage(make, server):
    server.add(
        Turn.tool_calls(
            ToolCallSpec("read", {"file_path": "a.txt"}, id="call_1"),
            text="Let me look.",
            usage=USAGE,
        )
    )
    response = make().complete(REQUEST)
    assert response.text == "Let me look."
    assert [(u.id, u.name, u.input) for u in response.tool_uses] == [
        ("call_1", "read", {"file_path": "a.txt"})
    ]
    assert response.stop_reason is StopReason.TOOL_USE
    assert response.usage == USAGE


def test_the_request_carries_auth_version_and_body(make, server):
    server.add(Turn.text("ok"))
    make().complete(REQUEST)
    [recorded] = server.requests
    body = recorded.json()
    assert body["model"] == "test-model" and body["max_tokens"] == 100
    if make.kind == "anthropic":
        assert recorded.path == "/v1/messages"
        assert recorded.headers["x-api-key"] == API_KEY
        assert recorded.headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in recorded.headers
    else:
        assert recorded.path == "/v1/chat/completions"
        assert recorded.headers["authorization"] == f"Bearer {API_KEY}"


def test_stream_emits_text_whole_tool_calls_usage_and_done(make, server):
    server.add(
        Turn.tool_calls(
            ToolCallSpec("grep", {"pattern": "def \\w+", "path": "src", "context": 2}, id="c1"),
            ToolCallSpec("read", {"file_path": "é/ü.txt"}, id="c2"),
            text="Searching for definitions.",
            chunks=5,
            usage=USAGE,
            json_fragment_size=3,
        )
    )
    events = collect(make().stream(REQUEST))
    assert text_of(events) == "Searching for definitions."
    assert [e for e in events if isinstance(e, ToolUse)] == [
        ToolUse("c1", "grep", {"pattern": "def \\w+", "path": "src", "context": 2}),
        ToolUse("c2", "read", {"file_path": "é/ü.txt"}),
    ]
    assert [e for e in events if isinstance(e, MessageDelta)] == [MessageDelta(StopReason.TOOL_USE)]
    assert [e for e in events if isinstance(e, UsageReport)][-1].usage == USAGE
    assert isinstance(events[-1], Done)
    body = server.requests[0].json()
    assert body["stream"] is True
    if make.kind == "openai":
        assert body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("streaming", [False, True])
def test_an_agent_runs_a_whole_tool_loop_over_http(make, server, tmp_path, streaming):
    (tmp_path / "notes.txt").write_text("the answer is 42\n")
    server.add(Turn.tool_calls(ToolCallSpec("read", {"file_path": "notes.txt"}), text="Reading."))
    server.add(Turn.text("The file says 42.", chunks=4))
    agent = Agent(provider=make(), model="m", tools=tools.defaults(), working_dir=tmp_path)
    history = [Message.user_text("what is in notes.txt?")]
    if streaming:
        stream = agent.stream(history)
        events = list(stream)
        result = stream.result()
        assert text_of(events) == "Reading.The file says 42."
    else:
        result = agent.run(history)
    assert result.text == "The file says 42."
    assert "1\tthe answer is 42" in result.new_messages[1].tool_results[0].content
    second = server.requests[1].json()["messages"]
    wire_result = str(second[-1])
    assert "the answer is 42" in wire_result


@pytest.mark.parametrize("streaming", [False, True])
def test_thinking_goes_back_with_its_turn(make, server, streaming):
    """Anthropic wants its signed blocks back; DeepSeek and Kimi refuse a tool
    loop that drops ``reasoning_content``."""
    server.add(
        Turn.tool_calls(
            ToolCallSpec("glob", {"pattern": "*"}), thinking="Let me see.", text="Looking."
        )
    )
    server.add(Turn.text("done"))
    agent = Agent(provider=make(), model="m", tools=tools.defaults())
    history = [Message.user_text("hi")]
    result = agent.stream(history).result() if streaming else agent.run(history)

    first = result.new_messages[0].content[0]
    assert isinstance(first, ThinkingBlock) and first.thinking == "Let me see."
    assert bool(first.signature) == (make.kind == "anthropic")
    sent_back = server.requests[1].json()["messages"][1]
    if make.kind == "anthropic":
        assert sent_back["content"][0] == first.model_dump(exclude_none=True)
    else:
        assert sent_back["reasoning_content"] == "Let me see."
        assert sent_back["content"] == "Looking."


def test_a_deferred_write_resumes_as_a_valid_request(make, server, tmp_path):
    """The resumed request answers every call: the one before the deferral, then the rest."""
    server.add(
        Turn.tool_calls(
            ToolCallSpec("glob", {"pattern": "*"}, id="call_g"),
            ToolCallSpec("write", {"file_path": "a.txt", "content": "hi"}, id="call_w"),
        )
    )
    server.add(Turn.text("Written."))

    def defer_writes(name, input, tool_class):
        if name == "write":
            return ApprovalDecision.defer()
        return ApprovalDecision.allow()

    agent = Agent(
        provider=make(),
        model="m",
        tools=tools.defaults(),
        approval=defer_writes,
        working_dir=tmp_path,
    )
    history = [Message.user_text("write a.txt")]
    first = agent.run(history)
    assert [c.id for c in first.pending_calls] == ["call_w"]
    assert not (tmp_path / "a.txt").exists()
    assert len(server.requests) == 1

    history += first.new_messages
    resumed = agent.run(history, decisions={"call_w": ApprovalDecision.allow()})
    assert resumed.text == "Written."
    assert (tmp_path / "a.txt").read_text() == "hi"
    sent = server.requests[1].json()["messages"]
    if make.kind == "anthropic":
        answered = [[b["tool_use_id"] for b in m["content"]] for m in sent[2:]]
        assert answered == [["call_g"], ["call_w"]]
        assert [m["role"] for m in sent] == ["user", "assistant", "user", "user"]
    else:
        assert [(m["role"], m.get("tool_call_id")) for m in sent[2:]] == [
            ("tool", "call_g"),
            ("tool", "call_w"),
        ]


# --- errors and retries ------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_client_errors_are_not_retried(make, server, status):
    server.add(Turn.error(status, "you did it wrong"))
    with pytest.raises(ApiError) as caught:
        make(max_retries=3).complete(REQUEST)
    assert caught.value.status == status and "you did it wrong" in str(caught.value)
    assert not caught.value.is_retryable
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("status", "headers", "cls"),
    [
        (429, {"retry-after": "0"}, RateLimited),
        (529, {"retry-after-ms": "1"}, Overloaded),
        (503, {"retry-after": "0"}, Overloaded),
        (500, {"retry-after": "0"}, ApiError),
    ],
)
def test_retryable_errors_are_retried_then_succeed(make, server, status, headers, cls):
    server.add(Turn.error(status, "busy", headers=headers))
    server.add(Turn.error(status, "still busy", headers=headers))
    server.add(Turn.text("finally"))
    assert make(max_retries=2).complete(REQUEST).text == "finally"
    assert len(server.requests) == 3

    server.add(Turn.error(status, "busy", headers=headers))
    with pytest.raises(cls) as caught:
        make(max_retries=0).complete(REQUEST)
    assert caught.value.retry_after is not None


def test_a_stream_is_retried_before_its_first_event_but_never_after(make, server):
    server.add(Turn.error(529, "overloaded", headers={"retry-after": "0"}))
    server.add(Turn.text("hello").cut())
    server.add(Turn.text("hello world", chunks=2))
    assert text_of(collect(make(max_retries=2).stream(REQUEST))) == "hello world"
    assert len(server.requests) == 3

    server.add(Turn.text("hello world", chunks=4).cut(after_events=4))
    server.add(Turn.text("never"))
    received: list = []
    with pytest.raises(TransportError):
        for event in make(max_retries=2).stream(REQUEST):
            received.append(event)
    assert text_of(received) and server.pending == 1


def test_an_error_event_mid_stream_raises_the_typed_error(make, server):
    server.add(Turn.text("partial answer", chunks=3).error_after(4))
    received: list = []
    with pytest.raises(Overloaded):
        for event in make(max_retries=2).stream(REQUEST):
            received.append(event)
    assert len(server.requests) == 1


def test_a_stream_cut_short_before_its_stop_reason_is_a_deserialization_error(make, server):
    server.add(Turn.text("cut short", chunks=3).truncated(after_events=3))
    with pytest.raises(DeserializationError):
        collect(make().stream(REQUEST))


def test_a_stream_missing_only_its_terminator_is_forgiven(make, server):
    # The stop reason arrived; like the official SDKs, accept a lost message_stop / [DONE].
    server.add(Turn.text("almost", chunks=2).truncated())
    events = collect(make().stream(REQUEST))
    assert text_of(events) == "almost" and isinstance(events[-1], Done)


def test_garbage_in_the_stream_is_refused_or_ignored_but_never_mistaken(make, server):
    server.add(Turn.text("junk around", chunks=2).with_garbage())
    if make.kind == "openai":
        with pytest.raises(DeserializationError):
            collect(make().stream(REQUEST))
    else:
        # Anthropic names every event; unnamed ones are new event types to ignore.
        assert text_of(collect(make().stream(REQUEST))) == "junk around"


def test_a_json_body_that_breaks_the_protocol_is_a_deserialization_error(make, server):
    server.add(Turn.raw(b'{"unexpected": true}'))
    with pytest.raises(DeserializationError):
        make().complete(REQUEST)


def test_a_drip_slower_than_the_read_timeout_is_a_transport_error(make, server):
    server.add(Turn.text("slow", chunks=4).drip(2.0))
    started = time.monotonic()
    with pytest.raises(TransportError, match="timed out"):
        collect(make(timeout=Timeout(connect=2, read=0.3)).stream(REQUEST))
    assert time.monotonic() - started < 2.0


def test_a_server_that_never_answers_meets_the_read_timeout(make, server):
    server.add(Turn.text("never").hang())
    with pytest.raises(TransportError, match="timed out"):
        make(timeout=Timeout(connect=2, read=0.3)).complete(REQUEST)


# --- cancellation --------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before headers", "mid body"])
def test_a_cancel_ends_complete_at_once(make, server, where):
    turn = Turn.text("x").hang() if where == "before headers" else Turn.text("x").drip(30)
    handle = server.add(turn)
    token = CancellationToken()
    threading.Thread(target=lambda: handle.started.wait(5) and token.cancel()).start()
    started = time.monotonic()
    with pytest.raises(RequestCancelled):
        make().complete(REQUEST, cancel=token)
    assert time.monotonic() - started < 1.0


def test_a_cancel_ends_a_stream_blocked_in_a_read(make, server):
    server.add(Turn.text("one two three", chunks=3).hang(after_events=3))
    token = CancellationToken()
    stream = make().stream(REQUEST, cancel=token)
    first = next(stream)
    assert first is not None
    threading.Timer(0.1, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(RequestCancelled):
        list(stream)
    assert time.monotonic() - started < 1.0


def test_a_cancel_wakes_the_backoff_between_retries(make, server):
    handle = server.add(Turn.error(529, "overloaded", headers={"retry-after": "30"}))
    token = CancellationToken()
    threading.Thread(target=lambda: handle.finished.wait(5) and token.cancel()).start()
    started = time.monotonic()
    with pytest.raises(RequestCancelled):
        make(max_retries=2).complete(REQUEST, cancel=token)
    assert time.monotonic() - started < 1.0


def test_closing_a_stream_closes_the_connection(make, server):
    handle = server.add(Turn.blast(deltas=100_000))
    stream = make().stream(REQUEST)
    next(stream)
    stream.close()
    assert handle.client_disconnected.wait(5)


# --- chunking and secrets ---------------------------------------------------------------

TRANSCRIPT = Turn.tool_calls(
    ToolCallSpec("write", {"file_path": "naïve/日本.txt", "content": "€ 1 — ✓\n🙂"}, id="call_w"),
    text="Écrire «ça» — 日本語 🙂",
    chunks=6,
    json_fragment_size=5,
)


@pytest.fixture(scope="module")
def shared_server():
    with FakeLLMServer() as fake:
        yield fake


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), max_size=st.integers(1, 40))
def test_any_chunking_on_the_socket_yields_the_same_events(shared_server, kind, seed, max_size):
    from tkach_sync.providers import Anthropic, OpenAICompatible

    if kind == "anthropic":
        provider = Anthropic(API_KEY, base_url=shared_server.url, max_retries=0)
    else:
        provider = OpenAICompatible(API_KEY, base_url=shared_server.openai_url, max_retries=0)
    with provider:
        shared_server.add(TRANSCRIPT)
        whole = collect(provider.stream(REQUEST))
        shared_server.add(TRANSCRIPT.split(seed=seed, max_size=max_size))
        assert collect(provider.stream(REQUEST)) == whole


def test_the_api_key_never_shows(make, server):
    provider = make()
    assert API_KEY not in repr(provider)
    server.add(Turn.error(401, "invalid x-api-key"))
    with pytest.raises(ApiError) as caught:
        provider.complete(REQUEST)
    assert API_KEY not in str(caught.value) and API_KEY not in repr(caught.value)


def test_text_blocks_round_trip_unchanged(make, server):
    server.add(Turn.text("ok"))
    history = [Message.user([TextBlock("line one"), TextBlock("line two")])]
    make().complete(Request(model="m", messages=history))
    body = server.requests[0].json()
    assert "line one" in str(body["messages"]) and "line two" in str(body["messages"])


@pytest.mark.parametrize("streaming", [False, True])
def test_cache_usage_is_reported_and_summed_over_turns(server, streaming):
    from tkach_sync.providers import Anthropic

    cold = Usage(
        input_tokens=50,
        output_tokens=10,
        cache_creation_input_tokens=2000,
        cache_creation_1h_input_tokens=1500,
    )
    warm = Usage(input_tokens=60, output_tokens=12, cache_read_input_tokens=2000)
    server.add(Turn.tool_calls(ToolCallSpec("glob", {"pattern": "*"}), usage=cold))
    server.add(Turn.text("done", usage=warm))
    agent = Agent(
        provider=Anthropic(API_KEY, base_url=server.url), model="m", tools=tools.defaults()
    )
    history = [Message.user_text("hi")]
    result = agent.stream(history).result() if streaming else agent.run(history)
    assert result.usage == cold + warm
