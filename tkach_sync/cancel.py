"""One cancellation token for the whole run: the loop, the HTTP body, the tools.

Cancellation is level-triggered, as in trio: once ``cancel()`` was called, the
token stays cancelled and every later check sees it. The callbacks registered
with ``on_cancel`` run in the thread that calls ``cancel()``; that is how a
socket blocked in ``recv`` in another thread is shut down, and how a ``bash``
process group is killed, within milliseconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from .errors import ToolCancelled

__all__ = ["CallbackHandle", "CancellationToken"]

log = logging.getLogger(__name__)


class CallbackHandle:
    """A registered ``on_cancel`` callback; ``remove()`` (or leaving a ``with``) unregisters it."""

    __slots__ = ("_callback", "_token")

    def __init__(self, token: CancellationToken | None, callback: Callable[[], object]) -> None:
        self._token = token
        self._callback = callback

    def remove(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            token._discard(self)

    def __enter__(self) -> CallbackHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class CancellationToken:
    """A thread-safe, level-triggered cancel flag with callbacks and child tokens."""

    __slots__ = ("__weakref__", "_callbacks", "_event", "_lock", "_parent_link")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[CallbackHandle, None] = {}
        self._parent_link: CallbackHandle | None = None

    def __repr__(self) -> str:
        return f"<CancellationToken cancelled={self.is_cancelled}>"

    @property
    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Cancel the token and run every registered callback, once, in this thread."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            handles = list(self._callbacks)
            self._callbacks.clear()
        for handle in handles:
            _run_callback(handle._callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or until ``timeout`` seconds passed; True if cancelled.

        This is the sleep of the runtime: a backoff that waits on the token
        ends the moment somebody cancels.
        """
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        """Raise ``ToolCancelled`` if cancelled; tools call it at their checkpoints."""
        if self._event.is_set():
            raise ToolCancelled("cancelled")

    def on_cancel(self, callback: Callable[[], object]) -> CallbackHandle:
        """Run ``callback`` when the token is cancelled (at once if it already is).

        A callback that raises is logged and never stops the others.
        """
        handle = CallbackHandle(self, callback)
        with self._lock:
            if not self._event.is_set():
                self._callbacks[handle] = None
                return handle
        handle._token = None
        _run_callback(callback)
        return handle

    def child(self) -> CancellationToken:
        """A token cancelled with this one; cancelling the child leaves the parent alone."""
        child = CancellationToken()
        child._parent_link = self.on_cancel(child.cancel)
        return child

    def _release(self) -> None:
        """Unlink a child from its parent, so a long-lived parent does not keep it alive."""
        link, self._parent_link = self._parent_link, None
        if link is not None:
            link.remove()

    def _discard(self, handle: CallbackHandle) -> None:
        with self._lock:
            self._callbacks.pop(handle, None)


def _run_callback(callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:
        log.exception("cancel callback %r failed", callback)
