"""A custom ``ApprovalHandler`` that says no, with a reason the model can act on.

Every tool call passes the approval gate before it runs. A denial is not an
error of the run: it goes back to the model as an ``is_error`` tool result
carrying your reason, and the model adapts. Here the handler refuses to
delete files and points the model to the trash instead.

The handler runs in a thread of its own and races the cancellation token, so a
cancel always wins over a prompt nobody answers.

    python examples/approval_flow.py

Offline a scripted fake model tries to delete, is refused, and moves the file
to the trash; with ANTHROPIC_API_KEY set the real model meets the same gate.
"""

import tempfile
from pathlib import Path
from typing import Any

from _support import check, check_tool_uses_answered, example_provider, printing

from tkach_sync import (
    Agent,
    ApprovalDecision,
    Message,
    StopReason,
    ToolCallPending,
    ToolClass,
    ToolContext,
    tool,
)
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

REASON = "deleting files is not allowed here; move them to the trash with move_to_trash"
deleted: list[str] = []


@tool
def delete_file(path: str, ctx: ToolContext) -> str:
    """Delete a file for good."""
    ctx.resolve(path).unlink()
    deleted.append(path)
    return f"deleted {path}"


@tool
def move_to_trash(path: str, ctx: ToolContext) -> str:
    """Move a file to the .trash folder, from where it can be restored."""
    trash = ctx.resolve(".trash")
    trash.mkdir(exist_ok=True)
    ctx.resolve(path).rename(trash / Path(path).name)
    return f"moved {path} to .trash/"


class NoDeletes:
    """Allows every tool but delete_file, and says why."""

    def approve(
        self, tool_name: str, input: dict[str, Any], tool_class: ToolClass
    ) -> ApprovalDecision:
        if tool_name == "delete_file":
            return ApprovalDecision.deny(REASON)
        return ApprovalDecision.allow()


def script(server: FakeLLMServer) -> None:
    delete = ToolCallSpec("delete_file", {"path": "old-draft.txt"})
    server.add(Turn.tool_calls(delete, text="Deleting the old draft."))
    trash = ToolCallSpec("move_to_trash", {"path": "old-draft.txt"})
    server.add(Turn.tool_calls(trash, text="I may not delete it, so I'll trash it instead."))
    server.add(Turn.text("Done: old-draft.txt is in .trash/ and can be restored."))


with tempfile.TemporaryDirectory() as workdir, example_provider(script) as (provider, model, live):
    Path(workdir, "old-draft.txt").write_text("an old draft\n")
    agent = Agent(
        provider=provider,
        model=model,
        tools=[delete_file, move_to_trash],
        approval=NoDeletes(),
        working_dir=workdir,
        max_turns=6,
        max_tokens=1000,
    )

    asked: list[str] = []
    with agent.stream([Message.user_text("Please delete old-draft.txt.")]) as stream:
        for event in printing(stream):
            if isinstance(event, ToolCallPending):
                asked.append(event.name)
    result = stream.result()
    check_tool_uses_answered(result.new_messages)

    results = {r.tool_use_id: r for m in result.new_messages for r in m.tool_results}
    uses = [use for m in result.new_messages for use in m.tool_uses]
    denials = [results[use.id] for use in uses if use.name == "delete_file"]
    print(f"[tools asked for: {asked}; {len(denials)} denied; {result.stop_reason}]")

    check(not deleted, "a denied delete_file never ran")
    kept = Path(workdir, "old-draft.txt").exists() or Path(workdir, ".trash").exists()
    check(kept, "the file is still there, in place or in the trash")
    check(all(d.is_error and REASON in d.content for d in denials), "the model saw the reason")
    check(result.stop_reason is StopReason.END_TURN, "a denial does not end the run")
    if not live:
        check(asked == ["delete_file", "move_to_trash"], "the model adapted after the denial")
        check(Path(workdir, ".trash", "old-draft.txt").exists(), "the file is in the trash")
        check(len(denials) == 1 and denials[0].content == f"denied: {REASON}", "one denial")
