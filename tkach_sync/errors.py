"""The one exception tree of tkach_sync.

    TkachError
    ├── AgentError                 a run ended early; ``.partial`` holds what it appended
    │   ├── MaxTurnsReached
    │   ├── ProviderFailed         ``__cause__`` is the ProviderError
    │   ├── Cancelled
    │   └── ToolFailed             the tool machinery itself broke (not a tool's error)
    ├── ProviderError              ``.is_retryable``, ``.retry_after``
    │   ├── TransportError         connect failures, timeouts, dropped connections
    │   ├── ApiError               an error status or error event from the API
    │   │   ├── Overloaded         529, 503, ``overloaded_error``
    │   │   └── RateLimited        429, ``rate_limit_error``
    │   ├── DeserializationError   the server broke the protocol
    │   ├── BatchNotReady          batch results asked for before the batch ended
    │   ├── InvalidRequest         a request the API would refuse, caught before sending
    │   └── RequestCancelled       the call's cancellation token fired
    ├── ToolError                  raised by a tool: the model sees it as an error result
    │   ├── InvalidInput
    │   └── ToolCancelled
    └── ApprovalDeferred           ``ToolExecutor.execute_batch`` stopped at a deferred call

Tool errors never end a run: the executor turns them into ``is_error`` tool
results. Provider errors end a run as ``ProviderFailed`` once retries are spent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .agent import AgentResult
    from .messages import ToolResultBlock

__all__ = [
    "AgentError",
    "ApiError",
    "ApprovalDeferred",
    "BatchNotReady",
    "Cancelled",
    "DeserializationError",
    "InvalidInput",
    "InvalidRequest",
    "MaxTurnsReached",
    "Overloaded",
    "ProviderError",
    "ProviderFailed",
    "RateLimited",
    "RequestCancelled",
    "TkachError",
    "ToolCancelled",
    "ToolError",
    "ToolFailed",
    "TransportError",
]


class TkachError(Exception):
    """The root of every error tkach_sync raises on purpose."""


# --- the agent ---------------------------------------------------------------


class AgentError(TkachError):
    """A run ended before the model finished; ``partial`` is what it had appended so far."""

    def __init__(self, message: str, partial: AgentResult) -> None:
        super().__init__(message)
        self.partial = partial


class MaxTurnsReached(AgentError):
    def __init__(self, turns: int, partial: AgentResult) -> None:
        super().__init__(f"the run reached max_turns={turns}", partial)
        self.turns = turns


class ProviderFailed(AgentError):
    """The provider failed for good; the ProviderError is ``__cause__``."""


class Cancelled(AgentError):
    """The run's cancellation token fired."""


class ToolFailed(AgentError):
    """The tool machinery broke (not a tool: a tool's error goes to the model)."""


# --- providers ---------------------------------------------------------------


class ProviderError(TkachError):
    """A provider call failed. ``retry_after`` is the server's hint in seconds, if any."""

    retryable_by_default = False

    def __init__(
        self,
        message: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.is_retryable = self.retryable_by_default if retryable is None else retryable
        self.retry_after = retry_after


class TransportError(ProviderError):
    """The connection failed, timed out or dropped; worth another try."""

    retryable_by_default = True


class ApiError(ProviderError):
    """The API answered with an error status (or an error event inside a stream)."""

    def __init__(
        self,
        status: int,
        message: str,
        error_type: str | None = None,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        if retryable is None:
            retryable = self.retryable_by_default or status >= 500 or status in (408, 409)
        label = f"{status} {error_type}" if error_type else str(status)
        super().__init__(f"{label}: {message}", retryable=retryable, retry_after=retry_after)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.request_id = request_id


class Overloaded(ApiError):
    retryable_by_default = True


class RateLimited(ApiError):
    retryable_by_default = True


class DeserializationError(ProviderError):
    """The server's answer broke the protocol (bad JSON, a missing field, a cut stream)."""


class BatchNotReady(ProviderError):
    """Batch results were asked for before the batch ended."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the batch has not ended yet (status: {status})")
        self.status = status


class InvalidRequest(ProviderError, ValueError):
    """The request breaks a rule of the API; raised before any HTTP call."""


class RequestCancelled(ProviderError):
    """The cancellation token passed to the provider call fired."""

    def __init__(self, message: str = "the request was cancelled") -> None:
        super().__init__(message)


# --- tools -------------------------------------------------------------------


class ToolError(TkachError):
    """Raised by a tool to tell the model what went wrong; it becomes an error result."""


class InvalidInput(ToolError, ValueError):
    """The model's input does not match the tool's schema."""


class ToolCancelled(ToolError):
    """The tool stopped because its cancellation token fired."""


# --- approval ----------------------------------------------------------------


class ApprovalDeferred(TkachError):
    """An approval handler deferred a call, so the batch stopped before it.

    Not an error of the run: the agent ends it with ``AWAITING_APPROVAL``.
    Only code that calls ``ToolExecutor.execute_batch`` itself sees this.
    ``results`` answers the calls before the deferred one, in order.
    """

    def __init__(self, results: list[ToolResultBlock]) -> None:
        super().__init__("the approval handler deferred a call")
        self.results = results
