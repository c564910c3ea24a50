"""LLM providers: the interface, the Anthropic and OpenAI-compatible clients, and ``Mock``.

The HTTP providers (and ``requests`` under them) load on first use, so a
program that only needs the interface, or ``Mock``, never pays for them.
"""

import importlib
from typing import TYPE_CHECKING

from .base import LlmProvider as LlmProvider
from .base import Request as Request
from .base import Response as Response
from .base import SystemBlock as SystemBlock
from .base import ToolDefinition as ToolDefinition
from .mock import Mock as Mock

if TYPE_CHECKING:
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
    from .openai_compatible import OpenAICompatible as OpenAICompatible

_BATCH_NAMES = (
    "BatchCounts",
    "BatchHandle",
    "BatchPage",
    "BatchRequest",
    "BatchResult",
    "BatchStatus",
    "Canceled",
    "Errored",
    "Expired",
    "Succeeded",
)
_LAZY = {
    "Anthropic": ".anthropic",
    "OpenAICompatible": ".openai_compatible",
    "RetryPolicy": "._http",
    "Timeout": "._http",
    **dict.fromkeys(_BATCH_NAMES, ".anthropic_batches"),
}

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


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
