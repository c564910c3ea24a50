import gc
import threading
import time
from collections.abc import Iterator

import pytest

from tkach_sync import (
    Agent,
    CancellationToken,
    Cancelled,
    ContentDelta,
    Done,
    Message,
    MessageDelta,
    ProviderError,
    ProviderFailed,
    StopReason,
    TextBlock,
    ToolCallPending,
    ToolClass,
    ToolContext,
    ToolResult,
    ToolUse,
    ToolUseBlock,
    UsageReport,
    tool,
)
from tkach_sync.providers import Mock, Request, Response
from tkach_sync.streaming import QUEUE_SIZE

WAIT = 5.0


@tool(read_only=True)
def echo(text: str) -> str:
    """Echo."""
    return text


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tkach-stream"]


def wait_until(predicate, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        threading.Event().wait(0.01)
    return predicate()


class Endless:
    """A provider whose stream never ends and counts what it produced."""

    def __init__(self) -> None:
        self.produced = 0
        self.closed = threading.Event()

    def complete(self, request, cancel=None):
        raise NotImplementedError

    def stream(self, request: Request, cancel: CancellationToken | None = None) -> Iterator:
        try:
            while cancel is None or not cancel.is_cancelled:
                self.produced += 1
                yield ContentDelta("x")
        finally:
            self.closed.set()


def test_events_arrive_in_model_order_and_the_result_matches_them():
    mock = Mock.with_responses(
        [
            Response.from_tool_calls(ToolUseBlock("1", "echo", {"text": "hi"}), text="Let me."),
            "All done.",
        ],
        chunk_size=3,
    )
    stream = Agent(provider=mock, model="m", tools=[echo]).stream([Message.user_text("go")])
    events = list(stream)
    result = stream.result()

    assert events == [
        ContentDelta("Let"),
        ContentDelta(" me"),
        ContentDelta("."),
        ToolUse("1", "echo", {"text": "hi"}),
        ToolCallPending("1", "echo", {"text": "hi"}, ToolClass.READ_ONLY),
        ToolResult("1", "hi", False),
        ContentDelta("All"),
        ContentDelta(" do"),
        ContentDelta("ne."),
    ]
    assert not any(isinstance(e, UsageReport | MessageDelta | Done) for e in events)
    assert result.text == "All done."
    assert result.new_messages[0].content[0] == TextBlock("Let me.")
    assert result.stop_reason is StopReason.END_TURN
    assert not stream_threads()


def test_run_and_stream_append_the_same_messages():
    def script() -> Mock:
        return Mock.with_responses(
            [Response.from_tool_calls(ToolUseBlock("1", "echo", {"text": "a"}), text="t"), "end"],
            chunk_size=1,
        )

    history = [Message.user_text("go")]
    ran = Agent(provider=script(), model="m", tools=[echo]).run(history)
    stream = Agent(provider=script(), model="m", tools=[echo]).stream(history)
    assert stream.result().new_messages == ran.new_messages


def test_a_slow_consumer_parks_the_producer():
    provider = Endless()
    stream = Agent(provider=provider, model="m").stream([Message.user_text("go")])
    assert next(stream) == ContentDelta("x")
    # The queue holds QUEUE_SIZE events and the producer one more in put();
    # however long we wait, it cannot get further ahead.
    assert wait_until(lambda: provider.produced >= QUEUE_SIZE)
    threading.Event().wait(0.2)
    assert provider.produced <= QUEUE_SIZE + 2
    stream.close()
    assert provider.closed.is_set()


@pytest.mark.parametrize("leave", ["break", "close", "with", "drop"])
def test_leaving_early_stops_the_producer_and_closes_the_provider_stream(leave):
    provider = Endless()
    before = threading.active_count()
    agent = Agent(provider=provider, model="m")
    if leave == "with":
        with agent.stream([Message.user_text("go")]) as stream:
            next(stream)
    else:
        stream = agent.stream([Message.user_text("go")])
        for _ in stream:
            break
        if leave == "close":
            stream.close()
        elif leave == "drop":
            del stream
            gc.collect()
        # "break" alone must do: the loop's iterator closes the stream as it goes.
    assert provider.closed.wait(WAIT)
    assert wait_until(lambda: not stream_threads())
    assert threading.active_count() <= before


def test_a_cancel_from_another_thread_ends_the_iteration_and_keeps_the_partial_text():
    token = CancellationToken()
    mock = Mock.with_text("one two three four five six", chunk_size=4, event_delay=0.05)
    stream = Agent(provider=mock, model="m").stream([Message.user_text("go")], cancel=token)
    received = []
    for event in stream:
        received.append(event)
        if len(received) == 2:
            threading.Thread(target=token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled) as caught:
        stream.result()
    assert time.monotonic() - started < 1.0
    partial = caught.value.partial
    assert partial.stop_reason is StopReason.CANCELLED
    assert partial.text.startswith("one two ")
    assert partial.new_messages[-1].text == partial.text
    assert not stream_threads()


def test_closing_the_stream_does_not_cancel_the_callers_token():
    token = CancellationToken()
    stream = Agent(provider=Endless(), model="m").stream([Message.user_text("go")], cancel=token)
    next(stream)
    stream.close()
    assert not token.is_cancelled
    assert token._callbacks == {}


def test_an_error_mid_stream_raises_from_the_iteration_and_again_from_result():
    class Failing:
        def complete(self, request, cancel=None):
            raise NotImplementedError

        def stream(self, request, cancel=None):
            yield ContentDelta("partial ")
            raise ProviderError("connection lost")

    stream = Agent(provider=Failing(), model="m").stream([Message.user_text("go")])
    received = []
    with pytest.raises(ProviderFailed) as first:
        for event in stream:
            received.append(event)
    assert received == [ContentDelta("partial ")]
    with pytest.raises(ProviderFailed) as second:
        stream.result()
    assert first.value is second.value
    assert first.value.partial.text == "partial "
    assert list(stream) == []


def test_events_sent_before_a_cancel_are_all_handed_out_then_the_iteration_ends():
    queued = threading.Event()

    class ThreeThenWait:
        def complete(self, request, cancel=None):
            raise NotImplementedError

        def stream(self, request, cancel=None):
            for word in ("one ", "two ", "three "):
                yield ContentDelta(word)
            queued.set()  # the three were put in the queue before this line ran
            cancel.wait(WAIT)
            yield ContentDelta("after the cancel")

    token = CancellationToken()
    stream = Agent(provider=ThreeThenWait(), model="m").stream(
        [Message.user_text("go")], cancel=token
    )
    assert queued.wait(WAIT)
    token.cancel()
    assert [e.text for e in stream] == ["one ", "two ", "three "]
    with pytest.raises(Cancelled) as caught:
        stream.result()
    assert caught.value.partial.text.startswith("one two three")


# --- events(idle=...): a beat while nothing happens ---------------------------------


def gated_echo(gate: threading.Event):
    @tool(read_only=True)
    def echo(text: str, ctx: ToolContext) -> str:
        """Echo, once the test opens the gate (or a cancel does)."""
        with ctx.cancel.on_cancel(gate.set):
            assert gate.wait(WAIT)
        return text

    return echo


def one_tool_call() -> Mock:
    return Mock.with_responses(
        [Response.from_tool_calls(ToolUseBlock("1", "echo", {"text": "hi"})), "All done."],
        chunk_size=4,
    )


def test_events_gives_none_while_a_tool_runs_then_the_rest():
    gate = threading.Event()
    stream = Agent(provider=one_tool_call(), model="m", tools=[gated_echo(gate)]).stream(
        [Message.user_text("go")]
    )
    received = []
    for event in stream.events(idle=0.02):
        received.append(event)
        if event is None:
            gate.set()  # the tool holds the run: only now may it go on
    result = ToolResult("1", "hi", False)
    assert [e for e in received if e is not None] == [
        ToolUse("1", "echo", {"text": "hi"}),
        ToolCallPending("1", "echo", {"text": "hi"}, ToolClass.READ_ONLY),
        result,
        ContentDelta("All "),
        ContentDelta("done"),
        ContentDelta("."),
    ]
    assert None in received[: received.index(result)]  # the beat that let the tool end
    assert stream.result().text == "All done."
    assert not stream_threads()


def test_events_is_the_plain_iteration_when_events_keep_coming():
    def run(idle: float | None) -> list:
        stream = Agent(provider=one_tool_call(), model="m", tools=[echo]).stream(
            [Message.user_text("go")]
        )
        return list(stream if idle is None else stream.events(idle=idle))

    assert run(idle=WAIT) == run(idle=None)


def test_a_cancel_while_idle_ends_events_at_once():
    token = CancellationToken()
    gate = threading.Event()
    stream = Agent(provider=one_tool_call(), model="m", tools=[gated_echo(gate)]).stream(
        [Message.user_text("go")], cancel=token
    )
    iterator = stream.events(idle=WAIT)
    assert isinstance(next(iterator), ContentDelta | ToolUse)
    threading.Timer(0.05, token.cancel).start()
    started = time.monotonic()
    assert [e for e in iterator if e is None] == []  # the cancel, not the 5 s beat, ends it
    assert time.monotonic() - started < 1.0
    with pytest.raises(Cancelled):
        stream.result()
    assert not stream_threads()


def test_leaving_events_early_closes_the_stream():
    provider = Endless()
    stream = Agent(provider=provider, model="m").stream([Message.user_text("go")])
    for _ in stream.events(idle=WAIT):
        break
    assert provider.closed.wait(WAIT)
    assert wait_until(lambda: not stream_threads())


@pytest.mark.parametrize("idle", [0, -1.0, float("nan")])
def test_events_wants_a_positive_idle(idle):
    stream = Agent(provider=Endless(), model="m").stream([Message.user_text("go")])
    with stream, pytest.raises(ValueError, match="idle"):
        stream.events(idle=idle)
