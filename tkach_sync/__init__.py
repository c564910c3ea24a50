"""tkach_sync: a provider-independent, sync-first agent runtime.

The caller owns the history; ``Agent.run`` returns only what it appended.
Concurrency is threads, cancellation is one ``CancellationToken``.
"""

import importlib as _importlib
import logging as _logging
from typing import TYPE_CHECKING as _TYPE_CHECKING

from . import providers as providers
from ._version import __version__ as __version__
from .agent import Agent as Agent
from .agent import AgentResult as AgentResult
from .approval import ApprovalDecision as ApprovalDecision
from .approval import ApprovalHandler as ApprovalHandler
from .approval import AutoApprove as AutoApprove
from .caching import CacheReport as CacheReport
from .caching import cache_report as cache_report
from .cancel import CancellationToken as CancellationToken
from .errors import AgentError as AgentError
from .errors import ApiError as ApiError
from .errors import ApprovalDeferred as ApprovalDeferred
from .errors import BatchNotReady as BatchNotReady
from .errors import Cancelled as Cancelled
from .errors import DeserializationError as DeserializationError
from .errors import InvalidInput as InvalidInput
from .errors import InvalidRequest as InvalidRequest
from .errors import MaxTurnsReached as MaxTurnsReached
from .errors import Overloaded as Overloaded
from .errors import ProviderError as ProviderError
from .errors import ProviderFailed as ProviderFailed
from .errors import RateLimited as RateLimited
from .errors import RequestCancelled as RequestCancelled
from .errors import TkachError as TkachError
from .errors import ToolCancelled as ToolCancelled
from .errors import ToolError as ToolError
from .errors import ToolFailed as ToolFailed
from .errors import TransportError as TransportError
from .events import ContentDelta as ContentDelta
from .events import Done as Done
from .events import MessageDelta as MessageDelta
from .events import StreamEvent as StreamEvent
from .events import ToolCallPending as ToolCallPending
from .events import ToolResult as ToolResult
from .events import ToolUse as ToolUse
from .events import UsageReport as UsageReport
from .executor import AllowAll as AllowAll
from .executor import ToolCall as ToolCall
from .executor import ToolExecutor as ToolExecutor
from .executor import ToolPolicy as ToolPolicy
from .executor import ToolRegistry as ToolRegistry
from .messages import CacheControl as CacheControl
from .messages import ContentBlock as ContentBlock
from .messages import Message as Message
from .messages import RedactedThinkingBlock as RedactedThinkingBlock
from .messages import Role as Role
from .messages import StopReason as StopReason
from .messages import TextBlock as TextBlock
from .messages import ThinkingBlock as ThinkingBlock
from .messages import ToolResultBlock as ToolResultBlock
from .messages import ToolUseBlock as ToolUseBlock
from .messages import Usage as Usage
from .streaming import AgentStream as AgentStream
from .tool import Tool as Tool
from .tool import ToolClass as ToolClass
from .tool import ToolContext as ToolContext
from .tool import ToolOutput as ToolOutput
from .tool import tool as tool

__all__ = [
    "Agent",
    "AgentError",
    "AgentResult",
    "AgentStream",
    "AllowAll",
    "ApiError",
    "ApprovalDecision",
    "ApprovalDeferred",
    "ApprovalHandler",
    "AutoApprove",
    "BatchNotReady",
    "CacheControl",
    "CacheReport",
    "CancellationToken",
    "Cancelled",
    "ContentBlock",
    "ContentDelta",
    "DeserializationError",
    "Done",
    "InvalidInput",
    "InvalidRequest",
    "MaxTurnsReached",
    "Message",
    "MessageDelta",
    "Overloaded",
    "ProviderError",
    "ProviderFailed",
    "RateLimited",
    "RedactedThinkingBlock",
    "RequestCancelled",
    "Role",
    "StopReason",
    "StreamEvent",
    "TextBlock",
    "ThinkingBlock",
    "TkachError",
    "Tool",
    "ToolCall",
    "ToolCallPending",
    "ToolCancelled",
    "ToolClass",
    "ToolContext",
    "ToolError",
    "ToolExecutor",
    "ToolFailed",
    "ToolOutput",
    "ToolPolicy",
    "ToolRegistry",
    "ToolResult",
    "ToolResultBlock",
    "ToolUse",
    "ToolUseBlock",
    "TransportError",
    "Usage",
    "UsageReport",
    "__version__",
    "cache_report",
    "providers",
    "tool",
    "tools",
]

if _TYPE_CHECKING:
    from . import tools as tools

_logging.getLogger(__name__).addHandler(_logging.NullHandler())


def __getattr__(name: str) -> object:
    # The built-in tools load on first use: a run that brings its own pays nothing for them.
    if name == "tools":
        return _importlib.import_module(".tools", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
