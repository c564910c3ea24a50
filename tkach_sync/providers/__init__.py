"""LLM providers: the interface, the Anthropic and OpenAI-compatible clients, and ``Mock``."""

from .base import LlmProvider as LlmProvider
from .base import Request as Request
from .base import Response as Response
from .base import SystemBlock as SystemBlock
from .base import ToolDefinition as ToolDefinition
from .mock import Mock as Mock

__all__ = ["LlmProvider", "Mock", "Request", "Response", "SystemBlock", "ToolDefinition"]
