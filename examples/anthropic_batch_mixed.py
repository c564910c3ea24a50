"""One bad request does not sink a batch: it comes back as an ``Errored`` row beside the rest.

Submitting checks only the batch itself (``custom_id`` form and uniqueness,
at most 100,000 requests and 256 MB; tkach_sync checks all of that before
sending). Each request's own parameters are checked when it runs: one that
``complete`` would see refused becomes an error row with the same
``error_type`` and ``message``, and the others run as usual.

    python examples/anthropic_batch_mixed.py

The bad request asks for 100,000 output tokens; claude-haiku-4-5, the live
default, allows 64,000.
"""

from _support import check, example_provider

from tkach_sync import Message
from tkach_sync.providers import Anthropic, BatchRequest, Errored, Request, Succeeded
from tkach_sync.testing import FakeLLMServer, Turn

PROMPTS = {"haiku": "A haiku about rain.", "motto": "A five-word motto for a library."}
TOO_MANY_TOKENS = 100_000


def script(server: FakeLLMServer) -> None:
    server.batches.set_outcome("haiku", Turn.text("Soft rain on the roof"))
    server.batches.set_outcome("motto", Turn.text("Quiet pages, loud ideas."))
    server.batches.set_outcome(
        "greedy",
        Turn.error(400, f"max_tokens: {TOO_MANY_TOKENS} > 64000, which is the maximum allowed"),
    )
    server.batches.end_after_polls(1)


def ask(model: str, prompt: str, max_tokens: int = 60) -> Request:
    return Request(model=model, max_tokens=max_tokens, messages=[Message.user_text(prompt)])


with example_provider(script) as (provider, model, live):
    check(isinstance(provider, Anthropic), "batches are an Anthropic API")
    poll_interval, timeout = (20.0, 1800.0) if live else (0.05, 10.0)
    requests = [BatchRequest(name, ask(model, prompt)) for name, prompt in PROMPTS.items()]
    requests.append(BatchRequest("greedy", ask(model, "Write a novel.", TOO_MANY_TOKENS)))

    batch = provider.create_batch(requests)  # accepted: the bad request rides along
    ended = provider.wait_for_batch(batch, poll_interval=poll_interval, timeout=timeout)

    outcomes = {row.custom_id: row.outcome for row in provider.batch_results(batch.id)}
    for custom_id, outcome in sorted(outcomes.items()):
        match outcome:
            case Succeeded(response):
                print(f"{custom_id}: {response.text.strip()}")
            case Errored(error_type, message):
                print(f"{custom_id}: {error_type}: {message}")

    counts = ended.request_counts
    check((counts.succeeded, counts.errored) == (2, 1), "two succeeded, one errored")
    check(all(isinstance(outcomes[name], Succeeded) for name in PROMPTS), "the good ones ran")
    match outcomes["greedy"]:
        case Errored(error_type, message):
            check(error_type == "invalid_request_error", "the type a 400 would carry")
            check("max_tokens" in message, "the message names the bad parameter")
        case other:
            check(False, f"the bad request should be an Errored row, not {other}")
