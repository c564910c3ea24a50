"""Server-sent events off a live response, and the provider stream built on them.

The transport (this module) and the accumulators (``_anthropic_wire``,
``_openai_wire``) meet only here: bytes become ``(event, data)`` pairs through
sseclient-py, an accumulator turns those into our stream events.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import requests
import sseclient
import urllib3.exceptions

from ..cancel import CancellationToken
from ..errors import DeserializationError, ProviderError, RequestCancelled
from ..events import StreamEvent
from ..messages import ContentBlock
from ._http import HttpClient, shutdown_response, transport_error

__all__ = ["Accumulator", "ProviderStream"]

_READ_SIZE = 64 * 1024
_BOM = b"\xef\xbb\xbf"


def _chunks(response: requests.Response, cancel: CancellationToken) -> Iterator[bytes]:
    # read1 hands over whatever has arrived, so an event is seen the moment it
    # lands, chunked or not; iter_content would wait to fill its buffer.
    raw: Any = response.raw
    first = True
    while True:
        try:
            chunk: bytes = raw.read1(_READ_SIZE)
        except (OSError, urllib3.exceptions.HTTPError, requests.RequestException) as exc:
            raise transport_error(exc, cancel) from exc
        if cancel.is_cancelled:
            raise RequestCancelled()
        if not chunk:
            return
        if first:
            first = False
            chunk = chunk.removeprefix(_BOM)
        yield chunk


class Accumulator(Protocol):
    """Turns one provider's SSE events into whole stream events."""

    def feed(self, event: str, data: str) -> list[StreamEvent]: ...

    def finish(self) -> list[StreamEvent]: ...


@runtime_checkable
class _HasThinking(Protocol):
    def thinking(self) -> list[ContentBlock]: ...


class ProviderStream:
    """The events of one streamed model call. ``close()`` closes the connection.

    Failures before the first event are retried like any call; once an event
    was handed out, a failure raises, because the caller already acted on it.
    """

    def __init__(
        self,
        http: HttpClient,
        path: str,
        body: dict[str, Any],
        cancel: CancellationToken,
        make_accumulator: Callable[[], Accumulator],
    ) -> None:
        self._http = http
        self._path = path
        self._body = body
        self._cancel = cancel
        self._make_accumulator = make_accumulator
        self._accumulator: Accumulator | None = None
        self._delivered = False
        self._events = self._run()

    def __iter__(self) -> Iterator[StreamEvent]:
        return self._events  # the generator itself: no extra call per event in a for loop

    def __next__(self) -> StreamEvent:
        return next(self._events)

    def close(self) -> None:
        self._events.close()

    def thinking(self) -> list[ContentBlock]:
        """The answer's thinking blocks, which events do not carry (the agent sends them
        back: the API wants them unchanged before the text and the tool calls)."""
        accumulator = self._accumulator
        return accumulator.thinking() if isinstance(accumulator, _HasThinking) else []

    def __enter__(self) -> ProviderStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> Generator[StreamEvent, None, None]:
        retries = 0
        while True:
            self._delivered = False
            try:
                yield from self._attempt()
                return
            except ProviderError as error:
                if self._delivered and not self._cancel.is_cancelled:
                    raise  # the caller already acted on what came: no second try
                self._http.backoff(retries, error, self._cancel)
                retries += 1

    def _attempt(self) -> Iterator[StreamEvent]:
        response = self._http.send(
            "POST",
            self._path,
            self._cancel,
            body=self._body,
            headers={"accept": "text/event-stream", "accept-encoding": "identity"},
        )
        accumulator = self._accumulator = self._make_accumulator()
        feed = accumulator.feed
        try:
            with self._cancel.on_cancel(lambda: shutdown_response(response)):
                for event in sseclient.SSEClient(_chunks(response, self._cancel)).events():
                    events = feed(event.event, event.data)
                    if events:
                        self._delivered = True
                        yield from events
                events = accumulator.finish()
                self._delivered = self._delivered or bool(events)
                yield from events
        except UnicodeDecodeError as exc:
            raise DeserializationError(f"the event stream is not valid UTF-8: {exc}") from exc
        finally:
            response.close()
