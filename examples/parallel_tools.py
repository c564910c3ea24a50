"""Read-only tools run in parallel: four slow lookups take the time of one.

A tool marked read-only (``@tool(read_only=True)``, or ``tool_class =
ToolClass.READ_ONLY``) changes nothing, so when the model asks for several in
one turn the executor runs them side by side on a thread pool. Mutating tools
run one at a time, in order. Either way the results go back in the model's
order.

    python examples/parallel_tools.py

Offline a scripted fake model asks for four quotes in one turn; with
ANTHROPIC_API_KEY set the real model is asked to do the same.
"""

import time

from _support import check, check_tool_uses_answered, example_provider

from tkach_sync import Agent, Message, ToolContext, tool
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

LOOKUP_SECONDS = 0.5
PRICES = {"AAPL": 227.52, "MSFT": 415.10, "GOOG": 171.33, "AMZN": 186.40}
SYMBOLS = list(PRICES)
timings: dict[str, tuple[float, float]] = {}  # symbol -> (start, end)


@tool(read_only=True)
def stock_price(symbol: str, ctx: ToolContext) -> str:
    """The latest price of a stock, by its ticker symbol."""
    start = time.monotonic()
    ctx.cancel.wait(LOOKUP_SECONDS)  # stands in for a slow web API; a cancel cuts it short
    ctx.cancel.raise_if_cancelled()
    timings[symbol] = (start, time.monotonic())
    return f"{symbol}: {PRICES.get(symbol.upper(), 100.0):.2f} USD"


def script(server: FakeLLMServer) -> None:
    calls = [ToolCallSpec("stock_price", {"symbol": s}) for s in SYMBOLS]
    server.add(Turn.tool_calls(*calls, text="Looking up all four at once."))
    server.add(Turn.text("Here are the four prices."))


with example_provider(script) as (provider, model, live):
    agent = Agent(provider=provider, model=model, tools=[stock_price], max_tokens=1000)
    ask = f"Get the prices of {', '.join(SYMBOLS)}: call stock_price for all four in one turn."
    result = agent.run([Message.user_text(ask)])
    print(result.text)

    check_tool_uses_answered(result.new_messages)
    batches = []  # the timings of each model turn that asked for several lookups
    for message in result.new_messages:
        symbols = [use.input.get("symbol") for use in message.tool_uses]
        spans = [timings[s] for s in symbols if s in timings]
        if len(spans) > 1:
            batches.append(spans)
    for spans in batches:
        wall = max(end for _, end in spans) - min(start for start, _ in spans)
        total = sum(end - start for start, end in spans)
        print(f"[{len(spans)} lookups in one turn: {wall:.2f} s wall time, {total:.2f} s summed]")
        check(wall < 0.6 * total, "read-only calls of one turn overlap in time")
    if not batches:
        print("[the model asked for one lookup per turn, so there was nothing to overlap]")
    if not live:
        check(len(batches) == 1 and len(batches[0]) == 4, "one turn asked for four lookups")
        answers = [r.content.split(":")[0] for r in result.new_messages[1].tool_results]
        check(answers == SYMBOLS, "the results come back in the model's order")
