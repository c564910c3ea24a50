"""Cancel a Message Batch, then read what it did: finished rows and canceled ones.

``cancel_batch`` moves the batch to ``canceling``; requests already running
may still finish. Once it has ended, each request that never started comes
back as a ``Canceled`` row, and only the ones that ran are billed.

    python examples/anthropic_batch_cancel.py

Offline two requests finish before the cancel lands. Live, a batch cancelled
right after submission usually ends with every request canceled; the wait is
bounded at 30 min.
"""

from collections import Counter

from _support import check, example_provider

from tkach_sync import Message
from tkach_sync.providers import (
    Anthropic,
    BatchHandle,
    BatchRequest,
    BatchStatus,
    Canceled,
    Request,
    Succeeded,
)
from tkach_sync.testing import FakeLLMServer, Turn

LIMITS = [10, 20, 30, 40, 50, 60]


def script(server: FakeLLMServer) -> None:
    server.batches.set_outcome("above-10", Turn.text("11"))  # these two ran before the cancel
    server.batches.set_outcome("above-20", Turn.text("23"))
    server.batches.end_after_polls(1)


def ask(model: str, prompt: str) -> Request:
    return Request(model=model, max_tokens=10, messages=[Message.user_text(prompt)])


def report(handle: BatchHandle) -> None:
    print(f"  {handle.status}, cancel asked at {handle.cancel_initiated_at:%H:%M:%S} UTC")


with example_provider(script) as (provider, model, live):
    check(isinstance(provider, Anthropic), "batches are an Anthropic API")
    poll_interval, timeout = (20.0, 1800.0) if live else (0.05, 10.0)
    prompts = {f"above-{n}": f"Name a prime above {n}. Digits only." for n in LIMITS}
    batch = provider.create_batch([BatchRequest(i, ask(model, p)) for i, p in prompts.items()])

    cancelling = provider.cancel_batch(batch.id)
    print(f"cancelled {batch.id}: now {cancelling.status}")
    ended = provider.wait_for_batch(
        batch, poll_interval=poll_interval, timeout=timeout, on_progress=report
    )

    kinds: Counter[str] = Counter()
    for row in provider.batch_results(batch.id):  # the partial results of a cancelled batch
        kinds[type(row.outcome).__name__] += 1
        match row.outcome:
            case Succeeded(response):
                print(f"{row.custom_id}: {response.text.strip()}")
            case Canceled():
                print(f"{row.custom_id}: canceled before it started")
            case other:
                print(f"{row.custom_id}: {other}")

    counts = ended.request_counts
    check(cancelling.cancel_initiated_at is not None, "a cancel records when it was asked")
    check(cancelling.status in (BatchStatus.CANCELING, BatchStatus.ENDED), "cancel took hold")
    check(counts.total == len(LIMITS) and counts.processing == 0, "every request settled")
    check(kinds["Canceled"] == counts.canceled, "one Canceled row per canceled request")
    check(kinds["Succeeded"] == counts.succeeded, "one Succeeded row per finished request")
    check(sum(kinds.values()) == len(LIMITS), "one row per request")
    if not live:
        check(kinds == {"Succeeded": 2, "Canceled": 4}, "two finished, four never started")
