"""A deferred approval: the run stops before the call and resumes, statelessly, with a decision."""

import threading
from pathlib import Path

import pytest

from tkach_sync import (
    Agent,
    ApprovalDecision,
    ApprovalDeferred,
    CancellationToken,
    Cancelled,
    ContentDelta,
    Message,
    StopReason,
    TextBlock,
    ToolCall,
    ToolCallPending,
    ToolClass,
    ToolContext,
    ToolExecutor,
    ToolResult,
    ToolResultBlock,
    ToolUse,
    ToolUseBlock,
    tool,
)
from tkach_sync.providers import Mock, Response

HISTORY = [Message.user_text("Note this down, then tell me the time.")]


@tool(read_only=True)
def clock() -> str:
    """What time it is."""
    return "noon"


def recording_note_tool(written: list[str]):
    @tool
    def note(text: str) -> str:
        """Write a note."""
        written.append(text)
        return f"noted: {text}"

    return note


asked: list[str] = []
"""The tools defer_writes was asked about, in order."""


def defer_writes(name: str, input: dict, tool_class: ToolClass) -> ApprovalDecision:
    """Reads may go; a write waits for somebody to decide."""
    asked.append(name)
    if tool_class is ToolClass.MUTATING:
        return ApprovalDecision.defer()
    return ApprovalDecision.allow()


@pytest.fixture(autouse=True)
def _fresh_asks():
    asked.clear()


def scripted(*calls: ToolUseBlock) -> Mock:
    return Mock.with_responses([Response.from_tool_calls(*calls, text="On it."), "All done."])


def stored(messages: list[Message]) -> list[Message]:
    """Through JSON and back, as a web app keeps a history between requests."""
    return [Message.model_validate(m.model_dump(mode="json")) for m in messages]


NOTE = ToolUseBlock("n1", "note", {"text": "buy milk"})
NOTE_2 = ToolUseBlock("n2", "note", {"text": "call mum"})
CLOCK = ToolUseBlock("c1", "clock", {})


def test_a_deferred_call_ends_the_run_before_it_runs():
    written: list[str] = []
    mock = scripted(NOTE)
    agent = Agent(mock, "m", tools=[recording_note_tool(written)], approval=defer_writes)

    result = agent.run(HISTORY)

    assert result.stop_reason is StopReason.AWAITING_APPROVAL
    assert result.new_messages == [Message.assistant([TextBlock("On it."), NOTE])]
    assert result.pending_calls == [NOTE]
    assert result.text == "On it."
    assert written == []
    assert mock.call_count == 1


@pytest.mark.parametrize(
    ("decision", "content", "is_error", "ran"),
    [
        (ApprovalDecision.allow(), "noted: buy milk", False, ["buy milk"]),
        (ApprovalDecision.deny("not today"), "denied: not today", True, []),
    ],
)
def test_resuming_with_a_decision_runs_the_waiting_call_first(decision, content, is_error, ran):
    written: list[str] = []
    mock = scripted(NOTE)
    agent = Agent(mock, "m", tools=[recording_note_tool(written)], approval=defer_writes)
    history = stored(HISTORY + agent.run(HISTORY).new_messages)
    asked.clear()

    resumed = agent.run(history, decisions={NOTE.id: decision})

    assert asked == []  # the decision answered, not the handler
    assert written == ran
    assert resumed.new_messages[0] == Message.user([ToolResultBlock("n1", content, is_error)])
    assert resumed.text == "All done."
    assert resumed.stop_reason is StopReason.END_TURN
    assert resumed.pending_calls == []
    sent = mock.requests[-1].messages
    assert sent[-1].tool_results == [ToolResultBlock("n1", content, is_error)]


def test_the_calls_before_a_deferred_one_run_and_those_after_it_wait_with_it():
    written: list[str] = []
    mock = scripted(CLOCK, NOTE, NOTE_2)
    agent = Agent(mock, "m", tools=[clock, recording_note_tool(written)], approval=defer_writes)

    first = agent.run(HISTORY)

    assert asked == ["clock", "note"]  # the second note was never put to the handler
    assert first.new_messages[1] == Message.user([ToolResultBlock("c1", "noon")])
    assert first.pending_calls == [NOTE, NOTE_2]

    history = HISTORY + first.new_messages
    second = agent.run(history, decisions={NOTE.id: ApprovalDecision.allow()})
    assert written == ["buy milk"]
    assert second.stop_reason is StopReason.AWAITING_APPROVAL
    assert second.pending_calls == [NOTE_2]

    history += second.new_messages
    third = agent.run(history, decisions={NOTE_2.id: ApprovalDecision.allow()})
    assert written == ["buy milk", "call mum"]
    assert third.text == "All done."
    # Every call of the turn is answered, by the user turns that follow it.
    answered = [r.tool_use_id for m in mock.requests[-1].messages[2:] for r in m.tool_results]
    assert answered == ["c1", "n1", "n2"]
    assert mock.call_count == 2


def test_a_sub_agent_cannot_wait_so_a_deferral_denies():
    written: list[str] = []
    child = Agent(
        scripted(NOTE), "m", tools=[recording_note_tool(written)], approval=defer_writes, depth=1
    )
    result = child.run(HISTORY)
    assert result.stop_reason is StopReason.END_TURN
    assert written == []
    denial = result.new_messages[1].tool_results[0]
    assert denial.is_error and "cannot wait" in denial.content


def test_a_history_that_moved_on_is_not_resumed():
    written: list[str] = []
    mock = Mock.with_text("Fine, no note.")
    agent = Agent(mock, "m", tools=[recording_note_tool(written)])
    history = [*HISTORY, Message.assistant([NOTE]), Message.user_text("Never mind.")]

    result = agent.run(history)

    assert written == []
    assert mock.requests[0].messages == tuple(history)
    assert result.text == "Fine, no note."


def test_a_stream_ends_at_the_deferral_and_resumes_with_the_decision():
    written: list[str] = []
    agent = Agent(scripted(NOTE), "m", tools=[recording_note_tool(written)], approval=defer_writes)

    stream = agent.stream(HISTORY)
    events = list(stream)
    result = stream.result()
    assert events == [
        ContentDelta("On it."),
        ToolUse("n1", "note", {"text": "buy milk"}),
        ToolCallPending("n1", "note", {"text": "buy milk"}, ToolClass.MUTATING),
    ]
    assert result.stop_reason is StopReason.AWAITING_APPROVAL

    resumed = agent.stream(
        HISTORY + result.new_messages, decisions={"n1": ApprovalDecision.allow()}
    )
    assert list(resumed)[:2] == [
        ToolCallPending("n1", "note", {"text": "buy milk"}, ToolClass.MUTATING),
        ToolResult("n1", "noted: buy milk", False),
    ]
    assert resumed.result().text == "All done."
    assert written == ["buy milk"]


def test_the_executor_raises_with_the_results_of_the_calls_before(tmp_path: Path):
    written: list[str] = []
    executor = ToolExecutor([clock, recording_note_tool(written)], approval=defer_writes)
    ctx = ToolContext(working_dir=tmp_path, cancel=CancellationToken())
    calls = [ToolCall("c1", "clock", {}), ToolCall("n1", "note", {"text": "x"})]

    with pytest.raises(ApprovalDeferred) as caught:
        executor.execute_batch(calls, ctx)

    assert caught.value.results == [ToolResultBlock("c1", "noon")]
    assert written == []


def test_a_cancel_while_the_handler_thinks_wins_over_a_late_deferral(tmp_path: Path):
    token = CancellationToken()
    asking = threading.Event()

    def slow_defer(name, input, tool_class):
        asking.set()
        token.wait(5)
        return ApprovalDecision.defer()

    agent = Agent(scripted(NOTE), "m", tools=[recording_note_tool([])], approval=slow_defer)
    threading.Thread(target=lambda: asking.wait(5) and token.cancel()).start()
    with pytest.raises(Cancelled) as caught:
        agent.run(HISTORY, token)
    tool_result = caught.value.partial.new_messages[-1].tool_results[0]
    assert tool_result.is_error and "cancelled" in tool_result.content
