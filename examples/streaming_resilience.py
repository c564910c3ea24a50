"""Three things that go wrong in real runs, and how a streamed run rides them out.

1. A tool fails (a file that is not there): the error goes back to the model
   as an ``is_error`` tool result and the model recovers. Offline the first
   request also gets a 529 Overloaded, which the provider retries after a
   short backoff, before any event reached you.
2. One model turn holds several blocks: text and two tool calls. Both calls
   run, and their results go back in the model's order.
3. A cancel arrives while a tool is running. The tool watches its
   ``ctx.cancel`` and stops; the call still gets its (error) result, so the
   partial history stays valid to resume from.

    python examples/streaming_resilience.py

Offline a scripted fake model plays all three; with ANTHROPIC_API_KEY set the
real model does (what it chooses to do may differ; the invariants still hold).
"""

import tempfile
import threading
import time
from pathlib import Path

from _support import check, check_tool_uses_answered, example_provider, printing

from tkach_sync import (
    Agent,
    AgentStream,
    CancellationToken,
    Cancelled,
    Message,
    TextBlock,
    ToolCallPending,
    ToolCancelled,
    ToolContext,
    ToolUseBlock,
    tool,
)
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn
from tkach_sync.tools import Read

migration_started = threading.Event()


@tool
def run_migration(name: str, ctx: ToolContext) -> str:
    """Run a (long) database migration by name."""
    migration_started.set()
    if ctx.cancel.wait(30):  # the work, done in steps that watch the token
        raise ToolCancelled(f"migration {name} stopped")
    return f"migration {name} done"


servers: list[FakeLLMServer] = []  # offline only: to count the requests afterwards


def script(server: FakeLLMServer) -> None:
    servers.append(server)
    # 1. a 529, retried; a missing file; the recovery
    server.add(Turn.error(529, "Overloaded"))
    server.add(Turn.tool_calls(ToolCallSpec("read", {"file_path": "config.yml"})))
    server.add(
        Turn.tool_calls(ToolCallSpec("read", {"file_path": "config.yaml"}), text="Ah, .yaml.")
    )
    server.add(Turn.text("The port is 8080."))
    # 2. one turn, three blocks
    both = [ToolCallSpec("read", {"file_path": name}) for name in ("config.yaml", "VERSION")]
    server.add(Turn.tool_calls(*both, text="Reading both at once."))
    server.add(Turn.text("Port 8080, version 2.1.0."))
    # 3. a cancel while the tool runs
    server.add(Turn.tool_calls(ToolCallSpec("run_migration", {"name": "add_users"})))


with tempfile.TemporaryDirectory() as workdir, example_provider(script) as (provider, model, live):
    Path(workdir, "config.yaml").write_text("port: 8080\n")
    Path(workdir, "VERSION").write_text("2.1.0\n")
    agent = Agent(
        provider=provider,
        model=model,
        tools=[Read(), run_migration],
        working_dir=workdir,
        max_turns=8,
        max_tokens=1000,
    )

    def ask(question: str) -> AgentStream:
        """Stream one question to its end, printing the events; ``result()`` comes next."""
        with agent.stream([Message.user_text(question)]) as stream:
            for _event in printing(stream):
                pass
        return stream

    print("1. a failing tool, and the recovery")
    first = ask("Read config.yml (or config.yaml, if it is missing) and tell me the port.").result()
    results = [r for m in first.new_messages for r in m.tool_results]
    check_tool_uses_answered(first.new_messages)
    if not live:
        print(f"  [the fake server got {len(servers[0].requests)} requests for 3 turns]")
        check(len(servers[0].requests) == 4, "the 529 was retried: four requests for three turns")
        check([r.is_error for r in results] == [True, False], "a failure, then a success")
        check("file not found" in results[0].content, "the model was told what went wrong")
        check("8080" in first.text, "the model recovered and answered")

    print("\n2. one turn with several blocks")
    second = ask("Read config.yaml and VERSION in one turn; tell me the port and version.").result()
    check_tool_uses_answered(second.new_messages)
    if not live:
        turn = second.new_messages[0]
        kinds = [type(block) for block in turn.content]
        check(kinds == [TextBlock, ToolUseBlock, ToolUseBlock], f"one turn, three blocks: {kinds}")
        answers = [r.content for r in second.new_messages[1].tool_results]
        check(answers == ["1\tport: 8080", "1\t2.1.0"], "results come back in the model's order")

    print("\n3. a cancel while a tool runs")
    token = CancellationToken()
    seen = threading.Event()  # the user saw the migration start
    cancelled_at: list[float] = []

    def stop_button() -> None:
        """Pressed from another thread, once the user sees the migration running."""
        seen.wait()
        migration_started.wait()
        cancelled_at.append(time.monotonic())
        token.cancel()

    pressed = threading.Thread(target=stop_button)
    pressed.start()
    history = [Message.user_text("Run the add_users migration with the run_migration tool.")]
    with agent.stream(history, cancel=token) as stream:
        for event in printing(stream):
            if isinstance(event, ToolCallPending) and event.name == "run_migration":
                seen.set()
    tool_ran = seen.is_set()
    seen.set()  # should the model not have called the tool, release the button anyway
    migration_started.set()
    pressed.join()
    try:
        stream.result()
        check(not tool_ran, "a run cancelled during its tool must raise Cancelled")
        print("  (the model did not call run_migration, so there was nothing to cancel)")
    except Cancelled as exc:
        latency = time.monotonic() - cancelled_at[0]
        partial = exc.partial.new_messages
        print(f"  [the run stopped {latency * 1000:.1f} ms after cancel()]")
        check_tool_uses_answered(partial)
        last = partial[-1].tool_results[-1]
        check(last.is_error and "cancelled" in last.content, f"the tool's result says so: {last}")
        check(latency < 2.0, "the running tool stopped promptly")
    if not live:
        check(tool_ran, "the fake model called run_migration")
