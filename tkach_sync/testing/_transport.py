"""Writing one reply onto a live socket, with the connection faults a turn asks for.

Every wait (a drip, a hang) watches the socket, so it ends at once when the
client goes away or ``stop()`` shuts the socket down.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from http import HTTPStatus

from ._pieces import resplit
from ._records import TurnHandle
from ._reply import Reply

__all__ = ["send_reply", "shut"]

_REASONS = {529: "Overloaded"}


def send_reply(
    sock: socket.socket, reply: Reply, handle: TurnHandle | None, stopping: threading.Event
) -> bool:
    """Send ``reply``; ``True`` when the connection is fit for the next request."""
    writer = _Writer(sock, handle, stopping)
    try:
        return writer.send(reply)
    except OSError:
        writer.client_gone()
        return False


class _Writer:
    def __init__(
        self, sock: socket.socket, handle: TurnHandle | None, stopping: threading.Event
    ) -> None:
        self.sock = sock
        self.handle = handle
        self.stopping = stopping

    def send(self, reply: Reply) -> bool:
        faults = reply.faults
        if faults.cut_before_headers:
            return self.abort()
        if faults.hang_before_headers:
            return self.hang()
        self.write(_head(reply))
        for piece in self.pieces(reply):
            if faults.delay and self.wait(faults.delay):
                return False
            self.write(_frame(piece) if reply.length is None else piece)
        if faults.cut_after_events is not None or faults.cut_after_bytes is not None:
            return self.abort()
        if faults.hang_after_events is not None:
            return self.hang()
        if reply.length is None:
            self.write(b"0\r\n\r\n")
        return True

    def pieces(self, reply: Reply) -> Iterable[bytes]:
        """The body as written: up to the cut or hang point, re-split if asked."""
        faults = reply.faults
        blocks: Iterable[bytes] = reply.blocks
        stop_after = faults.cut_after_events
        if stop_after is None:
            stop_after = faults.hang_after_events
        if stop_after is not None:
            blocks = itertools.islice(blocks, stop_after)
        if faults.is_split:
            blocks = resplit(blocks, faults.chunk_sizes, faults.chunk_seed, faults.chunk_max)
        if faults.cut_after_bytes is not None:
            blocks = _first_bytes(blocks, faults.cut_after_bytes)
        return (piece for piece in blocks if piece)

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)
        if self.handle is not None:
            self.handle._count(len(data))

    def abort(self) -> bool:
        """Drop the connection: FIN with no terminating chunk and no more body."""
        shut(self.sock)
        return False

    def hang(self) -> bool:
        self.wait(None)
        return False

    def wait(self, timeout: float | None) -> bool:
        """Wait ``timeout`` seconds (``None``: forever); ``True`` if the connection ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if readable:
            try:
                peeked = self.sock.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if not peeked:
                self.client_gone()
                return True
        # Nothing, or the client sent more bytes (ignored): sit out the rest of the time.
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self.stopping.wait(remaining)

    def client_gone(self) -> None:
        if self.handle is not None and not self.stopping.is_set():
            self.handle.client_disconnected.set()


def shut(sock: socket.socket) -> None:
    """Shut both directions; wakes any thread blocked on the socket."""
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _head(reply: Reply) -> bytes:
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = _REASONS.get(reply.status, "Unknown")
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    if reply.length is None:
        lines.append("Transfer-Encoding: chunked")
    else:
        lines.append(f"Content-Length: {reply.length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _frame(piece: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece)


def _first_bytes(pieces: Iterable[bytes], limit: int) -> Iterator[bytes]:
    left = limit
    for piece in pieces:
        if left <= 0:
            return
        yield piece[:left]
        left -= len(piece)
