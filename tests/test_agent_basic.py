from tkach_sync import Agent, Message, StopReason, ToolUseBlock, tool
from tkach_sync.providers import Mock, Response


@tool(read_only=True)
def add(a: int, b: int = 2) -> int:
    """Add two numbers."""
    return a + b


def test_a_tool_loop_runs_to_the_final_answer_and_returns_only_the_delta():
    history = [Message.user_text("what is 1 + 2?")]
    provider = Mock.with_responses(
        [Response.from_tool_calls(ToolUseBlock("t1", "add", {"a": 1})), "it is 3"]
    )
    result = Agent(provider=provider, model="m", tools=[add]).run(history)

    assert [m.role for m in result.new_messages] == ["assistant", "user", "assistant"]
    assert result.new_messages[1].tool_results[0].content == "3"
    assert result.text == "it is 3"
    assert result.stop_reason is StopReason.END_TURN
    assert len(history) == 1
    assert provider.call_count == 2
