"""Running the model's tool calls: the registry, the gates and the thread pool.

Every call passes the same gates in order: the tool must exist, its input must
validate, the static ``ToolPolicy`` must allow its name, and the per-call
``ApprovalHandler`` must approve it. Whatever fails becomes an ``is_error``
result the model sees; nothing here ends a run.

Consecutive read-only calls run in parallel on a thread pool made for that
group (so no idle worker outlives a batch and nested sub-agents cannot starve a
shared pool); mutating calls run alone in the caller's thread. Results always
come back in the model's order. Once the token is cancelled no new tool starts,
and each skipped call still gets a result, so every ``tool_use`` is answered.

The one exception: a call the approval handler defers ends the batch there,
unanswered, with ``ApprovalDeferred`` (the agent stops the run and resumes it
later). The calls before it ran; it and the calls after it did not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from .approval import ApprovalDecision, ApprovalHandler, AutoApprove, as_approval_fn
from .cancel import CancellationToken
from .errors import ApprovalDeferred, ToolCancelled, ToolError
from .events import StreamEvent, ToolCallPending, ToolResult
from .messages import ToolResultBlock
from .tool import Tool, ToolClass, ToolContext, ToolOutput

__all__ = ["AllowAll", "ToolCall", "ToolExecutor", "ToolPolicy", "ToolRegistry"]

log = logging.getLogger(__name__)

EventSink = Callable[[StreamEvent], None]
Decisions = Mapping[str, ApprovalDecision]
"""Decisions taken ahead, by ``tool_use_id``: they answer instead of the handler."""
_Approved = tuple[Tool, dict[str, Any]]


class _Deferred:
    """What the gate says of a call the handler deferred."""


@runtime_checkable
class ToolPolicy(Protocol):
    """A static rule on tool names, checked before any approval is asked."""

    def is_allowed(self, tool_name: str) -> bool: ...


class AllowAll:
    def is_allowed(self, tool_name: str) -> bool:
        return True

    def __repr__(self) -> str:
        return "AllowAll()"


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]


class ToolRegistry:
    """Tools by name. A later tool with a taken name replaces the earlier one, with a warning."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, tool: Tool) -> None:
        if not tool.name:
            raise ValueError(f"{tool!r} has no name")
        if tool.name in self._tools:
            log.warning("tool %r registered twice; the later one wins", tool.name)
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __repr__(self) -> str:
        return f"ToolRegistry({self.names})"


class ToolExecutor:
    """Gates and runs tool calls. Share one between agents to gate a whole tree."""

    def __init__(
        self,
        registry: ToolRegistry | Iterable[Tool],
        policy: ToolPolicy | Callable[[str], bool] | None = None,
        approval: ApprovalHandler | Callable[..., Any] | None = None,
        max_workers: int = 8,
    ) -> None:
        self.registry = registry if isinstance(registry, ToolRegistry) else ToolRegistry(registry)
        self.policy = policy if policy is not None else AllowAll()
        self._is_allowed = (
            self.policy.is_allowed if isinstance(self.policy, ToolPolicy) else self.policy
        )
        self.approval = approval if approval is not None else AutoApprove()
        self._approve = None if isinstance(self.approval, AutoApprove) else as_approval_fn(approval)  # type: ignore[arg-type]
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers

    def __repr__(self) -> str:
        return (
            f"ToolExecutor({self.registry!r}, policy={self.policy!r}, approval={self.approval!r})"
        )

    def tool_class(self, name: str) -> ToolClass:
        """A call's class; an unknown tool counts as mutating."""
        t = self.registry.get(name)
        return t.tool_class if t is not None else ToolClass.MUTATING

    def execute_one(
        self,
        call: ToolCall,
        ctx: ToolContext,
        *,
        on_event: EventSink | None = None,
        decisions: Decisions | None = None,
    ) -> ToolResultBlock:
        return self.execute_batch([call], ctx, on_event=on_event, decisions=decisions)[0]

    def execute_batch(
        self,
        calls: Iterable[ToolCall],
        ctx: ToolContext,
        *,
        on_event: EventSink | None = None,
        decisions: Decisions | None = None,
    ) -> list[ToolResultBlock]:
        """Run one model turn's calls; the results are in the calls' order.

        Raises ``ApprovalDeferred`` if the handler deferred a call (never
        inside a sub-agent: there a deferral denies).
        """
        emit = on_event or _ignore
        results: list[ToolResultBlock] = []
        for group in self._groups(list(calls)):
            done, deferred = self._run_group(group, ctx, emit, decisions or {})
            results.extend(done)
            if deferred:
                raise ApprovalDeferred(results)
        return results

    # --- internals -----------------------------------------------------------

    def _groups(self, calls: list[ToolCall]) -> Iterator[list[ToolCall]]:
        """Runs of consecutive read-only calls, and each mutating call alone."""
        group: list[ToolCall] = []
        for call in calls:
            if self.tool_class(call.name) is ToolClass.READ_ONLY:
                group.append(call)
                continue
            if group:
                yield group
                group = []
            yield [call]
        if group:
            yield group

    def _run_group(
        self, group: list[ToolCall], ctx: ToolContext, emit: EventSink, decisions: Decisions
    ) -> tuple[list[ToolResultBlock], bool]:
        """The group's results, and whether a deferral cut it short."""
        # Gate every call first, in order (a human answers one prompt at a time),
        # then run the approved ones: alone, or on a pool if several are read-only.
        gated: list[ToolResultBlock | _Approved] = []
        for call in group:
            outcome = self._gate(call, ctx, emit, decisions)
            if isinstance(outcome, _Deferred):
                break
            gated.append(outcome)
        deferred = len(gated) < len(group)
        group = group[: len(gated)]
        parallel = sum(isinstance(g, tuple) for g in gated) >= 2
        pool = (
            ThreadPoolExecutor(min(len(group), self.max_workers), "tkach-tool")
            if parallel
            else None
        )
        try:
            pending: list[ToolResultBlock | _Approved | Future[ToolResultBlock]] = [
                pool.submit(self._run, g[0], call, g[1], ctx)
                if pool is not None and isinstance(g, tuple)
                else g
                for call, g in zip(group, gated, strict=True)
            ]
            results: list[ToolResultBlock] = []
            for call, item in zip(group, pending, strict=True):
                if isinstance(item, Future):
                    block = item.result()
                elif isinstance(item, tuple):
                    block = self._run(item[0], call, item[1], ctx)
                else:
                    block = item
                emit(ToolResult(block.tool_use_id, block.content, block.is_error))
                results.append(block)
            return results, deferred
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _gate(
        self, call: ToolCall, ctx: ToolContext, emit: EventSink, decisions: Decisions
    ) -> ToolResultBlock | _Approved | _Deferred:
        """The tool and its validated input if the call may run, ``_Deferred`` if
        the handler deferred it, else its error result."""
        if ctx.cancel.is_cancelled:
            return _error(call, "cancelled: the run was cancelled before this tool started")
        t = self.registry.get(call.name)
        if t is None:
            known = ", ".join(self.registry.names) or "none"
            return _error(call, f"unknown tool {call.name!r}; available tools: {known}")
        try:
            valid_input = t.validate_input(call.input)
        except ToolError as exc:
            return _error(call, f"{call.name}: {exc}")
        if not self._is_allowed(call.name):
            return _error(call, f"tool {call.name!r} is not allowed by the tool policy")
        emit(ToolCallPending(call.id, call.name, call.input, t.tool_class))
        decision = decisions.get(call.id)
        if decision is None:
            decision = self._ask_approval(call, t.tool_class, ctx.cancel)
        if decision is None:
            return _error(call, "cancelled: the run was cancelled while awaiting approval")
        if decision.deferred:
            if ctx.depth == 0:
                return _Deferred()
            return _error(call, "denied: deferred, but a sub-agent cannot wait for a decision")
        if not decision.allowed:
            return _error(call, f"denied: {decision.reason or 'no reason given'}")
        return t, valid_input

    def _ask_approval(
        self, call: ToolCall, tool_class: ToolClass, cancel: CancellationToken
    ) -> ApprovalDecision | None:
        """The handler's decision, or None once the token fired.

        The handler runs in its own thread so a cancel wins over a hung prompt;
        a handler that raises denies the call (a broken gate stays closed).
        """
        approve = self._approve
        if approve is None:
            return ApprovalDecision.allow()
        answer: list[ApprovalDecision] = []
        done = threading.Event()

        def ask() -> None:
            try:
                answer.append(approve(call.name, call.input, tool_class))
            except Exception as exc:
                log.exception("approval handler failed for tool %r", call.name)
                answer.append(ApprovalDecision.deny(f"the approval handler failed: {exc!r}"))
            finally:
                done.set()

        with cancel.on_cancel(done.set):
            threading.Thread(target=ask, name="tkach-approval", daemon=True).start()
            done.wait()
        if cancel.is_cancelled:  # the cancel wins, also over an answer that raced it
            return None
        return answer[0] if answer else None

    def _run(
        self, t: Tool, call: ToolCall, valid_input: dict[str, Any], ctx: ToolContext
    ) -> ToolResultBlock:
        if ctx.cancel.is_cancelled:
            return _error(call, "cancelled: the run was cancelled before this tool started")
        try:
            output = t.execute(valid_input, replace(ctx, tool_use_id=call.id))
        except ToolCancelled:
            return _error(call, "cancelled: the tool stopped because the run was cancelled")
        except ToolError as exc:
            return _error(call, str(exc) or type(exc).__name__)
        except Exception as exc:
            log.warning("tool %r raised", call.name, exc_info=True)
            return _error(call, f"tool {call.name!r} failed: {type(exc).__name__}: {exc}")
        if isinstance(output, ToolOutput):
            return ToolResultBlock(call.id, output.content, output.is_error)
        return ToolResultBlock(call.id, str(output))


def _error(call: ToolCall, message: str) -> ToolResultBlock:
    return ToolResultBlock(call.id, message, is_error=True)


def _ignore(event: StreamEvent) -> None:
    pass
