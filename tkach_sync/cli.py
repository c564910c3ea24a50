"""``tkach-sync``: an interactive terminal agent built only on the public API.

    tkach-sync                      chat with the tools of tools.defaults()
    tkach-sync run "prompt"         one shot for scripts: print the answer, exit non-zero on failure
    tkach-sync --demo               the whole loop offline, on the built-in fake LLM server

Ctrl-C cancels the current turn through the token (the HTTP body closes, bash
children die) and returns to the prompt; Ctrl-C (or Ctrl-D) at the prompt exits.

Approval prompts are answered in the main thread, the one that receives
Ctrl-C: the executor's approval thread only waits for the main thread's
answer, so a cancelled prompt never leaves a reader behind on stdin.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import tools
from .agent import Agent, AgentResult
from .approval import ApprovalDecision
from .cancel import CancellationToken
from .errors import AgentError, Cancelled
from .events import ContentDelta, ToolCallPending, ToolResult, ToolUse
from .messages import Message
from .providers import LlmProvider
from .tool import ToolClass

__all__ = ["main"]

DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4o-mini"}
SYSTEM = (
    "You are a careful coding assistant working in the user's directory through tools. "
    "Prefer reading before writing, keep answers short, and say what you changed."
)


# --- approval, answered by the main thread -------------------------------------


@dataclass
class _Ask:
    decision: ApprovalDecision = field(default_factory=ApprovalDecision.allow)
    answered: threading.Event = field(default_factory=threading.Event)


class TerminalApproval:
    """Asks before mutating tools; ``a`` allows a tool for the rest of the session.

    Whether a call is asked about depends only on facts fixed for the session
    (``will_ask``), so the approval thread and the main thread always agree on
    it; the answer itself, ``always`` included, is the main thread's alone.
    """

    def __init__(self, *, auto_yes: bool, interactive: bool) -> None:
        self.auto_yes = auto_yes
        self.interactive = interactive
        self.always: set[str] = set()
        self._asks: list[_Ask] = []
        self._posted = threading.Condition()

    def will_ask(self, tool_class: ToolClass) -> bool:
        return self.interactive and not self.auto_yes and tool_class is ToolClass.MUTATING

    def approve(
        self, tool_name: str, input: dict[str, Any], tool_class: ToolClass
    ) -> ApprovalDecision:
        if not self.will_ask(tool_class):
            if self.auto_yes or tool_class is ToolClass.READ_ONLY:
                return ApprovalDecision.allow()
            return ApprovalDecision.deny("mutating tools need --yes in non-interactive mode")
        ask = _Ask()
        with self._posted:
            self._asks.append(ask)
            self._posted.notify_all()
        ask.answered.wait()
        return ask.decision

    def answer(self, decision: ApprovalDecision) -> None:
        """The main thread's answer to the oldest question (posted right after its event)."""
        with self._posted:
            self._posted.wait_for(lambda: bool(self._asks))
            ask = self._asks.pop(0)
        ask.decision = decision
        ask.answered.set()

    def release_all(self) -> None:
        """After a cancelled turn: deny whatever still waits, so no thread is left behind."""
        with self._posted:
            asks, self._asks = self._asks, []
        for ask in asks:
            ask.decision = ApprovalDecision.deny("the turn was cancelled")
            ask.answered.set()


# --- printing ------------------------------------------------------------------


class Printer:
    def __init__(self, out: TextIO, *, color: bool) -> None:
        self.out = out
        self.color = color
        self._mid_line = False

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def text(self, delta: str) -> None:
        self.out.write(delta)
        self.out.flush()
        self._mid_line = not delta.endswith("\n")

    def line(self, text: str, code: str = "") -> None:
        if self._mid_line:
            self.out.write("\n")
            self._mid_line = False
        self.out.write((self._paint(text, code) if code else text) + "\n")
        self.out.flush()

    def tool_use(self, event: ToolUse) -> None:
        args = ", ".join(f"{k}={_short(v)}" for k, v in event.input.items())
        self.line(f"⏺ {event.name}({args})", "36")

    def tool_result(self, event: ToolResult) -> None:
        lines = event.content.splitlines() or [""]
        more = f" … (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
        first = lines[0] if len(lines[0]) <= 100 else lines[0][:100] + "…"
        self.line(f"  ⎿ {first}{more}", "31" if event.is_error else "2")


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "⏎")
    return repr(text[:limit] + "…") if len(text) > limit else repr(text)


# --- one turn ------------------------------------------------------------------


def run_turn(
    agent: Agent,
    history: list[Message],
    approval: TerminalApproval,
    printer: Printer,
    ask: Any = input,
) -> AgentResult | AgentError:
    """Stream one user turn; Ctrl-C cancels it. Returns the result or the failure."""
    token = CancellationToken()
    stream = agent.stream(history, cancel=token)
    try:
        for event in stream:
            if isinstance(event, ContentDelta):
                printer.text(event.text)
            elif isinstance(event, ToolUse):
                printer.tool_use(event)
            elif isinstance(event, ToolCallPending) and approval.will_ask(event.tool_class):
                if event.name in approval.always:
                    approval.answer(ApprovalDecision.allow())
                else:
                    approval.answer(_prompt_approval(event, approval, ask))
            elif isinstance(event, ToolResult):
                printer.tool_result(event)
        result = stream.result()
    except KeyboardInterrupt:
        token.cancel()
        approval.release_all()
        printer.line("[cancelled]", "33")
        try:
            return stream.result()
        except AgentError as exc:
            return exc
    except AgentError as exc:
        printer.line(f"error: {exc}", "31")
        return exc
    finally:
        approval.release_all()
        stream.close()
    printer.line("")
    return result


def _prompt_approval(
    event: ToolCallPending, approval: TerminalApproval, ask: Any
) -> ApprovalDecision:
    args = json.dumps(event.input, ensure_ascii=False)
    if len(args) > 400:
        args = args[:400] + "…"
    reply = str(ask(f"\nAllow {event.name} {args}? [y]es / [n]o <reason> / [a]lways: ")).strip()
    word, _, reason = reply.partition(" ")
    if word.lower() in ("a", "always"):
        approval.always.add(event.name)
        return ApprovalDecision.allow()
    if word.lower() in ("y", "yes", ""):
        return ApprovalDecision.allow()
    return ApprovalDecision.deny(reason.strip() or "the user said no")


# --- sessions and providers ------------------------------------------------------


def load_session(path: Path | None) -> list[Message]:
    if path is None or not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Message.model_validate(m) for m in data]


def save_session(path: Path | None, history: Sequence[Message]) -> None:
    if path is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps([m.model_dump(mode="json", exclude_none=True) for m in history], indent=1),
        encoding="utf-8",
    )
    tmp.replace(path)


def make_provider(args: argparse.Namespace) -> tuple[LlmProvider, str]:
    from .providers import Anthropic, OpenAICompatible

    kind = args.provider or (
        "anthropic"
        if os.environ.get("ANTHROPIC_API_KEY")
        else "openai"
        if os.environ.get("OPENAI_API_KEY") or args.base_url
        else None
    )
    if kind is None:
        raise SystemExit(
            "tkach-sync: no API key: set ANTHROPIC_API_KEY or OPENAI_API_KEY, "
            "or try the offline demo with --demo"
        )
    model = args.model or DEFAULT_MODELS[kind]
    if kind == "anthropic":
        provider: LlmProvider = Anthropic.from_env(**_base(args))
    else:
        provider = OpenAICompatible.from_env(**_base(args))
    return provider, model


def _base(args: argparse.Namespace) -> dict[str, Any]:
    return {"base_url": args.base_url} if args.base_url else {}


def build_agent(
    provider: LlmProvider, model: str, args: argparse.Namespace, approval: TerminalApproval
) -> Agent:
    return Agent(
        provider=provider,
        model=model,
        system=args.system or SYSTEM,
        tools=tools.defaults(),
        approval=approval,
        max_turns=args.max_turns,
        working_dir=args.working_dir,
    )


# --- entry points ----------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tkach-sync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", choices=["anthropic", "openai"])
    parser.add_argument("--model")
    parser.add_argument("--base-url")
    parser.add_argument("--system", help="replace the default system prompt")
    parser.add_argument("--working-dir", type=Path, default=Path.cwd())
    parser.add_argument("--max-turns", type=int, default=50)
    parser.add_argument("--yes", action="store_true", help="approve every tool call")
    parser.add_argument("--session", type=Path, help="keep the history in this JSON file")
    parser.add_argument("--demo", action="store_true", help="an offline scripted session")
    parser.add_argument("--no-color", action="store_true")
    sub = parser.add_subparsers(dest="command")
    one = sub.add_parser("run", help="answer one prompt and exit")
    one.add_argument("prompt")
    one.add_argument("--json", action="store_true", help="print the whole result as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    color = not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    printer = Printer(sys.stdout, color=color)
    if args.demo:
        from ._demo import run_demo

        return run_demo(printer, args)
    provider, model = make_provider(args)
    if args.command == "run":
        return _one_shot(provider, model, args)
    return _interactive(provider, model, args, printer)


def _one_shot(provider: LlmProvider, model: str, args: argparse.Namespace) -> int:
    approval = TerminalApproval(auto_yes=args.yes, interactive=False)
    agent = build_agent(provider, model, args, approval)
    history = [*load_session(args.session), Message.user_text(args.prompt)]
    try:
        result = agent.run(history)
    except AgentError as exc:
        print(f"tkach-sync: {exc}", file=sys.stderr)
        save_session(args.session, history + exc.partial.new_messages)
        return 1
    save_session(args.session, history + result.new_messages)
    if args.json:
        print(json.dumps(_result_json(result), ensure_ascii=False, indent=2))
    else:
        print(result.text)
    return 0


def _result_json(result: AgentResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "stop_reason": result.stop_reason.value,
        "usage": result.usage.model_dump(),
        "new_messages": [m.model_dump(mode="json", exclude_none=True) for m in result.new_messages],
    }


def _interactive(
    provider: LlmProvider, model: str, args: argparse.Namespace, printer: Printer
) -> int:
    approval = TerminalApproval(auto_yes=args.yes, interactive=True)
    agent = build_agent(provider, model, args, approval)
    history = load_session(args.session)
    printer.line(f"tkach-sync · {model} · {args.working_dir} · Ctrl-C cancels, Ctrl-D exits", "2")
    while True:
        try:
            prompt = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            printer.line("")
            return 0
        if not prompt:
            continue
        history.append(Message.user_text(prompt))
        outcome = run_turn(agent, history, approval, printer)
        if isinstance(outcome, AgentResult):
            history.extend(outcome.new_messages)
        elif isinstance(outcome, Cancelled) or outcome.partial.new_messages:
            history.extend(outcome.partial.new_messages)
        else:
            history.pop()  # nothing happened: let the user try the prompt again
        save_session(args.session, history)
