"""Per-call approval: the human (or program) in the loop.

A denial is data, not an exception: it reaches the model as an error tool
result so the model can adapt. The executor runs the handler in its own thread
and races it against the cancellation token, so a hung prompt never holds a
cancelled run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .tool import ToolClass

__all__ = ["ApprovalDecision", "ApprovalFn", "ApprovalHandler", "AutoApprove", "as_approval_fn"]


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    allowed: bool
    reason: str | None = None
    deferred: bool = False
    """Decide later: the run stops before the call, to be resumed with the decision."""

    @classmethod
    def allow(cls) -> ApprovalDecision:
        return _ALLOW

    @classmethod
    def deny(cls, reason: str = "denied by the user") -> ApprovalDecision:
        return cls(False, reason)

    @classmethod
    def defer(cls) -> ApprovalDecision:
        """Nobody can answer now (a web request that must end, a reviewer away).

        The run ends with ``StopReason.AWAITING_APPROVAL``; its last message
        holds the call, unanswered (``AgentResult.pending_calls``). Resume by
        running the agent again on the history with
        ``decisions={call.id: ApprovalDecision.allow()}`` (or ``deny``): it
        runs the waiting calls first. Inside a sub-agent, which cannot stop
        halfway, a deferral denies the call.
        """
        return _DEFER


_ALLOW = ApprovalDecision(True)
_DEFER = ApprovalDecision(False, "awaiting a decision", deferred=True)


@runtime_checkable
class ApprovalHandler(Protocol):
    def approve(
        self, tool_name: str, input: dict[str, Any], tool_class: ToolClass
    ) -> ApprovalDecision: ...


class AutoApprove:
    """Allows every call. The executor skips the approval thread for it."""

    def approve(
        self,
        tool_name: str,
        input: dict[str, Any],
        tool_class: ToolClass,
    ) -> ApprovalDecision:
        return _ALLOW

    def __repr__(self) -> str:
        return "AutoApprove()"


ApprovalFn = Callable[[str, dict[str, Any], ToolClass], ApprovalDecision]


def as_approval_fn(handler: ApprovalHandler | Callable[..., Any]) -> ApprovalFn:
    """An approval handler or a plain callable of the same signature, as one function.

    A callable may also answer with a bool: ``True`` allows, ``False`` denies.
    """
    fn = handler.approve if isinstance(handler, ApprovalHandler) else handler

    def approve(name: str, input: dict[str, Any], tool_class: ToolClass) -> ApprovalDecision:
        decision = fn(name, input, tool_class)
        if isinstance(decision, ApprovalDecision):
            return decision
        if isinstance(decision, bool):
            return _ALLOW if decision else ApprovalDecision.deny()
        raise TypeError(
            f"an approval handler must return an ApprovalDecision or a bool, not {decision!r}"
        )

    return approve
