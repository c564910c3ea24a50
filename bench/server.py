"""The loopback transcript server: a separate process that replays pre-rendered answers.

It runs in its own process so it never competes with the client for the GIL
(a server thread inside the client's process caps throughput near 50k
events/s). It is a lean HTTP/1.1 server on raw sockets: keep-alive, chunked
bodies, and each answer framed once in memory and written with one
``sendall``, so it can feed a client far faster than any client parses.

    with TranscriptServer() as server:
        client = Anthropic("key", base_url=server.url("a-text-10k"))

A request to ``/<route>/...`` (any suffix: ``/v1/messages``,
``/v1/chat/completions``) gets that route's transcript (see ``transcripts``).
``GET /_meta/<route>`` says how many events and bytes an answer has, and
``GET /_sent/<route>`` how many bytes the socket accepted for the route's
latest answer (counted routes only).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .transcripts import TRANSCRIPTS, Transcript, render

__all__ = ["Meta", "TranscriptServer"]

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 16 * 1024
"""Body bytes per HTTP chunk: chunks cut through events, as a fast network delivers them."""
_END = b"0\r\n\r\n"


# --- the parent's handle -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Meta:
    """The size of a route's answers: events and body bytes, first and after tools."""

    events: int
    bytes: int
    after_events: int = 0
    after_bytes: int = 0


class TranscriptServer:
    """Starts ``python -m bench.server`` and talks to it; ``stop()`` ends it."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> TranscriptServer:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().decode()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"the transcript server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()  # the server exits when its stdin closes
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, route: str) -> str:
        """The base URL a client takes for ``route`` (add ``/v1`` for OpenAI clients)."""
        if route not in TRANSCRIPTS:
            raise KeyError(f"no transcript named {route!r}")
        return f"{self.base}/{route}"

    def meta(self, route: str) -> Meta:
        return Meta(**self._get(f"/_meta/{route}"))

    def sent(self, route: str) -> int:
        return int(self._get(f"/_sent/{route}")["bytes"])

    def _get(self, path: str) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body!r}")
        return json.loads(body)


# --- the server process --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    """One answer on the wire: ``pieces`` are written in turn (with a drip between)."""

    pieces: tuple[bytes, ...]
    events: int
    body_bytes: int


class _Routes:
    """Every route's answers, rendered and framed on first use, then served from memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[_Answer, _Answer | None]] = {}
        self._sent: dict[str, int] = {}

    def answers(self, route: str) -> tuple[Transcript, _Answer, _Answer | None] | None:
        make = TRANSCRIPTS.get(route)
        if make is None:
            return None
        transcript = make()
        with self._lock:
            if route not in self._answers:
                first = _frame(transcript, transcript.first)
                after = transcript.after_tools
                self._answers[route] = (first, _frame(transcript, after) if after else None)
            return (transcript, *self._answers[route])

    def count(self, route: str, sent: int) -> None:
        self._sent[route] = sent

    def sent(self, route: str) -> int:
        return self._sent.get(route, 0)


def _frame(transcript: Transcript, turn: Any) -> _Answer:
    body = render(transcript.protocol, turn, json_answer=transcript.json_answers)
    if transcript.json_answers:
        head = _head("application/json", len(body))
        return _Answer((head + body,), 1, len(body))
    events = body.count(b"\n\n")
    head = _head("text/event-stream", None)
    if transcript.drip:
        pieces = _drip_pieces(body)
        framed = [_chunk(piece) for piece in pieces]
        return _Answer((head + framed[0], *framed[1:], _END), events, len(body))
    chunks = [_chunk(body[i : i + CHUNK]) for i in range(0, len(body), CHUNK)]
    wire = head + b"".join(chunks) + _END
    if transcript.counted:
        return _Answer(
            tuple(wire[i : i + CHUNK] for i in range(0, len(wire), CHUNK)), events, len(body)
        )
    return _Answer((wire,), events, len(body))


def _drip_pieces(body: bytes) -> list[bytes]:
    """One piece per event, except that everything up to the first text delta goes at once."""
    events = [event + b"\n\n" for event in body.split(b"\n\n") if event]
    first = next(i for i, e in enumerate(events) if b"text_delta" in e or b'"content":"' in e)
    return [b"".join(events[: first + 1]), *events[first + 1 :]]


def _head(content_type: str, length: int | None) -> bytes:
    framing = f"content-length: {length}" if length is not None else "transfer-encoding: chunked"
    return (
        f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n{framing}\r\n"
        "request-id: req_bench\r\n\r\n"
    ).encode()


def _chunk(piece: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece)


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    body: bytes
    close: bool


def _read_request(rfile: BinaryIO) -> _Request | None:
    line = rfile.readline()
    if not line.strip():
        return None
    method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := rfile.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunked(rfile)
    else:
        body = rfile.read(int(headers.get("content-length") or 0))
    return _Request(method, path, body, headers.get("connection", "").lower() == "close")


def _read_chunked(rfile: BinaryIO) -> bytes:
    parts = []
    while size := int(rfile.readline().split(b";")[0], 16):
        parts.append(rfile.read(size))
        rfile.readline()
    while rfile.readline() not in (b"\r\n", b"\n", b""):
        pass
    return b"".join(parts)


def _has_tool_results(body: bytes) -> bool:
    return b'"tool_result"' in body or b'"role":"tool"' in body or b'"role": "tool"' in body


def _json_reply(status: int, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    return (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


def _control(routes: _Routes, path: str) -> bytes:
    kind, _, route = path.strip("/").partition("/")
    if kind == "_sent":
        return _json_reply(200, {"bytes": routes.sent(route)})
    found = routes.answers(route)
    if found is None:
        return _json_reply(404, {"error": f"no route {route!r}"})
    _, first, after = found
    meta = {"events": first.events, "bytes": first.body_bytes}
    if after is not None:
        meta |= {"after_events": after.events, "after_bytes": after.body_bytes}
    return _json_reply(200, meta)


def _send(
    sock: socket.socket, route: str, transcript: Transcript, answer: _Answer, routes: _Routes
) -> None:
    sent = 0
    for i, piece in enumerate(answer.pieces):
        if i and transcript.drip:
            time.sleep(transcript.drip)
        sock.sendall(piece)
        if transcript.counted:
            sent += len(piece)
            routes.count(route, sent)


def _serve(sock: socket.socket, routes: _Routes) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rfile = sock.makefile("rb")
    with sock, rfile:
        try:
            while (request := _read_request(rfile)) is not None:
                if request.path.startswith(("/_meta/", "/_sent/")):
                    sock.sendall(_control(routes, request.path))
                    continue
                route = request.path.strip("/").split("/", 1)[0]
                found = routes.answers(route)
                if found is None:
                    sock.sendall(_json_reply(404, {"error": f"no route {route!r}"}))
                    continue
                transcript, first, after = found
                answer = after if after is not None and _has_tool_results(request.body) else first
                if transcript.counted:
                    routes.count(route, 0)
                _send(sock, route, transcript, answer, routes)
                if request.close:
                    return
        except (OSError, ValueError):
            return  # the client went away or sent garbage: drop the connection


def main() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    routes = _Routes()
    print(f"port {listener.getsockname()[1]}", flush=True)
    # The parent closes our stdin to stop us, and dies with us gone too.
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=_serve, args=(sock, routes), daemon=True).start()


if __name__ == "__main__":
    main()
