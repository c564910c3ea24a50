"""Prompt caching over ``Agent.stream``: a two-turn chat whose second turn reads the cache.

When streaming, the input side of the usage (cache writes and reads included)
arrives in the very first event, ``message_start``; the output tokens come at
the end, in ``message_delta``. The agent merges both, so the usage of a
streamed run is as complete as a blocking one: ``stream.result().usage``.

The system prompt is marked with ``SystemBlock.cached``, the tools with
``cache_tools=CacheControl.ephemeral()`` and the document with
``TextBlock.cached``, all for 5 minutes. The first turn writes the cache; the
follow-up sends the same prefix (plus the conversation so far) and reads it.

    python examples/anthropic_caching_streaming.py

Offline a scripted fake model streams the answers and reports the usage a real
run shows; with ANTHROPIC_API_KEY set the real API does the caching.
"""

from _support import cache_breakpoints, check, example_provider, reference_text

from tkach_sync import (
    Agent,
    CacheControl,
    ContentDelta,
    Message,
    TextBlock,
    Usage,
    cache_report,
)
from tkach_sync.providers import SystemBlock
from tkach_sync.testing import FakeLLMServer, Turn
from tkach_sync.tools import Glob, Read

GLOSSARY = reference_text("Glossary of the support team", 400)
MANUAL = reference_text("Router manual", 100)
PREFIX_TOKENS = 8_500  # what the offline fake reports for the cached prefix


servers: list[FakeLLMServer] = []  # offline only: to look at what was sent


def script(server: FakeLLMServer) -> None:
    servers.append(server)
    cold = Usage(input_tokens=20, output_tokens=25, cache_creation_input_tokens=PREFIX_TOKENS)
    warm = Usage(input_tokens=60, output_tokens=25, cache_read_input_tokens=PREFIX_TOKENS)
    server.add(Turn.text("Step 3 says to avoid ISO dates.", chunks=8, usage=cold).drip(0.01))
    server.add(Turn.text("Step 4 says to spell out metric units.", chunks=8, usage=warm).drip(0.01))


with example_provider(script) as (provider, model, live):
    agent = Agent(
        provider=provider,
        model=model,
        system=[SystemBlock.cached(GLOSSARY)],
        tools=[Read(), Glob()],  # the tool definitions are part of the cached prefix
        cache_tools=CacheControl.ephemeral(),
        max_tokens=300,
    )
    question, follow_up_question = "What does step 3 say?", "And step 4?"
    print(f"> {question}")
    history = [Message.user([TextBlock.cached(MANUAL), TextBlock(question)])]
    with agent.stream(history) as stream:
        for event in stream:
            if isinstance(event, ContentDelta):
                print(event.text, end="", flush=True)
    first = stream.result()

    history = [*history, *first.new_messages, Message.user_text(follow_up_question)]
    print(f"\n> {follow_up_question}")
    with agent.stream(history) as stream:
        for event in stream:
            if isinstance(event, ContentDelta):
                print(event.text, end="", flush=True)
    follow_up = stream.result()
    print()

    cold, warm = first.usage, follow_up.usage
    for name, u in [("first turn", cold), ("follow-up", warm)]:
        print(
            f"[{name}: {u.input_tokens} new input tokens, {u.cache_creation_input_tokens} "
            f"written to the cache, {u.cache_read_input_tokens} read; {cache_report(u)}]"
        )
    print(f"[both turns: {cache_report(cold + warm)}]")

    usages = [cold, warm]
    check(all(u.output_tokens > 0 for u in usages), "message_delta's output tokens were kept")
    check(
        all(u.cache_creation_input_tokens + u.cache_read_input_tokens > 0 for u in usages),
        "message_start's cache numbers were kept: each turn wrote or read the cache",
    )
    if not live:
        where = [cache_breakpoints(r.json()) for r in servers[0].requests]
        print(f"[breakpoints sent: {where[0]}]")
        check(where == [["tools[1] 5m", "system[0] 5m", "messages[0][0] 5m"]] * 2, "same marks")
        check(cold.cache_creation_input_tokens == PREFIX_TOKENS, "the first turn wrote the cache")
        check(warm.cache_read_input_tokens == PREFIX_TOKENS, "the follow-up read it")
        check(cache_report(warm).relative_cost < 0.2, "a warm turn costs under 0.2x")
