"""Delegation: a parent agent streams, and hands a task to a sub-agent on a smaller model.

``SubAgent(provider, model)`` is a tool named ``agent``. When the parent calls
it, a child agent runs the task on its own (cheaper) model, with the parent's
tools, and its final text becomes the tool result. The child shares the
parent's executor, so one approval handler gates the whole tree: the child's
tool calls never show up in the parent's stream, yet each one still asks the
same handler.

    python examples/streaming_subagent.py

Offline a scripted fake model plays both agents (the requests show which model
each turn was for); with ANTHROPIC_API_KEY set the parent runs on
ANTHROPIC_MODEL (default claude-haiku-4-5) and the child on
ANTHROPIC_SMALL_MODEL (default claude-haiku-4-5).
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from _support import check, check_tool_uses_answered, example_provider, printing

from tkach_sync import Agent, ApprovalDecision, Message, ToolCallPending, ToolClass
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn
from tkach_sync.tools import Read, SubAgent

PROMPT = (
    "Delegate to a sub-agent (the agent tool): have it read CHANGELOG.md and report the "
    "newest version number. Then tell me that version."
)
CHANGELOG = "# Changelog\n\n## 0.4.0\n- Sub-agents.\n\n## 0.3.0\n- Streaming.\n"
OFFLINE_CHILD_MODEL = "fake-small-model"

servers: list[FakeLLMServer] = []  # offline only: to look at the requests afterwards


def script(server: FakeLLMServer) -> None:
    servers.append(server)
    task = "Read CHANGELOG.md and answer with the newest version number only."
    server.add(Turn.tool_calls(ToolCallSpec("agent", {"prompt": task}), text="Delegating."))
    server.add(Turn.tool_calls(ToolCallSpec("read", {"file_path": "CHANGELOG.md"})))  # child
    server.add(Turn.text("0.4.0"))  # child's answer
    server.add(Turn.text("The newest version is 0.4.0.", chunks=5).drip(0.01))


class RecordingApproval:
    """Allows everything, and remembers what it was asked, at any depth of the tree."""

    def __init__(self) -> None:
        self.asked: list[str] = []  # list.append is atomic: safe from the approval threads

    def approve(
        self, tool_name: str, input: dict[str, Any], tool_class: ToolClass
    ) -> ApprovalDecision:
        self.asked.append(tool_name)
        return ApprovalDecision.allow()


with tempfile.TemporaryDirectory() as workdir, example_provider(script) as (provider, model, live):
    Path(workdir, "CHANGELOG.md").write_text(CHANGELOG)
    child_model = (
        os.environ.get("ANTHROPIC_SMALL_MODEL", "claude-haiku-4-5") if live else OFFLINE_CHILD_MODEL
    )
    approval = RecordingApproval()
    parent = Agent(
        provider=provider,
        model=model,
        tools=[Read(), SubAgent(provider, child_model)],
        approval=approval,
        working_dir=workdir,
        max_turns=6,
    )

    seen_by_parent_stream: list[str] = []
    with parent.stream([Message.user_text(PROMPT)]) as stream:
        for event in printing(stream):
            if isinstance(event, ToolCallPending):
                seen_by_parent_stream.append(event.name)
    result = stream.result()
    print(f"[parent stream saw {seen_by_parent_stream}; the approval handler saw {approval.asked}]")

    check_tool_uses_answered(result.new_messages)
    check(
        set(seen_by_parent_stream) <= set(approval.asked),
        "every call the parent made went through the approval handler",
    )
    if not live:
        models = [request.json()["model"] for request in servers[0].requests]
        check(seen_by_parent_stream == ["agent"], "the parent itself only delegated")
        check(approval.asked == ["agent", "read"], "the child's read asked the parent's handler")
        check(
            models == [model, child_model, child_model, model],
            f"the child ran on the smaller model: {models}",
        )
        check("0.4.0" in result.text, "the child's finding reached the parent's answer")
