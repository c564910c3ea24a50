import threading

import pytest

from tkach_sync import (
    Agent,
    CancellationToken,
    Cancelled,
    Message,
    ToolClass,
    ToolContext,
    ToolUseBlock,
    tool,
)
from tkach_sync.providers import Mock, Request, Response
from tkach_sync.tools.sub_agent import SubAgent


@tool
def write_note(text: str) -> str:
    """Write a note."""
    return f"noted {text}"


def delegate(prompt: str, id: str = "sub-1") -> Response:
    return Response.from_tool_calls(ToolUseBlock(id, "agent", {"prompt": prompt}))


def test_the_sub_agent_answers_with_its_final_text_and_the_parent_goes_on():
    child = Mock.with_responses(["the answer is 42"])
    parent = Mock.with_responses([delegate("compute it"), "done: 42"])
    agent = Agent(provider=parent, model="big", tools=[SubAgent(child, "small")])
    result = agent.run([Message.user_text("go")])

    assert result.new_messages[1].tool_results[0].content == "the answer is 42"
    assert result.text == "done: 42"
    [child_request] = child.requests
    assert child_request.model == "small"
    assert list(child_request.messages) == [Message.user_text("compute it")]
    assert "agent" in [t.name for t in child_request.tools]


def test_one_approval_handler_and_one_policy_gate_the_whole_tree():
    asked: list[tuple[str, ToolClass]] = []

    def approve(name, input, tool_class):
        asked.append((name, tool_class))
        return name != "write_note"

    child = Mock.with_responses(
        [
            Response.from_tool_calls(ToolUseBlock("w", "write_note", {"text": "x"})),
            "could not write",
        ]
    )
    parent = Mock.with_responses([delegate("write a note"), "ok"])
    agent = Agent(
        provider=parent, model="m", tools=[SubAgent(child, "m"), write_note], approval=approve
    )
    agent.run([Message.user_text("go")])

    assert asked == [("agent", ToolClass.MUTATING), ("write_note", ToolClass.MUTATING)]
    denied = child.requests[1].messages[-1].tool_results[0]
    assert denied.is_error and "denied" in denied.content


def test_past_max_depth_the_call_is_an_error_result():
    def always_delegate(request: Request) -> Response:
        if request.messages[-1].tool_results:
            return Response.from_text(request.messages[-1].tool_results[0].content)
        return delegate("deeper", id=f"d{len(request.messages)}")

    provider = Mock(always_delegate)
    agent = Agent(provider=provider, model="m", tools=[SubAgent(provider, "m")], max_depth=2)
    result = agent.run([Message.user_text("go")])
    assert "exceed max_depth=2" in result.text
    assert provider.call_count == 6  # depth 0, 1 and 2 each ask twice


def test_a_parent_cancel_stops_the_sub_agent():
    token = CancellationToken()
    child_started = threading.Event()

    @tool
    def wait_for_cancel(ctx: ToolContext) -> str:
        """Block until cancelled."""
        child_started.set()
        ctx.cancel.wait(5)
        ctx.cancel.raise_if_cancelled()
        return "not cancelled"

    child = Mock.with_responses(
        [Response.from_tool_calls(ToolUseBlock("w", "wait_for_cancel", {})), "never"]
    )
    parent = Mock.with_responses([delegate("wait"), "never"])
    agent = Agent(provider=parent, model="m", tools=[SubAgent(child, "m"), wait_for_cancel])
    threading.Thread(target=lambda: child_started.wait(5) and token.cancel()).start()
    with pytest.raises(Cancelled) as caught:
        agent.run([Message.user_text("go")], cancel=token)
    result = caught.value.partial.new_messages[1].tool_results[0]
    assert result.is_error and "cancelled" in result.content
    assert child.call_count == 1 and parent.call_count == 1


def test_a_failing_sub_agent_is_an_error_result_not_a_failed_parent():
    child = Mock.with_responses([RuntimeError("model exploded")])
    parent = Mock.with_responses([delegate("x"), "recovered"])
    result = Agent(provider=parent, model="m", tools=[SubAgent(child, "m")]).run(
        [Message.user_text("go")]
    )
    error = result.new_messages[1].tool_results[0]
    assert error.is_error and "model exploded" in error.content
    assert result.text == "recovered"
