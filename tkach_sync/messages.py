"""Messages, content blocks and usage: the history the caller owns.

The JSON form of every model is Anthropic's wire form, so a history survives
``model_dump(mode="json")`` and ``Message.model_validate(...)`` unchanged and
can live in a file, a session or a database row. Models are frozen: the agent
never edits a message, it only appends new ones.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CacheControl",
    "ContentBlock",
    "Message",
    "RedactedThinkingBlock",
    "Role",
    "StopReason",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "Usage",
]

_FROZEN = ConfigDict(frozen=True, extra="ignore")


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class StopReason(StrEnum):
    END_TURN = "end_turn"
    TOOL_USE = "tool_use"
    MAX_TOKENS = "max_tokens"
    STOP_SEQUENCE = "stop_sequence"
    PAUSE_TURN = "pause_turn"
    REFUSAL = "refusal"
    CANCELLED = "cancelled"
    """Runtime-only: the run was cancelled; never sent by a provider."""
    AWAITING_APPROVAL = "awaiting_approval"
    """Runtime-only: an approval handler deferred a call; resume with the decision."""


class CacheControl(BaseModel):
    """An Anthropic prompt-cache breakpoint: everything up to the marked block is cached."""

    model_config = _FROZEN

    type: Literal["ephemeral"] = "ephemeral"
    ttl: Literal["5m", "1h"] | None = None

    @classmethod
    def ephemeral(cls) -> CacheControl:
        """The default 5-minute cache."""
        return cls()

    @classmethod
    def ephemeral_1h(cls) -> CacheControl:
        """The 1-hour cache: dearer to write (2x), worth it for prefixes reused for long."""
        return cls(ttl="1h")


def _cache_control(ttl: Literal["5m", "1h"]) -> CacheControl:
    return CacheControl() if ttl == "5m" else CacheControl(ttl=ttl)


# The positional constructors below also take the wire keys (``type``…), because
# pydantic validates a nested model through its ``__init__``.


class TextBlock(BaseModel):
    model_config = _FROZEN

    type: Literal["text"] = "text"
    text: str
    cache_control: CacheControl | None = None

    def __init__(self, text: str, cache_control: CacheControl | None = None, **data: Any) -> None:
        super().__init__(text=text, cache_control=cache_control, **data)

    @classmethod
    def cached(cls, text: str, ttl: Literal["5m", "1h"] = "5m") -> TextBlock:
        """A text block that ends a cache breakpoint."""
        return cls(text, _cache_control(ttl))


class ToolUseBlock(BaseModel):
    model_config = _FROZEN

    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any]

    def __init__(self, id: str, name: str, input: dict[str, Any], **data: Any) -> None:
        super().__init__(id=id, name=name, input=input, **data)


class ToolResultBlock(BaseModel):
    model_config = _FROZEN

    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: str
    is_error: bool = False
    cache_control: CacheControl | None = None

    def __init__(
        self,
        tool_use_id: str,
        content: str,
        is_error: bool = False,
        cache_control: CacheControl | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            tool_use_id=tool_use_id,
            content=content,
            is_error=is_error,
            cache_control=cache_control,
            **data,
        )

    @field_validator("content", mode="before")
    @classmethod
    def _join_block_list(cls, value: object) -> object:
        # The wire form also allows a list of text blocks; keep the text.
        if isinstance(value, list):
            return "".join(str(b.get("text", "")) for b in value if isinstance(b, dict))
        return value


class ThinkingBlock(BaseModel):
    """Extended thinking; sent back unmodified, as the API requires."""

    model_config = _FROZEN

    type: Literal["thinking"] = "thinking"
    thinking: str
    signature: str = ""
    """Anthropic's; empty for an OpenAI-compatible server's ``reasoning_content``."""


class RedactedThinkingBlock(BaseModel):
    model_config = _FROZEN

    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str


ContentBlock = Annotated[
    TextBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock,
    Field(discriminator="type"),
]


class Message(BaseModel):
    model_config = _FROZEN

    role: Role
    content: list[ContentBlock]

    def __init__(self, role: Role | str, content: list[ContentBlock] | str, **data: Any) -> None:
        super().__init__(role=role, content=content, **data)

    @field_validator("content", mode="before")
    @classmethod
    def _string_content(cls, value: object) -> object:
        # The wire form also allows a bare string.
        if isinstance(value, str):
            return [{"type": "text", "text": value}]
        return value

    @classmethod
    def user_text(cls, text: str) -> Message:
        return cls(Role.USER, [TextBlock(text)])

    @classmethod
    def user(cls, blocks: list[ContentBlock]) -> Message:
        return cls(Role.USER, list(blocks))

    @classmethod
    def assistant(cls, blocks: list[ContentBlock]) -> Message:
        return cls(Role.ASSISTANT, list(blocks))

    @property
    def text(self) -> str:
        """The text blocks joined together."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.content if isinstance(b, ToolUseBlock)]

    @property
    def tool_results(self) -> list[ToolResultBlock]:
        return [b for b in self.content if isinstance(b, ToolResultBlock)]


class Usage(BaseModel):
    """Token counts. ``input_tokens`` is the uncached part, as Anthropic reports it."""

    model_config = _FROZEN

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0
    """The part of ``cache_creation_input_tokens`` written for an hour (billed 2x, not 1.25x)."""

    @field_validator("*", mode="before")
    @classmethod
    def _none_is_zero(cls, value: object) -> object:
        # Servers omit or null the cache fields; both mean none.
        return 0 if value is None else value

    def add(self, other: Usage) -> Usage:
        """The sum of two turns' usage."""
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=(
                self.cache_creation_input_tokens + other.cache_creation_input_tokens
            ),
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cache_creation_1h_input_tokens=(
                self.cache_creation_1h_input_tokens + other.cache_creation_1h_input_tokens
            ),
        )

    __add__ = add

    def merge_max(self, other: Usage) -> Usage:
        """Field-wise max: merges the cumulative counts a stream reports more than once."""
        return Usage(
            input_tokens=max(self.input_tokens, other.input_tokens),
            output_tokens=max(self.output_tokens, other.output_tokens),
            cache_creation_input_tokens=max(
                self.cache_creation_input_tokens, other.cache_creation_input_tokens
            ),
            cache_read_input_tokens=max(
                self.cache_read_input_tokens, other.cache_read_input_tokens
            ),
            cache_creation_1h_input_tokens=max(
                self.cache_creation_1h_input_tokens, other.cache_creation_1h_input_tokens
            ),
        )

    @property
    def total_input_tokens(self) -> int:
        """Every input token: uncached, written to the cache and read from it."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
