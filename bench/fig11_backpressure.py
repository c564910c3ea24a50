"""Figure 11: how far the server gets ahead while the consumer pauses.

The consumer takes the first text event, then sleeps for ``PAUSE`` seconds;
the server (which writes in 16 KiB pieces and counts what the socket took)
then says how many bytes it managed to send. Raw ``requests`` +
``sseclient-py`` reads nothing while paused, so its figure is what the
socket buffers hold: the anchor. A client that keeps reading in the
background (a producer thread) shows up as bytes above it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from tkach_sync import ContentDelta, Message

from .clients import FLOOR, PROMPT, agent, floor_events, provider, raw_body, request
from .core import Context, Row, Target, interleaved, note_gaps, rows_against

ROUTE = "a-big-counted"
PAUSE = 1.0
TARGET = Target.above_anchor_at_most(1.0, "MB")
SDK = "official SDK messages.stream"


def run(ctx: Context) -> list[Row]:
    url = ctx.server.url(ROUTE)
    ctx.server.meta(ROUTE)  # render it before the first sample
    llm = provider(url, "anthropic")
    runner = agent(llm)
    session = requests.Session()
    streams: dict[str, Callable[[], Iterator[object]]] = {
        FLOOR: lambda: floor_events(session, url, "anthropic"),
        "Anthropic.stream": lambda: _closing(llm.stream(request())),
        "Agent.stream": lambda: _closing(runner.stream([Message.user_text(PROMPT)])),
    }
    notes: dict[str, str] = {}
    try:
        streams[SDK] = _sdk(url)
    except ImportError as exc:
        notes[SDK] = f"not installed ({exc.name})"
    timers = {name: _sampler(ctx, name, start) for name, start in streams.items()}
    try:
        samples = interleaved(timers, ctx.reps(3, 1), warmup=0)
    finally:
        session.close()
        llm.close()
    case = f"backpressure: MB the server sent by the end of a {PAUSE:g} s pause"
    targets = {"Anthropic.stream": TARGET, "Agent.stream": TARGET}
    rows = rows_against("11", case, "MB", samples, FLOOR, targets, notes)
    note_gaps(rows, "{:+.2f} MB vs the floor")
    rows += [Row("11", case, name, "MB", None, note=why) for name, why in notes.items()]
    return rows


def _sampler(ctx: Context, name: str, start: Callable[[], Iterator[object]]) -> Callable[[], float]:
    def sample() -> float:
        events = start()
        try:
            for event in events:
                if _is_text(event):
                    break
            time.sleep(PAUSE)
            return float(ctx.server.sent(ROUTE)) / 1e6
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()

    return sample


def _is_text(event: object) -> bool:
    if isinstance(event, dict):
        return event.get("type") == "content_block_delta"
    if isinstance(event, ContentDelta):
        return True
    return getattr(event, "type", None) == "content_block_delta"


def _closing(stream: Any) -> Iterator[object]:
    """The stream's events; closing this generator closes the stream."""
    try:
        yield from stream
    finally:
        stream.close()


def _sdk(url: str) -> Callable[[], Iterator[object]]:
    import anthropic

    client: Any = anthropic.Anthropic(api_key="bench-key", base_url=url, max_retries=0)

    def start() -> Iterator[object]:
        with client.messages.stream(**raw_body("anthropic")) as stream:
            yield from stream

    return start
