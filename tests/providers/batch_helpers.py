"""What the two batch test modules share."""

import threading
import time
from collections.abc import Callable

from tkach_sync import CancellationToken, Message
from tkach_sync.providers import BatchRequest, Request

ROOT = "/v1/messages/batches"


def ask(text: str, **options) -> Request:
    return Request(model="claude-x", messages=[Message.user_text(text)], max_tokens=50, **options)


def batch_of(*custom_ids: str) -> list[BatchRequest]:
    return [BatchRequest(custom_id, ask(f"question {custom_id}")) for custom_id in custom_ids]


def paths(server) -> list[str]:
    """The path of every request the server saw, without its query."""
    return [r.path.split("?")[0] for r in server.requests]


def cancel_midway(
    work: Callable[[], object], ready: threading.Event, token: CancellationToken
) -> tuple[BaseException | None, float]:
    """Run ``work`` in a thread and cancel ``token`` once ``ready`` is set.

    Returns what ``work`` raised and how many seconds it took to end after the cancel.
    """
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert ready.wait(5), "the work never got ready to be cancelled"
    cancelled_at = time.monotonic()
    token.cancel()
    thread.join(5)
    assert not thread.is_alive(), "the work outlived its cancel"
    return (raised[0] if raised else None), time.monotonic() - cancelled_at
