"""Agent.stream over real HTTP: backpressure, leaving early, cancel, errors (both providers)."""

import gc
import threading
import time

import pytest

from tkach_sync import (
    Agent,
    CancellationToken,
    Cancelled,
    ContentDelta,
    Message,
    Overloaded,
    ProviderFailed,
    StopReason,
    ToolResult,
    ToolUse,
    TransportError,
    tool,
)
from tkach_sync.testing import ToolCallSpec, Turn

HISTORY = [Message.user_text("go")]


def non_server_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if not t.name.startswith("tkach-fake-llm")}


def wait_until_steady(read, *, settle: float = 0.3, timeout: float = 10.0) -> int:
    """The value once it stopped changing for ``settle`` seconds."""
    deadline = time.monotonic() + timeout
    value = read()
    while time.monotonic() < deadline:
        threading.Event().wait(settle)
        now = read()
        if now == value:
            return now
        value = now
    return value


def test_a_paused_consumer_holds_the_server_back(make, server):
    handle = server.add(Turn.blast(deltas=200_000))
    stream = Agent(provider=make(), model="m").stream(HISTORY)
    assert isinstance(next(stream), ContentDelta)
    sent_while_paused = wait_until_steady(lambda: handle.bytes_sent)
    total = 200_000 * 200  # each text delta event is well over 200 bytes on the wire
    assert sent_while_paused < 12_000_000 < total
    stream.close()
    assert handle.client_disconnected.wait(5)


@pytest.mark.parametrize("leave", ["break", "close", "with", "drop"])
def test_leaving_early_disconnects_and_leaves_no_thread(make, server, leave):
    baseline = non_server_threads()
    handle = server.add(Turn.blast(deltas=100_000))
    agent = Agent(provider=make(), model="m")
    if leave == "with":
        with agent.stream(HISTORY) as stream:
            next(stream)
    else:
        stream = agent.stream(HISTORY)
        for _ in stream:
            break
        if leave == "close":
            stream.close()
        elif leave == "drop":
            del stream
            gc.collect()
    assert handle.client_disconnected.wait(5), "the server never saw the client go"
    deadline = time.monotonic() + 5
    while non_server_threads() - baseline and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert not {t for t in non_server_threads() - baseline if t.is_alive()}


def test_a_cancel_mid_generation_ends_iteration_and_keeps_the_partial_text(make, server):
    server.add(Turn.text("one two three four five six seven", chunks=7).drip(0.05))
    token = CancellationToken()
    stream = Agent(provider=make(), model="m").stream(HISTORY, cancel=token)
    received = []
    cancelled_at = None
    for event in stream:
        received.append(event)
        if len(received) == 3:
            cancelled_at = time.monotonic()
            threading.Thread(target=token.cancel).start()
    assert time.monotonic() - cancelled_at < 1.0
    with pytest.raises(Cancelled) as caught:
        stream.result()
    partial = caught.value.partial
    assert partial.stop_reason is StopReason.CANCELLED
    assert partial.text.startswith("one two three")
    assert partial.text == "".join(e.text for e in received if isinstance(e, ContentDelta))


def test_a_cancel_during_a_running_tool_ends_the_run(make, server):
    started = threading.Event()

    @tool
    def slow(ctx) -> str:
        """Wait for the cancel."""
        started.set()
        ctx.cancel.wait(10)
        ctx.cancel.raise_if_cancelled()
        return "finished"

    server.add(Turn.tool_calls(ToolCallSpec("slow", {}, id="call_slow"), text="Working."))
    server.add(Turn.text("never"))
    token = CancellationToken()
    stream = Agent(provider=make(), model="m", tools=[slow]).stream(HISTORY, cancel=token)
    threading.Thread(target=lambda: started.wait(5) and token.cancel()).start()
    events = list(stream)
    assert ToolUse("call_slow", "slow", {}) in events
    with pytest.raises(Cancelled) as caught:
        stream.result()
    [result] = caught.value.partial.new_messages[1].tool_results
    assert result.is_error and "cancelled" in result.content
    assert len(server.requests) == 1


def test_a_cancel_during_a_pending_approval_ends_the_run(make, server):
    asked = threading.Event()
    release = threading.Event()

    def hung(name, input, tool_class):
        asked.set()
        release.wait(10)
        return True

    @tool
    def act() -> str:
        """Act."""
        return "acted"

    server.add(Turn.tool_calls(ToolCallSpec("act", {}, id="call_act")))
    token = CancellationToken()
    stream = Agent(provider=make(), model="m", tools=[act], approval=hung).stream(
        HISTORY, cancel=token
    )
    threading.Thread(target=lambda: asked.wait(5) and token.cancel()).start()
    started = time.monotonic()
    try:
        events = list(stream)
        with pytest.raises(Cancelled) as caught:
            stream.result()
    finally:
        release.set()
    assert time.monotonic() - started < 5.0
    assert not any(isinstance(e, ToolResult) and not e.is_error for e in events)
    [result] = caught.value.partial.new_messages[1].tool_results
    assert result.is_error and "awaiting approval" in result.content


def test_an_error_mid_stream_raises_from_iteration_and_from_result(make, server):
    server.add(Turn.text("the start of an answer", chunks=4).error_after(4))
    stream = Agent(provider=make(max_retries=2), model="m").stream(HISTORY)
    received = []
    with pytest.raises(ProviderFailed) as first:
        for event in stream:
            received.append(event)
    assert isinstance(first.value.__cause__, Overloaded)
    with pytest.raises(ProviderFailed) as second:
        stream.result()
    assert second.value is first.value
    assert first.value.partial.text == "".join(e.text for e in received)


def test_a_dropped_connection_keeps_every_completed_message(make, server, tmp_path):
    (tmp_path / "a.txt").write_text("alpha")

    @tool(read_only=True)
    def peek() -> str:
        """Peek."""
        return "peeked"

    server.add(Turn.tool_calls(ToolCallSpec("peek", {}, id="call_peek")))
    server.add(Turn.text("second turn text", chunks=4).cut(after_events=4))
    stream = Agent(provider=make(), model="m", tools=[peek]).stream(HISTORY)
    with pytest.raises(ProviderFailed) as caught:
        list(stream)
    assert isinstance(caught.value.__cause__, TransportError)
    partial = caught.value.partial.new_messages
    assert partial[0].tool_uses[0].id == "call_peek"
    assert partial[1].tool_results[0].content == "peeked"
