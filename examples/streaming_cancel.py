"""Cancel a streaming answer from another thread, and keep the text that already arrived.

One ``CancellationToken`` stops everything: the loop, the read of the SSE
body (its socket is shut down from the cancelling thread, so a blocked read
returns at once) and any running tool. After a cancel the ``for`` loop simply
ends, and ``stream.result()`` raises ``Cancelled`` whose ``.partial`` holds
what the run produced so far, partial text included.

    python examples/streaming_cancel.py

Offline a scripted fake model drips a long answer; with ANTHROPIC_API_KEY set
the real model counts to 300 and is stopped early.
"""

import threading
import time

from _support import check, example_provider

from tkach_sync import Agent, CancellationToken, Cancelled, ContentDelta, Message, StopReason
from tkach_sync.testing import FakeLLMServer, Turn, TurnHandle

CANCEL_AFTER_DELTAS = 20
LONG_ANSWER = "".join(f"{n}\n" for n in range(1, 301))

turns: list[TurnHandle] = []  # offline only: to see the server notice the cancel


def script(server: FakeLLMServer) -> None:
    turns.append(server.add(Turn.text(LONG_ANSWER, chunks=300).drip(0.005)))


with example_provider(script) as (provider, model, live):
    agent = Agent(provider=provider, model=model, max_tokens=2000)
    history = [Message.user_text("Count from 1 to 300, one number per line, nothing else.")]

    token = CancellationToken()
    enough = threading.Event()
    cancelled_at: list[float] = []

    def press_stop() -> None:
        """Another thread, as a UI's stop button or a request timeout would be."""
        enough.wait()
        cancelled_at.append(time.monotonic())
        token.cancel()

    stop_button = threading.Thread(target=press_stop, name="stop-button")
    stop_button.start()

    streamed, deltas = "", 0
    with agent.stream(history, cancel=token) as stream:
        for event in stream:
            if isinstance(event, ContentDelta):
                streamed += event.text
                deltas += 1
                if deltas == CANCEL_AFTER_DELTAS:
                    enough.set()
    enough.set()  # should the answer end before enough text came, release the stop button anyway
    stop_button.join()
    try:
        stream.result()
        check(False, f"the answer ended after {deltas} deltas, before the cancel")
    except Cancelled as exc:
        partial = exc.partial
    latency = time.monotonic() - cancelled_at[0]

    print(" ".join(streamed.split()))
    print(f"[cancelled after {deltas} deltas; the run ended {latency * 1000:.1f} ms later]")
    print(f"[partial: {len(partial.text)} chars kept, stop_reason={partial.stop_reason}]")

    check(partial.stop_reason is StopReason.CANCELLED, "the partial result says it was cancelled")
    check(partial.text.startswith(streamed), "what streamed is a prefix of the partial text")
    check(len(partial.text) > 0, "the partial text is kept")
    check(latency < 2.0, f"the cancel took effect quickly ({latency:.3f} s)")
    if not live:
        check(LONG_ANSWER.startswith(partial.text), "the partial text is the answer's beginning")
        check(len(partial.text) < len(LONG_ANSWER), "the answer was cut short")
        check(turns[0].client_disconnected.wait(5), "the cancel closed the HTTP response")
