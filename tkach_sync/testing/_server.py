"""The HTTP plumbing: a threaded HTTP/1.1 server on 127.0.0.1 that answers with scripted turns."""

from __future__ import annotations

import itertools
import json
import socket
import socketserver
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, cast

from ._batches import FakeBatches
from ._records import RecordedRequest, TurnHandle
from ._reply import Reply, error_reply, guess_protocol, route, turn_reply
from ._transport import send_reply, shut
from ._turns import ErrorSpec, Turn

__all__ = ["FakeLLMServer"]

_THREAD_PREFIX = "tkach-fake-llm"
_POLL_INTERVAL = 0.05
_JOIN_TIMEOUT = 2.0


class FakeLLMServer:
    """A loopback LLM API that answers each model call with the next scripted ``Turn``.

    It speaks Anthropic Messages on ``{url}/v1/messages`` and OpenAI Chat
    Completions on ``{openai_url}/chat/completions``, as JSON or SSE as each
    request asks, and Anthropic Message Batches (see ``batches``). Turns are
    consumed first in, first out; a request with no turn left gets a 500 that
    says so. Use it as a context manager::

        with FakeLLMServer() as server:
            server.add(Turn.text("Hello"))
            client = Anthropic("test-key", base_url=server.url)
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._turns: deque[TurnHandle] = deque()
        self._requests: list[RecordedRequest] = []
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._stopping = threading.Event()
        self._http: _HTTPServer | None = None
        self._accept_thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._batches = FakeBatches(lambda: self.url)

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Bind an ephemeral port on 127.0.0.1 and start accepting connections."""
        if self._http is not None:
            raise RuntimeError("a FakeLLMServer starts once")
        self._http = _HTTPServer(self)
        self._accept_thread = threading.Thread(
            target=self._http.serve_forever,
            args=(_POLL_INTERVAL,),
            name=f"{_THREAD_PREFIX}-accept",
            daemon=True,
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every live connection, and join all threads.

        Hangs and drips in progress end at once. Calling it again does nothing.
        """
        http, accept_thread = self._http, self._accept_thread
        if http is None or accept_thread is None or self._stopping.is_set():
            return
        self._stopping.set()
        http.shutdown()
        http.server_close()
        accept_thread.join()
        with self._lock:
            connections = list(self._connections.items())
            self._lock.notify_all()
        for _, sock in connections:
            shut(sock)
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for thread, _ in connections:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread, _ in connections if thread.is_alive()]
        if stuck:
            raise RuntimeError(f"fake LLM server threads did not stop: {stuck}")

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests use ----------------------------------------------------------

    @property
    def url(self) -> str:
        """The Anthropic base URL: clients POST to ``{url}/v1/messages``."""
        if self._http is None:
            raise RuntimeError("the server is not started; use start() or a with block")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_url(self) -> str:
        """The OpenAI base URL: clients POST to ``{openai_url}/chat/completions``."""
        return f"{self.url}/v1"

    def add(self, turn: Turn) -> TurnHandle:
        """Queue a turn for the next model call; the handle reports what became of it."""
        if not isinstance(turn, Turn):
            raise TypeError(f"add() takes a Turn, got {type(turn).__name__}")
        handle = TurnHandle(turn)
        with self._lock:
            self._turns.append(handle)
        return handle

    @property
    def batches(self) -> FakeBatches:
        """The Message Batches endpoints: script outcomes, end batches, inject faults."""
        return self._batches

    @property
    def pending(self) -> int:
        """How many turns no request has consumed yet."""
        with self._lock:
            return len(self._turns)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` requests arrived; ``False`` on timeout or stop."""
        with self._lock:
            self._lock.wait_for(
                lambda: len(self._requests) >= count or self._stopping.is_set(), timeout
            )
            return len(self._requests) >= count

    def __repr__(self) -> str:
        where = self.url if self._http is not None else "not started"
        return f"<FakeLLMServer {where} pending={self.pending}>"

    # --- what the connection threads use -------------------------------------------

    def _answer(self, request: RecordedRequest) -> tuple[Reply, TurnHandle | None]:
        """Record ``request`` and pick its reply (and the turn it consumes, if any)."""
        request_id = f"req_fake{next(self._ids):06d}"
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
        if self._batches.serves(request.path):
            return self._batches._answer(request, request_id)
        protocol = route(request.path)
        if protocol is None:
            spec = ErrorSpec(404, f"no such endpoint: {request.method} {request.path}")
            return error_reply(guess_protocol(request.path), spec, request_id), None
        if request.method != "POST":
            spec = ErrorSpec(405, f"{request.path} takes POST, not {request.method}")
            return error_reply(protocol, spec, request_id), None
        body = _json_object(request.body)
        if body is None:
            spec = ErrorSpec(400, "the request body is not a JSON object")
            return error_reply(protocol, spec, request_id), None
        with self._lock:
            handle = self._turns.popleft() if self._turns else None
        if handle is None:
            spec = ErrorSpec(500, f"fake LLM server: no scripted turn left for {request.path}")
            return error_reply(protocol, spec, request_id), None
        handle._begin(request)
        return turn_reply(handle.turn, protocol, body, request_id), handle

    def _track(self, thread: threading.Thread, sock: socket.socket) -> None:
        with self._lock:
            self._connections[thread] = sock

    def _untrack(self, thread: threading.Thread) -> None:
        with self._lock:
            self._connections.pop(thread, None)


class _HTTPServer(socketserver.TCPServer):
    """A TCP server that runs each connection in its own named daemon thread."""

    request_queue_size = 256  # many clients connecting at once must not be reset

    def __init__(self, owner: FakeLLMServer) -> None:
        self.owner = owner
        self._numbers = itertools.count(1)
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"{_THREAD_PREFIX}-conn-{next(self._numbers)}",
            daemon=True,
        )
        self.owner._track(thread, cast(socket.socket, request))
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:
            pass  # the client went away, or stop() cut the connection
        finally:
            self.shutdown_request(request)
            self.owner._untrack(threading.current_thread())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # every piece leaves at once, as its own segment
    server: _HTTPServer

    def do_POST(self) -> None:
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
        )
        reply, handle = self.server.owner._answer(request)
        try:
            reusable = send_reply(self.connection, reply, handle, self.server.owner._stopping)
        finally:
            if handle is not None:
                handle.finished.set()
        if not reusable:
            self.close_connection = True

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def _read_body(self) -> bytes:
        """The body; a malformed one reads as empty (a 400) and ends the connection."""
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        except ValueError:
            self.close_connection = True
            return b""

    def _read_chunked(self) -> bytes:
        parts = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read server.requests, not a log


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
