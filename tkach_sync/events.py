"""Stream events: small, frozen and slotted, because a stream yields many of them.

Providers emit ``ContentDelta``, ``ToolUse``, ``MessageDelta``, ``UsageReport``
and ``Done``. ``Agent.stream`` passes on ``ContentDelta`` and ``ToolUse``, adds
``ToolCallPending`` (before the approval gate) and ``ToolResult`` (after the
tool ran), and absorbs the rest into its result. A ``ToolUse`` is always whole:
never partial JSON, however the upstream chunked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .messages import StopReason, Usage
from .tool import ToolClass

__all__ = [
    "ContentDelta",
    "Done",
    "MessageDelta",
    "StreamEvent",
    "ToolCallPending",
    "ToolResult",
    "ToolUse",
    "UsageReport",
]


@dataclass(frozen=True, slots=True)
class ContentDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCallPending:
    id: str
    name: str
    input: dict[str, Any]
    tool_class: ToolClass


@dataclass(frozen=True, slots=True)
class ToolResult:
    tool_use_id: str
    content: str
    is_error: bool


@dataclass(frozen=True, slots=True)
class MessageDelta:
    stop_reason: StopReason


@dataclass(frozen=True, slots=True)
class UsageReport:
    usage: Usage


@dataclass(frozen=True, slots=True)
class Done:
    pass


StreamEvent = (
    ContentDelta | ToolUse | ToolCallPending | ToolResult | MessageDelta | UsageReport | Done
)
