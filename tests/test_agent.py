import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tkach_sync import (
    Agent,
    CacheControl,
    Cancelled,
    MaxTurnsReached,
    Message,
    ProviderError,
    ProviderFailed,
    StopReason,
    TextBlock,
    ToolContext,
    ToolUseBlock,
    Usage,
    tool,
)
from tkach_sync.providers import Mock, Request, Response, SystemBlock


@tool(read_only=True)
def echo(text: str) -> str:
    """Echo."""
    return text


def call(id: str, text: str = "x") -> ToolUseBlock:
    return ToolUseBlock(id, "echo", {"text": text})


def assert_every_tool_use_answered(messages: list[Message]) -> None:
    for i, message in enumerate(messages):
        if message.tool_uses:
            answered = {r.tool_use_id for r in messages[i + 1].tool_results}
            assert answered == {u.id for u in message.tool_uses}


def test_run_never_touches_the_history_and_returns_only_the_delta():
    history = [Message.user_text("hi")]
    snapshot = [m.model_copy(deep=True) for m in history]
    agent = Agent(
        provider=Mock.with_responses([Response.from_tool_calls(call("1")), "bye"] * 2),
        model="m",
        tools=[echo],
    )
    first = agent.run(history)
    second = agent.run(history)
    assert history == snapshot
    assert first.new_messages == second.new_messages
    assert len(first.new_messages) == 3
    assert_every_tool_use_answered(first.new_messages)


def test_usage_is_summed_over_turns():
    agent = Agent(
        provider=Mock.with_responses(
            [
                Response.from_tool_calls(call("1"), usage=Usage(input_tokens=10, output_tokens=2)),
                Response.from_text("ok", usage=Usage(input_tokens=12, cache_read_input_tokens=5)),
            ]
        ),
        model="m",
        tools=[echo],
    )
    assert agent.run([Message.user_text("hi")]).usage == Usage(
        input_tokens=22, output_tokens=2, cache_read_input_tokens=5
    )


def test_the_request_carries_model_system_sorted_tools_and_one_cache_breakpoint():
    @tool
    def alpha() -> str:
        """A."""
        return "a"

    mock = Mock.with_text("ok")
    Agent(
        provider=mock,
        model="claude-x",
        system="be brief",
        tools=[echo, alpha],
        max_tokens=100,
        temperature=0.3,
        cache_tools=CacheControl.ephemeral_1h(),
    ).run([Message.user_text("hi")])
    [request] = mock.requests
    assert isinstance(request, Request)
    assert (request.model, request.max_tokens, request.temperature) == ("claude-x", 100, 0.3)
    assert request.system == [SystemBlock("be brief")]
    assert [t.name for t in request.tools] == ["alpha", "echo"]
    assert [t.cache_control for t in request.tools] == [None, CacheControl.ephemeral_1h()]


def test_max_turns_keeps_every_completed_message():
    agent = Agent(
        provider=Mock(lambda r: Response.from_tool_calls(call(f"t{len(r.messages)}"))),
        model="m",
        tools=[echo],
        max_turns=3,
    )
    with pytest.raises(MaxTurnsReached) as caught:
        agent.run([Message.user_text("loop")])
    assert caught.value.turns == 3
    partial = caught.value.partial
    assert len(partial.new_messages) == 6
    assert_every_tool_use_answered(partial.new_messages)


def test_a_provider_failure_keeps_the_partial_and_its_cause():
    boom = ProviderError("upstream broke")
    agent = Agent(
        provider=Mock.with_responses([Response.from_tool_calls(call("1")), boom]),
        model="m",
        tools=[echo],
    )
    with pytest.raises(ProviderFailed) as caught:
        agent.run([Message.user_text("hi")])
    assert caught.value.__cause__ is boom
    assert len(caught.value.partial.new_messages) == 2


def test_a_cancel_before_the_first_turn_calls_nobody():
    from tkach_sync import CancellationToken

    token = CancellationToken()
    token.cancel()
    mock = Mock.with_text("never")
    with pytest.raises(Cancelled) as caught:
        Agent(provider=mock, model="m").run([Message.user_text("hi")], cancel=token)
    assert mock.call_count == 0
    assert caught.value.partial.new_messages == []
    assert caught.value.partial.stop_reason is StopReason.CANCELLED


def test_a_cancel_while_the_model_answers_still_answers_every_tool_use():
    from tkach_sync import CancellationToken

    token = CancellationToken()

    def answer_then_cancel(request: Request) -> Response:
        token.cancel()
        return Response.from_tool_calls(call("1"), call("2"), text="working")

    with pytest.raises(Cancelled) as caught:
        Agent(provider=Mock(answer_then_cancel), model="m", tools=[echo]).run(
            [Message.user_text("hi")], cancel=token
        )
    partial = caught.value.partial
    assert_every_tool_use_answered(partial.new_messages)
    assert all(r.is_error for r in partial.new_messages[1].tool_results)
    assert partial.text == "working"


def test_a_cancel_during_a_tool_ends_the_run_after_that_batch():
    from tkach_sync import CancellationToken

    token = CancellationToken()

    @tool
    def stop(ctx: ToolContext) -> str:
        """Stop everything."""
        ctx.cancel.cancel()
        return "stopped"

    mock = Mock.with_responses([Response.from_tool_calls(ToolUseBlock("1", "stop", {})), "never"])
    with pytest.raises(Cancelled) as caught:
        Agent(provider=mock, model="m", tools=[stop]).run([Message.user_text("hi")], cancel=token)
    assert mock.call_count == 1
    assert caught.value.partial.new_messages[1].tool_results[0].content == "stopped"


def test_pause_turn_goes_on_to_the_next_turn():
    mock = Mock.with_responses([Response([TextBlock("thinking…")], StopReason.PAUSE_TURN), "done"])
    result = Agent(provider=mock, model="m").run([Message.user_text("hi")])
    assert result.text == "done" and mock.call_count == 2


def test_one_agent_serves_many_threads_at_once():
    def answer(request: Request) -> Response:
        question = request.messages[0].text
        if len(request.messages) == 1:
            return Response.from_tool_calls(
                ToolUseBlock(f"t-{question}", "echo", {"text": question})
            )
        return Response.from_text(f"answer to {request.messages[-1].tool_results[0].content}")

    agent = Agent(provider=Mock(answer), model="m", tools=[echo])
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: agent.run([Message.user_text(f"q{i}")]), range(64)))
    assert [r.text for r in results] == [f"answer to q{i}" for i in range(64)]


def test_no_thread_outlives_a_run():
    before = set(threading.enumerate())
    agent = Agent(
        provider=Mock.with_responses([Response.from_tool_calls(call("1"), call("2")), "ok"]),
        model="m",
        tools=[echo],
        approval=lambda *a: True,
    )
    agent.run([Message.user_text("hi")])
    leftovers = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in leftovers:
        t.join(1.0)
    assert not [t for t in leftovers if t.is_alive()]


def test_executor_and_tools_are_exclusive():
    from tkach_sync import ToolExecutor

    with pytest.raises(ValueError):
        Agent(provider=Mock.with_text("x"), model="m", tools=[echo], executor=ToolExecutor([]))
