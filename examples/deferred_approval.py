"""Approval that waits for a person without holding a thread: defer, store, resume.

A web request or a worker task cannot block until a reviewer shows up. The
approval handler answers ``ApprovalDecision.defer()`` instead: the run ends
before the call with ``StopReason.AWAITING_APPROVAL``, and the history, which
is the whole state, goes to storage (a JSON file here, a database row in an
app). Once the reviewer decided, a fresh ``Agent`` runs on the stored history
with ``decisions={call id: decision}``: the waiting calls run first, then the
loop goes on as if it had never stopped.

    python examples/deferred_approval.py

Offline a scripted fake model lists the files and asks to delete two logs;
the reviewer allows one and keeps the other. With ANTHROPIC_API_KEY set the
real model meets the same gate.
"""

import json
import tempfile
from pathlib import Path
from typing import Any

from _support import check, check_tool_uses_answered, example_provider

from tkach_sync import (
    Agent,
    ApprovalDecision,
    Message,
    StopReason,
    ToolClass,
    ToolContext,
    tool,
)
from tkach_sync.providers import LlmProvider
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

PROMPT = "Clean up the stale log files in this folder."


@tool(read_only=True)
def list_files(ctx: ToolContext) -> str:
    """The files in the working folder."""
    return "\n".join(sorted(p.name for p in ctx.working_dir.iterdir()))


@tool
def delete_file(path: str, ctx: ToolContext) -> str:
    """Delete a file for good."""
    ctx.resolve(path).unlink()
    return f"deleted {path}"


def review_later(tool_name: str, input: dict[str, Any], tool_class: ToolClass) -> ApprovalDecision:
    """Reads go ahead; anything that changes the folder waits for a person."""
    if tool_class is ToolClass.READ_ONLY:
        return ApprovalDecision.allow()
    return ApprovalDecision.defer()


def make_agent(provider: LlmProvider, model: str, workdir: str) -> Agent:
    return Agent(
        provider=provider,
        model=model,
        tools=[list_files, delete_file],
        approval=review_later,
        working_dir=workdir,
        max_turns=6,
        max_tokens=1000,
    )


def script(server: FakeLLMServer) -> None:
    server.add(Turn.tool_calls(ToolCallSpec("list_files", {}), text="Let me look first."))
    server.add(
        Turn.tool_calls(
            ToolCallSpec("delete_file", {"path": "old.log"}),
            ToolCallSpec("delete_file", {"path": "debug.log"}),
            text="Two stale logs: deleting both.",
        )
    )
    server.add(Turn.text("Deleted old.log; debug.log stays, as you asked."))


def reviewer(call_input: dict[str, Any]) -> ApprovalDecision:
    """The person, later: old logs may go, the debug log stays."""
    if "debug" in str(call_input.get("path", "")):
        return ApprovalDecision.deny("keep debug.log, we still need it")
    return ApprovalDecision.allow()


with tempfile.TemporaryDirectory() as workdir, example_provider(script) as (provider, model, live):
    for name in ("old.log", "debug.log", "notes.md"):
        Path(workdir, name).write_text(f"{name}\n")
    store = Path(workdir, ".conversation.json")

    # Request 1: the run stops at the first delete and the history is stored.
    history = [Message.user_text(PROMPT)]
    first = make_agent(provider, model, workdir).run(history)
    print(f"[run 1: {first.stop_reason}; waiting: {[c.input for c in first.pending_calls]}]")
    store.write_text(json.dumps([m.model_dump(mode="json") for m in history + first.new_messages]))
    if first.stop_reason is StopReason.AWAITING_APPROVAL:
        check(Path(workdir, "old.log").exists(), "nothing was deleted before the decision")
    waiting = {call.id: call.input for call in first.pending_calls}

    # Request 2, any time later: a fresh agent, the stored history, the decisions.
    if waiting:
        stored = [Message.model_validate(m) for m in json.loads(store.read_text())]
        decisions = {call_id: reviewer(call_input) for call_id, call_input in waiting.items()}
        second = make_agent(provider, model, workdir).run(stored, decisions=decisions)
        print(f"[run 2: {second.stop_reason}] {second.text}")
        check(Path(workdir, "debug.log").exists(), "the denied delete never ran")
        check_tool_uses_answered(stored[1:] + second.new_messages)
    else:
        print("[the model asked for nothing that needs a person; nothing to resume]")
    if not live:
        check(first.stop_reason is StopReason.AWAITING_APPROVAL, "the run waited for a person")
        check(len(waiting) == 2, "both deletes waited: the second never ran before the first")
        check(second.stop_reason is StopReason.END_TURN, "the resumed run finished")
        check(not Path(workdir, "old.log").exists(), "the allowed delete ran on resume")
        check(Path(workdir, "notes.md").exists(), "nobody asked to delete the notes")
        denial = second.new_messages[0].tool_results[1]
        check(denial.is_error and "keep debug.log" in denial.content, "the model saw why")
