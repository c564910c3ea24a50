"""LLM providers: the interface, the Anthropic and OpenAI-compatible clients, and ``Mock``."""

from ._http import RetryPolicy as RetryPolicy
from ._http import Timeout as Timeout
from .anthropic import Anthropic as Anthropic
from .anthropic_batches import BatchCounts as BatchCounts
from .anthropic_batches import BatchHandle as BatchHandle
from .anthropic_batches import BatchPage as BatchPage
from .anthropic_batches import BatchRequest as BatchRequest
from .anthropic_batches import BatchResult as BatchResult
from .anthropic_batches import BatchStatus as BatchStatus
from .anthropic_batches import Canceled as Canceled
from .anthropic_batches import Errored as Errored
from .anthropic_batches import Expired as Expired
from .anthropic_batches import Succeeded as Succeeded
from .base import LlmProvider as LlmProvider
from .base import Request as Request
from .base import Response as Response
from .base import SystemBlock as SystemBlock
from .base import ToolDefinition as ToolDefinition
from .mock import Mock as Mock
from .openai_compatible import OpenAICompatible as OpenAICompatible

__all__ = [
    "Anthropic",
    "BatchCounts",
    "BatchHandle",
    "BatchPage",
    "BatchRequest",
    "BatchResult",
    "BatchStatus",
    "Canceled",
    "Errored",
    "Expired",
    "LlmProvider",
    "Mock",
    "OpenAICompatible",
    "Request",
    "Response",
    "RetryPolicy",
    "Succeeded",
    "SystemBlock",
    "Timeout",
    "ToolDefinition",
]
