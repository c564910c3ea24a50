"""Figure 6: the loop over loopback HTTP, per model call, against a hand-written loop.

The model is the transcript server answering JSON: a ``lookup`` call, then
text once the request carries the tool result. A run is those two calls;
each sample runs whole runs for at least ``BATCH_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from tkach_sync import Message

from .clients import PROMPT, agent, hand_loop, provider, raw_body, raw_headers
from .core import Context, Row, Target, interleaved, per_call, rows_against
from .peers import HTTP_PEERS

ROUTE = "a-loop"
HAND = "requests+json hand loop (anchor)"
OURS = "Agent.run + Anthropic"
TARGET = Target.ratio_at_most(1.2)
BATCH_SECONDS = 0.2
CALLS_PER_RUN = 2


def run(ctx: Context) -> list[Row]:
    url = ctx.server.url(ROUTE)
    session = requests.Session()
    llm = provider(url, "anthropic")
    runner = agent(llm)
    post = _post(session, url)
    runs: dict[str, Callable[[], object]] = {
        HAND: lambda: hand_loop(post),
        OURS: lambda: runner.run([Message.user_text(PROMPT)]),
    }
    notes: dict[str, str] = {}
    for name, make in HTTP_PEERS.items():
        try:
            runs[name] = make(url)
        except ImportError as exc:
            notes[name] = f"not installed ({exc.name})"
    try:
        timers = {name: per_call(run, CALLS_PER_RUN, BATCH_SECONDS) for name, run in runs.items()}
        samples = interleaved(timers, ctx.reps(9, 3))
    finally:
        session.close()
        llm.close()
    case = "loop over loopback HTTP, JSON answers"
    rows = rows_against("6", case, "us/call", samples, HAND, {OURS: TARGET})
    rows += [Row("6", case, name, "us/call", None, note=why) for name, why in notes.items()]
    return rows


def _post(session: requests.Session, url: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    """What a careful hand-written client does for each turn: post the messages, decode."""
    body = raw_body("anthropic")
    headers = raw_headers("anthropic")

    def model(messages: list[dict[str, Any]]) -> dict[str, Any]:
        response = session.post(
            url + "/v1/messages", json=body | {"messages": messages}, headers=headers
        )
        response.raise_for_status()
        reply: dict[str, Any] = response.json()
        return reply

    return model
