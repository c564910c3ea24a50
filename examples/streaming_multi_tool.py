"""A multi-turn tool chain over ``Agent.stream``: write a file, edit it, read it back.

Each model turn asks for one tool; the agent runs it, sends the result back and
asks the model again, until the model answers in plain text. The stream shows
it all as it happens: text deltas, each ``ToolUse`` (always whole, never
partial JSON) and each ``ToolResult``. The tools work in a throw-away
directory given as ``working_dir``, so relative paths land there.

    python examples/streaming_multi_tool.py

Offline a scripted fake model drives the chain; with ANTHROPIC_API_KEY set the
real model does, with the real write, edit and read tools.
"""

import tempfile
from pathlib import Path

from _support import check, check_tool_uses_answered, example_provider, printing

from tkach_sync import Agent, Message, StopReason, ToolResult, ToolUse
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn
from tkach_sync.tools import Edit, Read, Write

PROMPT = (
    "Create notes.txt containing exactly 'Hello, world!' and a newline. Then use the edit "
    "tool to replace 'world' with 'tkach'. Then read the file back and tell me what it says. "
    "One tool call per step."
)


def script(server: FakeLLMServer) -> None:
    write = ToolCallSpec("write", {"file_path": "notes.txt", "content": "Hello, world!\n"})
    edit = ToolCallSpec(
        "edit", {"file_path": "notes.txt", "old_string": "world", "new_string": "tkach"}
    )
    server.add(Turn.tool_calls(write, text="First I'll create the file.", chunks=4).drip(0.01))
    server.add(Turn.tool_calls(edit, text="Now the edit.", chunks=3).drip(0.01))
    server.add(Turn.tool_calls(ToolCallSpec("read", {"file_path": "notes.txt"})))
    server.add(Turn.text("The file now says: Hello, tkach!", chunks=6).drip(0.01))


with tempfile.TemporaryDirectory() as workdir, example_provider(script) as (provider, model, live):
    agent = Agent(
        provider=provider,
        model=model,
        tools=[Write(), Edit(), Read()],
        working_dir=workdir,
        max_turns=10,
    )

    tool_calls: list[str] = []
    results: list[ToolResult] = []
    with agent.stream([Message.user_text(PROMPT)]) as stream:
        for event in printing(stream):
            if isinstance(event, ToolUse):
                tool_calls.append(event.name)
            elif isinstance(event, ToolResult):
                results.append(event)
    result = stream.result()
    print(f"[{len(tool_calls)} tool calls: {' -> '.join(tool_calls)}; {result.stop_reason}]")

    check(result.stop_reason is StopReason.END_TURN, "the chain ends with a plain answer")
    check(len(results) == len(tool_calls), "every streamed ToolUse got a streamed ToolResult")
    check_tool_uses_answered(result.new_messages)
    if not live:
        notes = Path(workdir, "notes.txt").read_text()
        check(tool_calls == ["write", "edit", "read"], "the calls ran in the model's order")
        check(not any(r.is_error for r in results), "every tool succeeded")
        check(notes == "Hello, tkach!\n", f"the file was written, then edited: {notes!r}")
        check(results[-1].content == "1\tHello, tkach!", "read numbers its lines from 1")
        check(len(result.new_messages) == 7, "four model turns and three tool-result messages")
