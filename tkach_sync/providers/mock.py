"""A scripted provider for offline runs and tests: no network, no threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator

from ..cancel import CancellationToken
from ..errors import ProviderError, RequestCancelled
from ..events import ContentDelta, Done, MessageDelta, StreamEvent, ToolUse, UsageReport
from ..messages import TextBlock, ToolUseBlock
from .base import Request, Response

__all__ = ["Mock"]

Handler = Callable[[Request], Response]


class Mock:
    """A provider whose answers come from a function or a script.

    ``Mock(handler)`` calls ``handler(request)`` for each model call;
    ``Mock.with_responses([...])`` plays a list in order (a ``str`` item is a
    text answer, an exception item is raised); ``Mock.with_text(s)`` always
    answers ``s``. ``stream()`` replays the same answer as events, the text in
    ``chunk_size`` pieces, pausing ``event_delay`` seconds (on the token)
    between events. It keeps every request in ``requests`` for tests to
    inspect, so it is a test double, not something to leave running for days.
    """

    def __init__(self, handler: Handler, *, chunk_size: int = 0, event_delay: float = 0.0) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.chunk_size = chunk_size
        self.event_delay = event_delay
        self.call_count = 0
        self.requests: list[Request] = []

    @classmethod
    def with_text(cls, text: str, **options: float) -> Mock:
        return cls(lambda _request: Response.from_text(text), **options)  # type: ignore[arg-type]

    @classmethod
    def with_responses(
        cls, responses: Iterable[Response | str | BaseException], **options: float
    ) -> Mock:
        script = list(responses)

        def play(request: Request) -> Response:
            index = len(mock.requests) - 1
            if index >= len(script):
                raise ProviderError(
                    f"Mock has {len(script)} scripted response(s) and was called a "
                    f"{index + 1}th time"
                )
            item = script[index]
            if isinstance(item, BaseException):
                raise item
            return Response.from_text(item) if isinstance(item, str) else item

        mock = cls(play, **options)  # type: ignore[arg-type]
        return mock

    def __repr__(self) -> str:
        return f"<Mock provider, {self.call_count} call(s)>"

    def complete(self, request: Request, cancel: CancellationToken | None = None) -> Response:
        if cancel is not None and cancel.is_cancelled:
            raise RequestCancelled()
        with self._lock:
            self.call_count += 1
            self.requests.append(request)
        return self._handler(request)

    def stream(
        self, request: Request, cancel: CancellationToken | None = None
    ) -> Iterator[StreamEvent]:
        response = self.complete(request, cancel)
        return self._replay(response, cancel or CancellationToken())

    def _replay(self, response: Response, cancel: CancellationToken) -> Iterator[StreamEvent]:
        for event in self._events(response):
            if (self.event_delay and cancel.wait(self.event_delay)) or cancel.is_cancelled:
                raise RequestCancelled()
            yield event

    def _events(self, response: Response) -> Iterator[StreamEvent]:
        for block in response.content:
            if isinstance(block, TextBlock):
                yield from (ContentDelta(piece) for piece in _pieces(block.text, self.chunk_size))
            elif isinstance(block, ToolUseBlock):
                yield ToolUse(block.id, block.name, block.input)
        yield UsageReport(response.usage)
        yield MessageDelta(response.stop_reason)
        yield Done()


def _pieces(text: str, size: int) -> Iterator[str]:
    if size <= 0 or len(text) <= size:
        yield text
        return
    for start in range(0, len(text), size):
        yield text[start : start + size]
