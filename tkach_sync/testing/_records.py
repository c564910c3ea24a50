"""What a test observes: the requests the server received and the fate of each turn."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._turns import Turn

__all__ = ["RecordedRequest", "TurnHandle"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One HTTP request as the server read it."""

    method: str
    path: str
    """The request target, query string included."""
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not JSON)."""
        return json.loads(self.body)


class TurnHandle:
    """A queued turn, and what happened when a request consumed it.

    The events let a test synchronise with the server without sleeping::

        handle = server.add(Turn.text("hi").hang())
        ...  # start the client in a thread
        assert handle.started.wait(5)
    """

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.started = threading.Event()
        """Set when a request consumed the turn, before any byte of the answer."""
        self.finished = threading.Event()
        """Set when the server is done with the turn: sent, cut, or given up.

        The client may see the end of the answer a moment before; wait on it.
        """
        self.client_disconnected = threading.Event()
        """Set when the client went away (EOF or a send error) before the answer was complete."""
        self._request: RecordedRequest | None = None
        self._bytes_sent = 0

    @property
    def request(self) -> RecordedRequest | None:
        """The request that consumed this turn, or ``None`` while it waits in the queue."""
        return self._request

    @property
    def bytes_sent(self) -> int:
        """Response bytes (head, framing and body) the kernel has accepted so far; live."""
        # Only the connection's thread writes it; an int read is atomic.
        return self._bytes_sent

    def _begin(self, request: RecordedRequest) -> None:
        self._request = request
        self.started.set()

    def _count(self, sent: int) -> None:
        self._bytes_sent += sent

    def __repr__(self) -> str:
        state = "queued"
        if self.finished.is_set():
            state = "finished"
        elif self.started.is_set():
            state = "started"
        return f"<TurnHandle {state} bytes_sent={self._bytes_sent}>"
