"""``AgentStream``: the agent loop in a producer thread, its events through a bounded queue.

A slow consumer parks the producer in ``put``; a parked producer stops reading
the socket, and TCP pushes back on the server. Leaving the loop early (break,
``close()``, a ``with`` block, garbage collection) cancels the run's own child
token, which shuts the HTTP response and any tool down, and joins the thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, cast

from .cancel import CancellationToken
from .errors import Cancelled
from .events import StreamEvent

if TYPE_CHECKING:
    from .agent import AgentResult

__all__ = ["AgentStream"]

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
"""How far the producer may run ahead of the consumer, in events.

Under the GIL the two threads take turns, and each time the producer parks
on a full queue both pay a thread wake-up. At 256 that cost is spread over
a hundred events or more (a bound of 16 cost a third of the throughput),
while the queue still holds only some tens of kB of deltas: the socket and
TCP, not the queue, do the rest of the backpressure.
"""
_LOW_WATER = QUEUE_SIZE // 2
_JOIN_TIMEOUT = 10.0
_PUT_POLL = 0.25

Drive = Callable[[CancellationToken, Callable[[StreamEvent], None]], "AgentResult"]


class _End:
    """The producer's last item: the run's result or its error."""

    __slots__ = ("outcome",)

    def __init__(self, outcome: AgentResult | BaseException) -> None:
        self.outcome = outcome


_WAKE = object()
"""Queued by a cancel: wakes a consumer blocked in get(), and ends its iteration."""


class _Channel:
    """What the producer thread and the consumer share: never the AgentStream
    itself, so a dropped stream can be collected (and so closed).

    A deque with a condition that is touched only when a side has to sleep:
    handing over an event costs an append and a popleft, not a lock round
    trip. A side about to sleep raises ``_waiting`` *before* it checks the
    deque; the other side changes the deque first and reads the flag second,
    so it can never miss the sleeper. The one who notifies lowers the flag:
    a sleeper is woken once, not once per event that arrives while it wakes.
    (Only one side can sleep at a time: the deque cannot be empty and full.)
    """

    def __init__(self) -> None:
        self._items: deque[object] = deque()
        self._changed = threading.Condition(threading.Lock())
        self._waiting = False
        self.closed = threading.Event()
        self.finished = threading.Event()
        self.outcome: AgentResult | BaseException | None = None

    def put(self, item: object) -> None:
        """Block while QUEUE_SIZE events wait (the backpressure); give up once the consumer left."""
        items = self._items
        if len(items) >= QUEUE_SIZE:
            with self._changed:
                while True:
                    self._waiting = True  # first, then look
                    if len(items) < QUEUE_SIZE:
                        break
                    if self.closed.is_set():
                        return
                    self._changed.wait(_PUT_POLL)
        items.append(item)
        self._notify()

    def get(self, timeout: float | None = None) -> object:
        """The oldest item; ``queue.Empty`` if none came within ``timeout`` (0: do not wait)."""
        items = self._items
        if not items:
            if timeout == 0:
                raise queue.Empty
            time.sleep(0)  # let a producer mid-event finish it: a wake-up costs far more
        if not items:
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._changed:
                while True:
                    self._waiting = True  # first, then look
                    if items:
                        break
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise queue.Empty
                    self._changed.wait(left)
        item = items.popleft()
        if len(items) <= _LOW_WATER:  # wake a producer parked on a full deque only now:
            self._notify()  # it refills in one go instead of waking for every free slot
        return item

    def wake(self) -> None:
        """Queue the cancel's marker, even past the bound: it must reach the consumer."""
        self._items.append(_WAKE)
        self._notify()

    def drain(self) -> None:
        self._items.clear()
        self._notify()

    def _notify(self) -> None:
        if self._waiting:
            with self._changed:
                self._waiting = False
                self._changed.notify_all()


def _produce(drive: Drive, token: CancellationToken, channel: _Channel) -> None:
    outcome: AgentResult | BaseException
    try:
        outcome = drive(token, channel.put)
    except BaseException as exc:
        outcome = exc
    channel.outcome = outcome
    channel.finished.set()
    channel.put(_End(outcome))


class AgentStream:
    """Live events of one run; iterate it, then call ``result()``.

        with agent.stream(history, cancel=token) as stream:
            for event in stream:
                ...
        result = stream.result()

    After a cancel the iteration ends once the events sent before the cancel
    were handed out, and ``result()`` raises ``Cancelled`` with the partial
    result. Any other failure raises its ``AgentError`` from the iteration
    and again from ``result()``. ``events(idle=...)`` iterates the same way
    and also says when nothing happened for a while.
    """

    def __init__(self, drive: Drive, cancel: CancellationToken | None = None) -> None:
        self._token = cancel.child() if cancel is not None else CancellationToken()
        self._channel = _Channel()
        self._wake_handle = self._token.on_cancel(self._channel.wake)
        self._iteration_over = False
        self._thread = threading.Thread(
            target=_produce,
            args=(drive, self._token, self._channel),
            name="tkach-stream",
            daemon=True,
        )
        self._thread.start()

    # --- iteration -----------------------------------------------------------

    def __iter__(self) -> Iterator[StreamEvent]:
        return cast("Iterator[StreamEvent]", self._iterate(None))  # None comes only with idle

    def __next__(self) -> StreamEvent:
        return cast("StreamEvent", self._next(None))

    def events(self, idle: float) -> Iterator[StreamEvent | None]:
        """Iterate, and get ``None`` whenever ``idle`` seconds pass without an event.

        A server streaming the events on learns of a client that left only
        when it writes, and a proxy drops a connection that stays quiet: a
        keepalive on ``None`` does both while a tool or an approval runs long.

            for event in stream.events(idle=15.0):
                if event is None:
                    yield ": keepalive\n\n"
        """
        if not idle > 0:
            raise ValueError("idle must be a positive number of seconds")
        return self._iterate(idle)

    def _iterate(self, idle: float | None) -> Iterator[StreamEvent | None]:
        # A generator, so that leaving a for loop early (break, an exception)
        # drops it at once and its finally closes the stream.
        try:
            while True:
                try:
                    event = self._next(idle)
                except StopIteration:
                    return
                yield event
        finally:
            self.close()

    def _next(self, idle: float | None) -> StreamEvent | None:
        if self._iteration_over:
            raise StopIteration
        cancelled = self._token.is_cancelled
        try:
            # Once cancelled, hand out only what is already queued: the events
            # sent before the cancel come before its wake marker.
            item = self._channel.get(0 if cancelled else idle)
        except queue.Empty:
            if not cancelled:
                return None  # idle for ``idle`` seconds
            item = _WAKE
        if item is _WAKE:
            self._iteration_over = True
            raise StopIteration
        if isinstance(item, _End):
            self._finish()
            if isinstance(item.outcome, BaseException) and not isinstance(item.outcome, Cancelled):
                raise item.outcome
            raise StopIteration
        return item  # type: ignore[return-value]

    def result(self) -> AgentResult:
        """The run's result once it ended (blocks); raises its ``AgentError``."""
        outcome = self._wait_outcome()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    # --- leaving -------------------------------------------------------------

    def close(self) -> None:
        """Stop the run if it is still going, close its HTTP response, join the thread."""
        if not self._channel.finished.is_set():
            self._token.cancel()
        self._channel.closed.set()
        self._channel.drain()
        self._iteration_over = True
        self._join()
        self._release()

    def __enter__(self) -> AgentStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # best effort, also at interpreter exit
            self.close()

    # --- internals -----------------------------------------------------------

    def _finish(self) -> None:
        self._iteration_over = True
        self._join()
        self._release()

    def _wait_outcome(self) -> AgentResult | BaseException:
        while not self._channel.closed.is_set() and not self._channel.finished.is_set():
            item = self._channel.get()  # discard what nobody read, up to the end
            if isinstance(item, _End):
                break
        self._channel.finished.wait()
        self._finish()
        assert self._channel.outcome is not None
        return self._channel.outcome

    def _join(self) -> None:
        if threading.current_thread() is self._thread:
            return
        self._thread.join(_JOIN_TIMEOUT)
        if self._thread.is_alive():
            log.warning("the agent stream's producer did not stop within %.0f s", _JOIN_TIMEOUT)

    def _release(self) -> None:
        self._wake_handle.remove()
        self._token._release()
