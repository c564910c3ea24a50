"""Anthropic prompt caching: mark the stable prefix once, pay a tenth for it after that.

A cache breakpoint caches everything up to the marked block, in the order the
API reads a request: tools, then system, then messages. Here:

- ``cache_tools=CacheControl.ephemeral_1h()`` marks the last tool definition;
- ``SystemBlock.cached_1h(...)`` marks a long style guide that changes rarely;
- ``SystemBlock.cached(...)`` marks the team notes, cached for 5 minutes;
- ``TextBlock.cached(...)`` marks the document every question is about.

(A 1-hour breakpoint may not follow a 5-minute one, hence 1h first.) Three
questions about the same document then show a cold cache write followed by
warm reads in ``result.usage``; ``cache_report(usage)`` turns that into a hit
rate and an input cost relative to no caching.

    python examples/anthropic_caching.py

Offline a scripted fake model reports the usage a real run shows; with
ANTHROPIC_API_KEY set the real API does the caching (the prefix is long enough
for every model's minimum).
"""

from _support import cache_breakpoints, check, example_provider, reference_text

from tkach_sync import Agent, CacheControl, Message, TextBlock, Usage, cache_report, tool
from tkach_sync.providers import SystemBlock
from tkach_sync.testing import FakeLLMServer, Turn

STYLE_GUIDE = reference_text("House style guide", 400)
TEAM_NOTES = "Team notes: the release is on Friday; keep answers under 40 words."
DOCUMENT = reference_text("Release checklist", 120)
QUESTIONS = ["What does item 7 say?", "What does item 42 say?", "How many items are there?"]
PREFIX_TOKENS = 9_000  # what the offline fake reports for the cached prefix


@tool(read_only=True)
def style_rule(number: int) -> str:
    """Look up one numbered rule of the house style guide."""
    return STYLE_GUIDE.splitlines()[number + 1]


servers: list[FakeLLMServer] = []  # offline only: to look at what was sent


def script(server: FakeLLMServer) -> None:
    servers.append(server)
    cold = Usage(
        input_tokens=25,
        output_tokens=30,
        cache_creation_input_tokens=PREFIX_TOKENS,
        cache_creation_1h_input_tokens=PREFIX_TOKENS * 3 // 4,  # the guide: written for an hour
    )
    warm = Usage(input_tokens=25, output_tokens=30, cache_read_input_tokens=PREFIX_TOKENS)
    server.add(Turn.text("Item 7: avoid metric units for readers in a hurry.", usage=cold))
    server.add(Turn.text("Item 42: prefer metric units for readers in a hurry.", usage=warm))
    server.add(Turn.text("There are 120 items.", usage=warm))


with example_provider(script) as (provider, model, live):
    agent = Agent(
        provider=provider,
        model=model,
        system=[SystemBlock.cached_1h(STYLE_GUIDE), SystemBlock.cached(TEAM_NOTES)],
        tools=[style_rule],
        cache_tools=CacheControl.ephemeral_1h(),
        max_tokens=300,
    )

    total = Usage()
    for n, question in enumerate(QUESTIONS, 1):
        history = [Message.user([TextBlock.cached(DOCUMENT), TextBlock(question)])]
        result = agent.run(history)
        usage = result.usage
        total += usage
        print(f"Q{n}: {question}\n    {result.text.strip()}")
        print(
            f"    {usage.input_tokens} new input tokens, {usage.cache_creation_input_tokens} "
            f"written to the cache, {usage.cache_read_input_tokens} read from it"
        )
        print(f"    {cache_report(usage)}")
        check(
            usage.cache_creation_input_tokens + usage.cache_read_input_tokens > 0,
            f"question {n}: the marked prefix was written to the cache or read from it",
        )
    print(f"All three: {cache_report(total)}")

    if not live:
        sent = servers[0].requests[0].json()
        where = cache_breakpoints(sent)
        print(f"[breakpoints sent: {where}]")
        check(
            where == ["tools[0] 1h", "system[0] 1h", "system[1] 5m", "messages[0][0] 5m"],
            "the four breakpoints reach the wire, 1-hour ones first",
        )
        check(cache_report(total).hit_rate > 0.6, "two warm reads out of three")
        check(cache_report(total).savings > 0, "caching paid off over three")
        check(cache_report(result.usage).relative_cost < 0.2, "a warm question costs under 0.2x")
