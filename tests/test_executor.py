import logging
import threading
from pathlib import Path

import pytest

from tkach_sync import (
    ApprovalDecision,
    CancellationToken,
    ToolCall,
    ToolCallPending,
    ToolClass,
    ToolContext,
    ToolError,
    ToolExecutor,
    ToolRegistry,
    ToolResult,
    tool,
)

WAIT = 5.0  # generous bound for handshakes on a busy 2-core machine


def ctx(tmp_path: Path, cancel: CancellationToken | None = None) -> ToolContext:
    return ToolContext(working_dir=tmp_path, cancel=cancel or CancellationToken())


@tool(read_only=True)
def echo(text: str) -> str:
    """Echo."""
    return text


@tool
def shout(text: str) -> str:
    """Shout."""
    return text.upper()


def test_the_registry_keeps_the_later_of_two_tools_with_one_name(caplog):
    @tool(name="echo")
    def other(text: str) -> str:
        """Other."""
        return "other"

    with caplog.at_level(logging.WARNING):
        registry = ToolRegistry([echo, other])
    assert registry.get("echo") is other
    assert len(registry) == 1 and "echo" in registry
    assert "registered twice" in caplog.text


def test_results_come_back_in_the_models_order(tmp_path):
    executor = ToolExecutor([echo, shout])
    calls = [
        ToolCall("1", "echo", {"text": "a"}),
        ToolCall("2", "shout", {"text": "b"}),
        ToolCall("3", "echo", {"text": "c"}),
        ToolCall("4", "echo", {"text": "d"}),
    ]
    results = executor.execute_batch(calls, ctx(tmp_path))
    assert [(r.tool_use_id, r.content, r.is_error) for r in results] == [
        ("1", "a", False),
        ("2", "B", False),
        ("3", "c", False),
        ("4", "d", False),
    ]


def test_consecutive_read_only_calls_run_in_parallel(tmp_path):
    # Eight calls that can only finish if all eight run at the same time.
    barrier = threading.Barrier(8, timeout=WAIT)

    @tool(read_only=True)
    def meet(n: int) -> str:
        """Wait for the others."""
        barrier.wait()
        return str(n)

    executor = ToolExecutor([meet], max_workers=8)
    results = executor.execute_batch(
        [ToolCall(str(i), "meet", {"n": i}) for i in range(8)], ctx(tmp_path)
    )
    assert [r.content for r in results] == [str(i) for i in range(8)]
    assert not [t for t in threading.enumerate() if t.name.startswith("tkach-tool")]


def test_mutating_calls_run_alone_in_the_callers_thread_and_in_order(tmp_path):
    log: list[tuple[str, str]] = []

    @tool
    def step(name: str) -> str:
        """Record a step."""
        log.append((name, threading.current_thread().name))
        return name

    @tool(read_only=True)
    def look(name: str) -> str:
        """Record a look."""
        log.append((name, "pool"))
        return name

    calls = [ToolCall(str(i), "step", {"name": f"s{i}"}) for i in range(3)]
    calls.insert(1, ToolCall("r", "look", {"name": "r"}))
    ToolExecutor([step, look]).execute_batch(calls, ctx(tmp_path))
    me = threading.current_thread().name
    assert log == [("s0", me), ("r", "pool"), ("s1", me), ("s2", me)]


def test_every_failure_becomes_an_error_result_naming_what_went_wrong(tmp_path):
    @tool
    def refuse() -> str:
        """Refuse."""
        raise ToolError("nope, not today")

    @tool
    def crash() -> str:
        """Crash."""
        raise ZeroDivisionError("boom")

    executor = ToolExecutor([echo, refuse, crash, shout], policy=lambda name: name != "shout")
    results = executor.execute_batch(
        [
            ToolCall("1", "missing", {}),
            ToolCall("2", "echo", {"text": 3}),
            ToolCall("3", "refuse", {}),
            ToolCall("4", "crash", {}),
            ToolCall("5", "shout", {"text": "x"}),
        ],
        ctx(tmp_path),
    )
    assert all(r.is_error for r in results)
    unknown, invalid, refused, crashed, denied = (r.content for r in results)
    assert "unknown tool 'missing'" in unknown and "echo" in unknown
    assert "echo" in invalid and "text" in invalid
    assert refused == "nope, not today"
    assert "ZeroDivisionError: boom" in crashed
    assert "not allowed by the tool policy" in denied


def test_an_approval_denial_reaches_the_model_with_its_reason(tmp_path):
    asked: list[tuple[str, dict[str, object], ToolClass]] = []

    class Reviewer:
        def approve(self, tool_name, input, tool_class):
            asked.append((tool_name, input, tool_class))
            if tool_class is ToolClass.MUTATING:
                return ApprovalDecision.deny("no writes today")
            return ApprovalDecision.allow()

    executor = ToolExecutor([echo, shout], approval=Reviewer())
    results = executor.execute_batch(
        [ToolCall("1", "echo", {"text": "a"}), ToolCall("2", "shout", {"text": "b"})],
        ctx(tmp_path),
    )
    assert results[0].content == "a" and not results[0].is_error
    assert results[1].is_error and results[1].content == "denied: no writes today"
    assert asked == [
        ("echo", {"text": "a"}, ToolClass.READ_ONLY),
        ("shout", {"text": "b"}, ToolClass.MUTATING),
    ]


def test_plain_callables_and_bools_are_approval_handlers(tmp_path):
    executor = ToolExecutor([echo], approval=lambda name, input, cls: input["text"] != "no")
    results = executor.execute_batch(
        [ToolCall("1", "echo", {"text": "yes"}), ToolCall("2", "echo", {"text": "no"})],
        ctx(tmp_path),
    )
    assert [r.is_error for r in results] == [False, True]


def test_a_broken_approval_handler_keeps_the_gate_shut(tmp_path, caplog):
    def broken(name, input, cls):
        raise RuntimeError("handler bug")

    with caplog.at_level(logging.ERROR):
        result = ToolExecutor([echo], approval=broken).execute_one(
            ToolCall("1", "echo", {"text": "a"}), ctx(tmp_path)
        )
    assert result.is_error and "handler bug" in result.content


def test_a_cancel_wins_over_a_hung_approval_handler(tmp_path):
    asked = threading.Event()
    release = threading.Event()

    def hung(name, input, cls):
        asked.set()
        release.wait(WAIT)
        return ApprovalDecision.allow()

    token = CancellationToken()
    executor = ToolExecutor([echo], approval=hung)
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            executor.execute_one(ToolCall("1", "echo", {"text": "a"}), ctx(tmp_path, token))
        )
    )
    worker.start()
    try:
        assert asked.wait(WAIT)
        token.cancel()
        worker.join(1.0)
        assert not worker.is_alive(), "a cancel must end a pending approval within 1 s"
    finally:
        release.set()
    [result] = outcome
    assert result.is_error and "awaiting approval" in result.content


def test_once_cancelled_no_new_tool_starts_and_each_skipped_call_says_so(tmp_path):
    token = CancellationToken()
    ran: list[str] = []

    @tool
    def first() -> str:
        """Cancel the run."""
        ran.append("first")
        token.cancel()
        return "done"

    @tool
    def second() -> str:
        """Must not run."""
        ran.append("second")
        return "ran"

    results = ToolExecutor([first, second]).execute_batch(
        [ToolCall("1", "first", {}), ToolCall("2", "second", {}), ToolCall("3", "second", {})],
        ctx(tmp_path, token),
    )
    assert ran == ["first"]
    assert results[0].content == "done"
    assert [r.is_error for r in results[1:]] == [True, True]
    assert all("cancelled" in r.content for r in results[1:])


def test_a_tool_that_sees_the_cancel_reports_it(tmp_path):
    token = CancellationToken()

    @tool
    def careful(ctx: ToolContext) -> str:
        """Stop at a checkpoint."""
        ctx.cancel.cancel()
        ctx.cancel.raise_if_cancelled()
        return "unreachable"

    result = ToolExecutor([careful]).execute_one(ToolCall("1", "careful", {}), ctx(tmp_path, token))
    assert result.is_error and "cancelled" in result.content


def test_events_announce_each_call_before_approval_and_its_result_after(tmp_path):
    events: list[object] = []

    def approve(name, input, cls):
        events.append(("approve", name))
        return True

    ToolExecutor([echo, shout], approval=approve).execute_batch(
        [ToolCall("1", "echo", {"text": "a"}), ToolCall("2", "shout", {"text": "b"})],
        ctx(tmp_path),
        on_event=events.append,
    )
    assert events == [
        ToolCallPending("1", "echo", {"text": "a"}, ToolClass.READ_ONLY),
        ("approve", "echo"),
        ToolResult("1", "a", False),
        ToolCallPending("2", "shout", {"text": "b"}, ToolClass.MUTATING),
        ("approve", "shout"),
        ToolResult("2", "B", False),
    ]


def test_max_workers_must_be_positive():
    with pytest.raises(ValueError):
        ToolExecutor([], max_workers=0)


def test_each_tool_call_sees_its_own_id(tmp_path):
    @tool(read_only=True)
    def whoami(ctx: ToolContext) -> str:
        """Say which call this is."""
        return ctx.tool_use_id

    results = ToolExecutor([whoami]).execute_batch(
        [ToolCall("call_a", "whoami", {}), ToolCall("call_b", "whoami", {})], ctx(tmp_path)
    )
    assert [r.content for r in results] == ["call_a", "call_b"]
