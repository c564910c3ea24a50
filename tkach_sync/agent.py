"""The agent: a stateless, blocking tool loop.

``run`` and ``stream`` share one loop (``Agent._drive``); they differ only in
how a turn reaches the model (``complete`` or ``stream``) and where events go.
The loop never edits the caller's history: it works on a copy and returns only
what it appended, also on failure, as ``AgentError.partial``. The history is
the whole state: one that ends with unanswered tool calls (a deferred
approval) is resumed by running them first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .approval import ApprovalHandler
from .cancel import CancellationToken
from .errors import (
    ApprovalDeferred,
    Cancelled,
    MaxTurnsReached,
    ProviderFailed,
    RequestCancelled,
    ToolFailed,
)
from .events import ContentDelta, Done, MessageDelta, StreamEvent, ToolUse, UsageReport
from .executor import Decisions, ToolCall, ToolExecutor, ToolPolicy
from .messages import (
    CacheControl,
    ContentBlock,
    Message,
    Role,
    StopReason,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from .providers.base import LlmProvider, Request, Response, SystemBlock, ToolDefinition
from .streaming import AgentStream
from .tool import Tool, ToolContext

__all__ = ["Agent", "AgentResult"]

EventSink = Callable[[StreamEvent], None]


@dataclass(frozen=True, slots=True)
class AgentResult:
    """What one run appended to the history, and how it ended."""

    new_messages: list[Message]
    text: str
    """The text of the last assistant message (the partial text, after a cancel)."""
    usage: Usage
    stop_reason: StopReason
    pending_calls: list[ToolUseBlock] = field(default_factory=list)
    """The calls a deferred approval left waiting (``AWAITING_APPROVAL``), in order."""


class Agent:
    """A model, its tools and their gates. Safe to share between threads: runs keep no state here.

    agent = Agent(provider=Anthropic.from_env(), model="claude-sonnet-4-5",
                  tools=tools.defaults())
    result = agent.run([Message.user_text("Which files are here?")])
    """

    def __init__(
        self,
        provider: LlmProvider,
        model: str,
        system: str | Sequence[SystemBlock] | None = None,
        tools: Iterable[Tool] = (),
        policy: ToolPolicy | Callable[[str], bool] | None = None,
        approval: ApprovalHandler | Callable[..., Any] | None = None,
        executor: ToolExecutor | None = None,
        max_turns: int = 50,
        max_tokens: int = 16384,
        temperature: float | None = None,
        working_dir: str | os.PathLike[str] | None = None,
        max_depth: int = 3,
        cache_tools: CacheControl | None = None,
        *,
        confine_to_working_dir: bool = False,
        depth: int = 0,
        request_extra: dict[str, Any] | None = None,
    ) -> None:
        tools = list(tools)
        if executor is not None and (tools or policy is not None or approval is not None):
            raise ValueError("pass either executor or tools/policy/approval, not both")
        if max_turns < 1:
            raise ValueError("max_turns must be at least 1")
        self.provider = provider
        self.model = model
        self.system = [SystemBlock(system)] if isinstance(system, str) else list(system or ())
        self.executor = executor or ToolExecutor(tools, policy, approval)
        self.max_turns = max_turns
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.working_dir = Path(working_dir) if working_dir is not None else None
        self.max_depth = max_depth
        self.cache_tools = cache_tools
        self.confine_to_working_dir = confine_to_working_dir
        self.depth = depth
        self.request_extra = dict(request_extra or {})

    def __repr__(self) -> str:
        tools = self.executor.registry.names
        return f"Agent(model={self.model!r}, provider={self.provider!r}, tools={tools})"

    # --- public API ----------------------------------------------------------

    def run(
        self,
        history: Sequence[Message],
        cancel: CancellationToken | None = None,
        *,
        decisions: Decisions | None = None,
    ) -> AgentResult:
        """Run the loop to the model's final answer (blocks); failures keep ``.partial``.

        A history that ends with unanswered tool calls (a run that stopped
        for a deferred approval) runs them first; ``decisions``, by tool call
        id, answer for the approval handler.
        """
        return self._drive(history, cancel or CancellationToken(), None, decisions or {})

    def stream(
        self,
        history: Sequence[Message],
        cancel: CancellationToken | None = None,
        *,
        decisions: Decisions | None = None,
    ) -> AgentStream:
        """Run the loop in a producer thread and iterate its events as they happen."""
        history = list(history)
        decided = dict(decisions or {})
        return AgentStream(lambda token, emit: self._drive(history, token, emit, decided), cancel)

    # --- the loop ------------------------------------------------------------

    def _drive(
        self,
        history: Sequence[Message],
        cancel: CancellationToken,
        emit: EventSink | None,
        decisions: Decisions,
    ) -> AgentResult:
        run = _Run(list(history))
        ctx = ToolContext(
            working_dir=self.working_dir or Path.cwd(),
            cancel=cancel,
            depth=self.depth,
            max_depth=self.max_depth,
            executor=self.executor,
            confine_to_working_dir=self.confine_to_working_dir,
        )
        tool_defs = self._tool_definitions()
        # A run that stopped for a decision resumes with the calls it left waiting.
        waiting = _unanswered_calls(run.messages)
        if waiting and not self._run_tools(run, waiting, ctx, emit, decisions):
            return run.result()
        for _turn in range(self.max_turns):
            run.check_cancel(cancel)
            request = Request(
                model=self.model,
                messages=tuple(run.messages),
                system=self.system,
                tools=tool_defs,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                extra=self.request_extra,
            )
            response = self._call_model(run, request, cancel, emit)
            run.usage = run.usage + response.usage
            run.stop_reason = response.stop_reason
            if response.content:
                run.append(Message.assistant(response.content))
            calls = response.tool_uses
            if not calls:
                run.check_cancel(cancel)  # a provider may finish a turn despite the cancel
                if response.stop_reason is StopReason.PAUSE_TURN:
                    continue
                return run.result()
            if not self._run_tools(run, calls, ctx, emit, decisions):
                return run.result()
            run.check_cancel(cancel)
        raise MaxTurnsReached(self.max_turns, run.result())

    def _run_tools(
        self,
        run: _Run,
        calls: list[ToolUseBlock],
        ctx: ToolContext,
        emit: EventSink | None,
        decisions: Decisions,
    ) -> bool:
        """Run one turn's calls and append their results; False if a deferral stopped them."""
        try:
            results = self.executor.execute_batch(
                [ToolCall(c.id, c.name, c.input) for c in calls],
                ctx,
                on_event=emit,
                decisions=decisions,
            )
        except ApprovalDeferred as deferred:
            if deferred.results:  # the calls before the deferred one ran
                run.append(Message.user(list(deferred.results)))
            run.stop_reason = StopReason.AWAITING_APPROVAL
            run.pending_calls = calls[len(deferred.results) :]
            return False
        except Exception as exc:
            raise ToolFailed(f"the tool executor failed: {exc!r}", run.result()) from exc
        run.append(Message.user(list(results)))
        return True

    def _call_model(
        self,
        run: _Run,
        request: Request,
        cancel: CancellationToken,
        emit: EventSink | None,
    ) -> Response:
        try:
            if emit is None:
                return self.provider.complete(request, cancel)
            return self._stream_turn(run, request, cancel, emit)
        except Exception as exc:
            if cancel.is_cancelled or isinstance(exc, RequestCancelled):
                raise Cancelled("the run was cancelled", run.result(cancelled=True)) from exc
            raise ProviderFailed(f"the provider failed: {exc}", run.result()) from exc

    def _stream_turn(
        self, run: _Run, request: Request, cancel: CancellationToken, emit: EventSink
    ) -> Response:
        events = self.provider.stream(request, cancel)
        tool_uses: list[ContentBlock] = []
        usage = Usage()
        stop_reason: StopReason | None = None
        text = ""  # a local, so += appends in place instead of copying the whole text
        try:
            for event in events:
                if isinstance(event, ContentDelta):
                    text += event.text
                    emit(event)
                elif isinstance(event, ToolUse):
                    tool_uses.append(ToolUseBlock(event.id, event.name, event.input))
                    emit(event)
                elif isinstance(event, UsageReport):
                    usage = usage.merge_max(event.usage)
                elif isinstance(event, MessageDelta):
                    stop_reason = event.stop_reason
                elif isinstance(event, Done):
                    break
        except BaseException:
            run.pending_text = text  # the partial result keeps what already arrived
            raise
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
        content = _thinking(events)
        if text:
            content.append(TextBlock(text))
        content.extend(tool_uses)
        if stop_reason is None:
            stop_reason = StopReason.TOOL_USE if tool_uses else StopReason.END_TURN
        return Response(content, stop_reason, usage)

    def _tool_definitions(self) -> list[ToolDefinition]:
        tools = sorted(self.executor.registry, key=lambda t: t.name)
        defs = [ToolDefinition(t.name, t.description, t.input_schema) for t in tools]
        if defs and self.cache_tools is not None:
            last = defs[-1]
            defs[-1] = ToolDefinition(
                last.name, last.description, last.input_schema, self.cache_tools
            )
        return defs


def _unanswered_calls(messages: Sequence[Message]) -> list[ToolUseBlock]:
    """The calls of the last assistant message that no tool result after it answers.

    Only while nothing but tool results follows it: a history that moved on
    (a user wrote again) is not one to resume.
    """
    answered: set[str] = set()
    for message in reversed(messages):
        if message.role is Role.ASSISTANT:
            return [call for call in message.tool_uses if call.id not in answered]
        if not all(isinstance(block, ToolResultBlock) for block in message.content):
            return []
        answered.update(result.tool_use_id for result in message.tool_results)
    return []


def _thinking(events: object) -> list[ContentBlock]:
    """The thinking blocks of a streamed turn, from a provider stream that keeps them.

    Events carry text and tool calls only; the API wants thinking blocks back,
    unchanged and first, with the tool results.
    """
    thinking = getattr(events, "thinking", None)
    return list(thinking()) if callable(thinking) else []


class _Run:
    """The state of one run: the working history and what it appended."""

    __slots__ = (
        "messages",
        "new_messages",
        "pending_calls",
        "pending_text",
        "stop_reason",
        "usage",
    )

    def __init__(self, history: list[Message]) -> None:
        self.messages = history
        self.new_messages: list[Message] = []
        self.usage = Usage()
        self.stop_reason = StopReason.END_TURN
        self.pending_text = ""
        """Text of the turn still streaming: kept in the partial result if the run stops."""
        self.pending_calls: list[ToolUseBlock] = []

    def append(self, message: Message) -> None:
        self.messages.append(message)
        self.new_messages.append(message)

    def check_cancel(self, cancel: CancellationToken) -> None:
        if cancel.is_cancelled:
            raise Cancelled("the run was cancelled", self.result(cancelled=True))

    def result(self, *, cancelled: bool = False) -> AgentResult:
        new_messages = list(self.new_messages)
        if self.pending_text:
            new_messages.append(Message.assistant([TextBlock(self.pending_text)]))
        text = next((m.text for m in reversed(new_messages) if m.role == "assistant"), "")
        stop_reason = StopReason.CANCELLED if cancelled else self.stop_reason
        return AgentResult(new_messages, text, self.usage, stop_reason, list(self.pending_calls))
