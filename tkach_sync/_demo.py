"""``tkach-sync --demo``: the whole loop offline, against the built-in fake LLM server.

A scripted model works on a throw-away project: it streams text, runs a
parallel read-only batch (glob and read), asks to write a file (the approval
prompt), hits a failing command (a tool error it recovers from), and sums up.
Everything goes over real HTTP and SSE on 127.0.0.1, through the Anthropic
provider, exactly as it would against the real API.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .agent import AgentResult
from .cli import Printer, TerminalApproval, build_agent, run_turn
from .messages import Message
from .providers import Anthropic
from .testing import FakeLLMServer, ToolCallSpec, Turn

PROMPT = "Have a look at this project, write a short NOTES.md about it, and run its tests."

PROJECT = {
    "README.md": "# calc\n\nA tiny calculator package.\n",
    "calc/__init__.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 5\n",
}

NOTES = "# Notes\n\n- `calc` offers `add` and `sub`.\n- One test, which expects 2 + 2 == 5.\n"


def script(server: FakeLLMServer) -> None:
    drip = 0.02  # slow enough to watch the text stream in
    server.add(
        Turn.tool_calls(
            ToolCallSpec("glob", {"pattern": "**/*.py"}),
            ToolCallSpec("read", {"file_path": "README.md"}),
            text="I'll start by looking around: both lookups run in parallel.",
            chunks=12,
        ).drip(drip)
    )
    server.add(
        Turn.tool_calls(
            ToolCallSpec("write", {"file_path": "NOTES.md", "content": NOTES}),
            text="A small package with one test. Let me write the notes down.",
            chunks=12,
        ).drip(drip)
    )
    server.add(
        Turn.tool_calls(
            ToolCallSpec("bash", {"command": "python3 -m pytest -q tests 2>&1 | tail -3; exit 1"}),
            text="Now the tests.",
            chunks=4,
        ).drip(drip)
    )
    server.add(
        Turn.text(
            "Summary: `calc` has `add` and `sub`; NOTES.md describes them. The test run "
            "failed (the test expects 2 + 2 == 5), so the test is wrong, not the code.",
            chunks=30,
        ).drip(drip)
    )


def run_demo(printer: Printer, args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty() and not args.yes
    with tempfile.TemporaryDirectory(prefix="tkach-demo-") as tmp, FakeLLMServer() as server:
        workdir = Path(tmp)
        for name, text in PROJECT.items():
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / name).write_text(text, encoding="utf-8")
        script(server)
        approval = TerminalApproval(auto_yes=not interactive, interactive=interactive)
        provider = Anthropic("demo-key", base_url=server.url, max_retries=0)
        args.working_dir = workdir
        agent = build_agent(provider, "demo-model", args, approval)
        printer.line(f"tkach-sync demo · fake model on {server.url} · project in {workdir}", "2")
        if not interactive:
            printer.line("(stdin is not a terminal: tool calls are approved automatically)", "2")
        printer.line(f"> {PROMPT}", "1")
        outcome = run_turn(agent, [Message.user_text(PROMPT)], approval, printer)
        provider.close()
        if not isinstance(outcome, AgentResult):
            return 1
        wrote = (workdir / "NOTES.md").exists()
        printer.line(
            f"[{len(outcome.new_messages)} messages, {outcome.usage.input_tokens} input / "
            f"{outcome.usage.output_tokens} output tokens; NOTES.md "
            f"{'written' if wrote else 'not written'}]",
            "2",
        )
        return 0
