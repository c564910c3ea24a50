"""A Message Batch: submit many requests at once, wait for them, stream the answers.

A batch takes the same requests as ``complete`` but runs them asynchronously
(most batches end within the hour, all within 24 h) for half the price: batch
tokens cost 50 % of the standard rates, and the discount stacks with prompt
caching. Evals, bulk labelling and nightly reports rarely need an answer
this very second, so they are half price for the asking.

    python examples/anthropic_batch.py

Offline the fake server ends the batch after two polls; with ANTHROPIC_API_KEY
set it submits three tiny real requests and polls every 20 s for up to 30 min.
"""

from _support import check, example_provider

from tkach_sync import BatchNotReady, Message
from tkach_sync.providers import Anthropic, BatchHandle, BatchRequest, Request, Succeeded
from tkach_sync.testing import FakeLLMServer, Turn

CAPITALS = {"france": "Paris", "japan": "Tokyo", "kenya": "Nairobi"}


def script(server: FakeLLMServer) -> None:
    for country, capital in CAPITALS.items():
        server.batches.set_outcome(country, Turn.text(capital))
    server.batches.end_after_polls(2)


def ask(model: str, prompt: str) -> Request:
    return Request(model=model, max_tokens=20, messages=[Message.user_text(prompt)])


def report(handle: BatchHandle) -> None:
    counts = handle.request_counts
    print(f"  {handle.status}: {counts.processing} processing, {counts.succeeded} succeeded")


with example_provider(script) as (provider, model, live):
    check(isinstance(provider, Anthropic), "batches are an Anthropic API")
    poll_interval, timeout = (20.0, 1800.0) if live else (0.05, 10.0)

    # The custom_id is how each result row finds its request again.
    requests = [BatchRequest(c, ask(model, f"Capital of {c.title()}? One word.")) for c in CAPITALS]
    batch = provider.create_batch(requests)
    print(f"submitted {batch.id}: {batch.request_counts.total} requests, {batch.status}")

    try:
        ended = provider.wait_for_batch(
            batch, poll_interval=poll_interval, timeout=timeout, on_progress=report
        )
    except BatchNotReady:
        provider.cancel_batch(batch.id)  # do not leave it running unwatched
        raise

    answers, tokens = {}, 0
    for row in provider.batch_results(batch.id):  # read line by line, however large
        check(isinstance(row.outcome, Succeeded), f"{row.custom_id}: {row.outcome}")
        response = row.outcome.response
        answers[row.custom_id] = response.text.strip()
        tokens += response.usage.input_tokens + response.usage.output_tokens
        print(f"{row.custom_id}: {answers[row.custom_id]}")
    # The same requests through complete() would bill these tokens at full price; here at half.
    print(f"{tokens} tokens at the batch rate: 50 % of what complete() would have cost")

    check(ended.is_terminal and ended.ended_at is not None, "the batch ended")
    check(ended.request_counts.succeeded == len(CAPITALS), "every request succeeded")
    check(answers.keys() == CAPITALS.keys(), "one row per custom_id, in whatever order")
    check(all(CAPITALS[c] in answers[c] for c in CAPITALS), "each answer names its capital")
