"""Live token streaming: print the answer as it arrives with ``Agent.stream``.

``agent.stream(history)`` runs the loop in a producer thread and hands you its
events through a small bounded queue: iterate it like any iterator, then call
``stream.result()`` for the final ``AgentResult``. A slow consumer slows the
producer down (real backpressure, all the way back to the HTTP socket).

    python examples/streaming.py

Offline a scripted fake model drips the answer in small pieces; with
ANTHROPIC_API_KEY set it streams from the real API.
"""

import time

from _support import check, example_provider

from tkach_sync import Agent, ContentDelta, Message
from tkach_sync.testing import FakeLLMServer, Turn

POEM = "Threads hum in the dark,\na token waits to be cancelled,\nthe answer streams in.\n"


def script(server: FakeLLMServer) -> None:
    server.add(Turn.text(POEM, chunks=24).drip(0.02))


with example_provider(script) as (provider, model, live):
    agent = Agent(provider=provider, model=model, max_tokens=300)
    history = [Message.user_text("Write a haiku about threads and cancellation.")]

    started = time.monotonic()
    first_after = None
    streamed, deltas = "", 0
    with agent.stream(history) as stream:
        for event in stream:
            if isinstance(event, ContentDelta):
                if first_after is None:
                    first_after = time.monotonic() - started
                print(event.text, end="", flush=True)
                streamed += event.text
                deltas += 1
    result = stream.result()
    total = time.monotonic() - started

    print(f"\n[{deltas} deltas; first after {first_after or 0:.2f} s, all in {total:.2f} s]")

    check(deltas > 0, "the answer arrived as text deltas")
    check(streamed == result.text, "the streamed deltas add up to the final text")
    if not live:
        check(deltas == 24, "the fake model sent the poem in 24 pieces")
        check(result.text == POEM, "the fake model's poem arrives unchanged")
