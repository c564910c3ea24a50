"""A JSON Lines body read as it arrives: one line at a time, cancel-aware, closable.

Unlike the SSE reader this waits for full network reads (throughput over
latency) and lets urllib3 undo any ``gzip`` the server applied.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

import requests
import urllib3.exceptions

from ..cancel import CancellationToken
from ..errors import RequestCancelled
from ._http import shutdown_response, transport_error

__all__ = ["JsonLines"]

T = TypeVar("T")

_CHUNK = 64 * 1024


class JsonLines(Iterator[T]):
    """Each non-blank line of a streamed response, passed to ``parse(line, line_number)``.

    It never holds more than one line and one network read. A cancel shuts
    the socket and ends the iteration with ``RequestCancelled``, even while
    lines already received remain; ``close()`` (or leaving a ``with``) hangs up.
    """

    def __init__(
        self,
        response: requests.Response,
        cancel: CancellationToken,
        parse: Callable[[bytes, int], T],
    ) -> None:
        self._response = response
        self._items = _parsed(response, cancel, parse)

    def __next__(self) -> T:
        return next(self._items)

    def close(self) -> None:
        self._items.close()
        self._response.close()  # the generator closes it too, but only once it started

    def __enter__(self) -> JsonLines[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _parsed(
    response: requests.Response, cancel: CancellationToken, parse: Callable[[bytes, int], T]
) -> Generator[T, None, None]:
    try:
        with cancel.on_cancel(lambda: shutdown_response(response)):
            for number, line in enumerate(_lines(response, cancel), start=1):
                if cancel.is_cancelled:
                    raise RequestCancelled()
                if line.strip():
                    yield parse(line, number)
    finally:
        response.close()


def _lines(response: requests.Response, cancel: CancellationToken) -> Iterator[bytes]:
    """The body split on ``\\n``, a ``\\r`` before it dropped (so line numbers stay true)."""
    pending: list[bytes] = []
    try:
        for chunk in response.iter_content(chunk_size=_CHUNK):
            *complete, rest = chunk.split(b"\n")
            for line in complete:
                yield _strip_cr(b"".join([*pending, line]))
                pending.clear()
            if rest:
                pending.append(rest)
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise transport_error(exc, cancel) from exc
    if cancel.is_cancelled:
        raise RequestCancelled()
    if pending:
        yield _strip_cr(b"".join(pending))


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line
