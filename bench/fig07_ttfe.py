"""Figure 7: time to the first text event on a warm connection.

From the call that starts the stream to the first text delta in hand; the
rest of the answer is then read (untimed) so the connection goes back to
the pool warm for the next sample.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import requests

from tkach_sync import ContentDelta, Message

from .clients import FLOOR, PROMPT, agent, floor_events, provider, request
from .core import Context, Row, Target, interleaved, note_gaps, rows_against

ROUTE = "a-short"
TARGET = Target.above_anchor_at_most(0.5, "ms")
T = TypeVar("T")


def run(ctx: Context) -> list[Row]:
    url = ctx.server.url(ROUTE)
    session = requests.Session()
    llm = provider(url, "anthropic")
    runner = agent(llm)

    def floor() -> float:
        return _first(
            lambda: floor_events(session, url, "anthropic"),
            lambda e: e.get("type") == "content_block_delta",
        )

    def ours() -> float:
        return _first(lambda: llm.stream(request()), _is_text)

    def agents() -> float:
        return _first(lambda: runner.stream([Message.user_text(PROMPT)]), _is_text)

    timers = {FLOOR: floor, "Anthropic.stream": ours, "Agent.stream": agents}
    try:
        samples = interleaved(timers, ctx.reps(200, 30), warmup=3)
    finally:
        session.close()
        llm.close()
    targets = {"Anthropic.stream": TARGET, "Agent.stream": TARGET}
    rows = rows_against(
        "7", "time to first text event, warm connection", "ms", samples, FLOOR, targets
    )
    note_gaps(rows, "{:+.3f} ms over the floor")
    return rows


def _first(start_stream: Callable[[], Iterable[T]], is_text: Callable[[T], bool]) -> float:
    """Milliseconds from starting the stream to its first event that ``is_text``.

    The rest is then read, untimed, so the connection goes back to the pool.
    """
    start = time.perf_counter()
    elapsed = None
    for event in start_stream():
        if elapsed is None and is_text(event):
            elapsed = (time.perf_counter() - start) * 1000
    if elapsed is None:
        raise RuntimeError("the answer had no text")
    return elapsed


def _is_text(event: object) -> bool:
    return isinstance(event, ContentDelta)
