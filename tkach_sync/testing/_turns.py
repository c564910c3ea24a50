"""What a test scripts: one ``Turn`` per model call, plus the faults to inject.

A turn says *what* the model answers (text, tool calls, usage, stop reason) and
never *how* a protocol spells it, so one turn serves the Anthropic and the
OpenAI endpoint alike. Turns are frozen; each fault method returns a new turn.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..messages import Usage

__all__ = ["DEFAULT_USAGE", "ErrorSpec", "Faults", "ToolCallSpec", "Turn"]

DEFAULT_USAGE = Usage(input_tokens=10, output_tokens=5)
"""Non-zero on purpose: a client that drops usage fails its test instead of passing on zeros."""

_DEFAULT_GARBAGE = (b"data: {this is not json", b"a junk line without a colon", b": a comment")


@dataclass(frozen=True, slots=True)
class ToolCallSpec:
    """One tool call the model makes. Without an ``id`` the server makes up a realistic one."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.input, Mapping):
            raise TypeError(f"tool input must be a mapping (a JSON object), got {self.input!r}")
        try:
            json.dumps(self.input)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"tool input must be JSON-serialisable: {exc}") from None


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """An API error: the HTTP status, and what the body (or the error event) says."""

    status: int
    message: str
    error_type: str | None = None
    """``None`` picks the provider's usual type for the status, e.g. 429 -> ``rate_limit_error``."""
    code: str | None = None
    """OpenAI's ``error.code`` (e.g. ``insufficient_quota``); Anthropic has no such field."""

    def __post_init__(self) -> None:
        _check_status(self.status)


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """How the server misbehaves while answering. Build it with the ``Turn`` methods.

    "Events" count the SSE events of the body as sent (pings and garbage blocks
    included); a JSON body is one event. "Bytes" count body bytes before the
    chunked framing.
    """

    error_after: int | None = None
    stream_error: ErrorSpec | None = None
    truncate_after: int | None = None
    """Negative counts from the end: -1 drops only ``message_stop`` / ``[DONE]``."""
    garbage: tuple[bytes, ...] = ()
    """Lines inserted as one block (each gets a newline, the block a blank line)."""
    garbage_after: int = 1
    cut_before_headers: bool = False
    cut_after_events: int | None = None
    cut_after_bytes: int | None = None
    hang_before_headers: bool = False
    hang_after_events: int | None = None
    chunk_sizes: tuple[int, ...] = ()
    chunk_seed: int | None = None
    chunk_max: int = 16
    """The largest random piece when splitting with a seed."""
    delay: float = 0.0
    """Seconds before each body piece."""

    def __post_init__(self) -> None:
        counts = [self.error_after, self.cut_after_events, self.cut_after_bytes]
        counts += [self.hang_after_events, self.garbage_after]
        if any(n is not None and n < 0 for n in counts):
            raise ValueError("fault positions must be >= 0")
        if any(size < 1 for size in self.chunk_sizes) or self.chunk_max < 1:
            raise ValueError("chunk sizes must be >= 1")
        if self.delay < 0:
            raise ValueError("delay must be >= 0")
        cuts = [self.cut_before_headers, self.cut_after_events is not None]
        cuts.append(self.cut_after_bytes is not None)
        hangs = [self.hang_before_headers, self.hang_after_events is not None]
        if sum(cuts) + sum(hangs) > 1:
            raise ValueError("a turn cuts the connection or hangs, once")

    @property
    def is_split(self) -> bool:
        return bool(self.chunk_sizes) or self.chunk_seed is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """One scripted answer of the fake model.

    Build it with ``Turn.text``, ``Turn.tool_calls``, ``Turn.error``, ``Turn.raw``
    or ``Turn.blast``, then chain faults; each method returns a new turn::

        Turn.text("Hello there", chunks=3).drip(0.05).cut(after_events=4)
        Turn().hang()  # reads the request and never answers

    Faults inside a stream (``error_after``, ``truncated``, ``with_garbage``)
    shape SSE answers only; faults of the connection (``cut``, ``hang``,
    ``split``, ``drip``) apply to every answer, JSON and errors too.
    """

    answer: str = ""
    """The text of the answer."""
    calls: tuple[ToolCallSpec, ...] = ()
    """The tool calls, after the text."""
    thinking: str | None = None
    """Extended thinking, rendered before the text: Anthropic's signed ``thinking``
    block, or ``reasoning_content`` in OpenAI form (as DeepSeek sends it)."""
    stop_reason: str | None = None
    """``None`` derives it: ``tool_use`` with tool calls, else ``end_turn``."""
    finish_reason: str | None = None
    """OpenAI only; ``None`` maps the stop reason (``tool_use`` -> ``tool_calls``...)."""
    usage: Usage = DEFAULT_USAGE
    model: str | None = None
    """``None`` echoes the request's ``model``."""
    chunks: int = 1
    """How many text deltas the text (and the thinking) is streamed in."""
    repeat: int = 1
    """The text is streamed this many times over, lazily: how ``blast`` stays cheap."""
    json_fragment_size: int = 12
    """Tool input JSON is streamed in fragments of this many characters."""
    pings: bool = True
    """Anthropic streams get ``ping`` events, as the real API sends them."""
    api_error: ErrorSpec | None = None
    """Answer with this API error instead of a message."""
    raw_body: tuple[bytes, ...] | None = None
    """Answer with exactly these bytes."""
    raw_chunked: bool = False
    """Send ``raw_body`` as one HTTP chunk per piece, else with a ``Content-Length``."""
    raw_status: int = 200
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    faults: Faults = Faults()
    uid: str = field(default_factory=lambda: secrets.token_hex(6), compare=False, repr=False)
    """Seeds the made-up ids; kept by the fault methods, so a faulted turn has the same ids."""

    def __post_init__(self) -> None:
        if self.chunks < 1 or self.repeat < 1 or self.json_fragment_size < 1:
            raise ValueError("chunks, repeat and json_fragment_size must be >= 1")
        if not all(isinstance(call, ToolCallSpec) for call in self.calls):
            raise TypeError("tool_calls must be ToolCallSpec instances")

    # --- constructors ------------------------------------------------------

    @classmethod
    def text(cls, text: str, *, chunks: int = 1, **options: Any) -> Turn:
        """A plain text answer, streamed in ``chunks`` deltas."""
        return cls(answer=text, chunks=chunks, **options)

    @classmethod
    def tool_calls(cls, *calls: ToolCallSpec, text: str = "", **options: Any) -> Turn:
        """An answer that calls tools, after an optional text."""
        if not calls:
            raise ValueError("Turn.tool_calls needs at least one ToolCallSpec")
        return cls(answer=text, calls=calls, **options)

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        code: str | None = None,
    ) -> Turn:
        """An HTTP error with the provider's error body, e.g. 529 + ``retry-after``."""
        spec = ErrorSpec(status, message, error_type, code)
        return cls(api_error=spec, headers=_pairs(headers))

    @classmethod
    def raw(
        cls,
        body: bytes | Sequence[bytes],
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> Turn:
        """Exactly these bytes; a sequence is sent as one HTTP chunk per item.

        The content type defaults to ``text/event-stream`` for a sequence and
        ``application/json`` for plain bytes.
        """
        chunked = not isinstance(body, bytes | bytearray)
        pieces: tuple[object, ...] = tuple(body) if chunked else (body,)
        raw = tuple(bytes(p) for p in pieces if isinstance(p, bytes | bytearray))
        if len(raw) != len(pieces):
            raise TypeError("Turn.raw takes bytes or a sequence of bytes")
        _check_status(status)
        return cls(
            raw_body=raw,
            raw_chunked=chunked,
            raw_status=status,
            content_type=content_type,
            headers=_pairs(headers),
        )

    @classmethod
    def blast(cls, deltas: int = 100_000, delta: str = "blast! " * 16) -> Turn:
        """A huge text stream of ``deltas`` text deltas, rendered only as fast as it is sent."""
        return cls(answer=delta, repeat=deltas)

    # --- faults --------------------------------------------------------------

    def with_headers(self, headers: Mapping[str, str]) -> Turn:
        """Extra response headers (``retry-after``, rate-limit headers...)."""
        return replace(self, headers=self.headers + _pairs(headers))

    def error_after(
        self,
        events: int,
        message: str = "Overloaded",
        *,
        error_type: str = "overloaded_error",
        code: str | None = None,
    ) -> Turn:
        """After ``events`` events, an ``event: error`` (OpenAI: an error chunk) ends the stream."""
        spec = ErrorSpec(200, message, error_type, code)
        return self._fault(error_after=events, stream_error=spec)

    def truncated(self, after_events: int | None = None) -> Turn:
        """End the stream cleanly but early; by default just before ``message_stop``/``[DONE]``."""
        return self._fault(truncate_after=-1 if after_events is None else after_events)

    def with_garbage(self, *lines: bytes, after_events: int = 1) -> Turn:
        """Insert junk lines (by default a non-JSON ``data:`` line, junk and a comment)."""
        return self._fault(garbage=lines or _DEFAULT_GARBAGE, garbage_after=after_events)

    def cut(self, *, after_events: int | None = None, after_bytes: int | None = None) -> Turn:
        """Drop the connection abruptly: no terminating chunk, no ``Content-Length`` worth of body.

        With no argument the connection closes before the status line;
        ``after_bytes=0`` sends the headers and no body.
        """
        if after_events is not None and after_bytes is not None:
            raise ValueError("cut after events or after bytes, not both")
        before = after_events is None and after_bytes is None
        return self._fault(
            cut_before_headers=before, cut_after_events=after_events, cut_after_bytes=after_bytes
        )

    def hang(self, *, after_events: int | None = None) -> Turn:
        """Read the request, then stall (or stall after some events) until stop() or disconnect."""
        return self._fault(hang_before_headers=after_events is None, hang_after_events=after_events)

    def split(
        self, sizes: Sequence[int] | None = None, *, seed: int | None = None, max_size: int = 16
    ) -> Turn:
        """Send the body in pieces of ``sizes`` bytes (cycled) or of random 1..max_size bytes.

        Pieces cut through lines, JSON and multi-byte UTF-8 characters; each is
        its own HTTP chunk, written with TCP_NODELAY.
        """
        if (sizes is None) == (seed is None) or (sizes is not None and not sizes):
            raise ValueError("split takes a non-empty list of sizes, or a seed")
        return self._fault(chunk_sizes=tuple(sizes or ()), chunk_seed=seed, chunk_max=max_size)

    def drip(self, delay: float) -> Turn:
        """Wait ``delay`` seconds before each body piece (each event, or each split piece)."""
        return self._fault(delay=delay)

    def _fault(self, **changes: Any) -> Turn:
        return replace(self, faults=replace(self.faults, **changes))


def _pairs(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in (headers or {}).items())


def _check_status(status: int) -> None:
    if not 100 <= status <= 599:
        raise ValueError(f"HTTP status must be within 100..599, got {status}")
