"""What every provider speaks: the request, the response and the ``LlmProvider`` protocol.

A provider turns a ``Request`` into one ``Response`` (``complete``) or into a
stream of events (``stream``). Errors before the first event raise from the
call; errors mid-stream raise from the iteration. Cancelling the token ends
either at once with ``RequestCancelled``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..cancel import CancellationToken
from ..events import StreamEvent
from ..messages import (
    CacheControl,
    ContentBlock,
    Message,
    StopReason,
    TextBlock,
    ToolUseBlock,
    Usage,
)

__all__ = ["LlmProvider", "Request", "Response", "SystemBlock", "ToolDefinition"]


@dataclass(frozen=True, slots=True)
class SystemBlock:
    text: str
    cache_control: CacheControl | None = None

    @classmethod
    def cached(cls, text: str) -> SystemBlock:
        """A system block that ends a 5-minute cache breakpoint."""
        return cls(text, CacheControl.ephemeral())

    @classmethod
    def cached_1h(cls, text: str) -> SystemBlock:
        """A system block that ends a 1-hour cache breakpoint."""
        return cls(text, CacheControl.ephemeral_1h())


@dataclass(frozen=True, slots=True)
class ToolDefinition:
    name: str
    description: str
    input_schema: dict[str, Any]
    cache_control: CacheControl | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """One model call. ``extra`` goes into the JSON body as-is (``thinking``, ``metadata``…)."""

    model: str
    messages: Sequence[Message]
    system: Sequence[SystemBlock] = ()
    tools: Sequence[ToolDefinition] = ()
    max_tokens: int = 16384
    temperature: float | None = None
    stop_sequences: Sequence[str] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Response:
    content: list[ContentBlock]
    stop_reason: StopReason
    usage: Usage = field(default_factory=Usage)

    @classmethod
    def from_text(cls, text: str, usage: Usage | None = None) -> Response:
        """A finished text answer (handy for scripting ``Mock``)."""
        return cls([TextBlock(text)], StopReason.END_TURN, usage or Usage())

    @classmethod
    def from_tool_calls(
        cls, *calls: ToolUseBlock, text: str = "", usage: Usage | None = None
    ) -> Response:
        """An answer that asks for tools (handy for scripting ``Mock``)."""
        blocks: list[ContentBlock] = [TextBlock(text)] if text else []
        blocks.extend(calls)
        return cls(blocks, StopReason.TOOL_USE, usage or Usage())

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.content if isinstance(b, ToolUseBlock)]


@runtime_checkable
class LlmProvider(Protocol):
    def complete(self, request: Request, cancel: CancellationToken | None = None) -> Response: ...

    def stream(
        self, request: Request, cancel: CancellationToken | None = None
    ) -> Iterator[StreamEvent]: ...
