"""Figure 8: eight 200 ms read-only calls in one turn, in parallel, against one by one.

The same eight calls run twice: through a read-only tool (the executor runs
them on a pool) and through the same tool marked mutating (one by one, the
anchor). The speed-up divides the two, repeat by repeat.
"""

from __future__ import annotations

import time

from tkach_sync import Agent, Message, ToolUseBlock, tool
from tkach_sync.providers import Mock, Request, Response

from .clients import MODEL, PROMPT
from .core import Context, Row, Stats, Target, interleaved, rows_against, timed

CALLS = 8
SECONDS = 0.2
SEQUENTIAL = "8 mutating calls, one by one (anchor)"
PARALLEL = "8 read-only calls, Agent.run"
TARGET = Target.at_least(6.0, "x")


@tool(read_only=True)
def slow_read(n: int) -> str:
    """Read something slow."""
    time.sleep(SECONDS)
    return f"read {n}"


@tool
def slow_write(n: int) -> str:
    """Write something slow."""
    time.sleep(SECONDS)
    return f"wrote {n}"


def run(ctx: Context) -> list[Row]:
    def turn(name: str) -> Mock:
        calls = [ToolUseBlock(f"toolu_{i}", name, {"n": i}) for i in range(CALLS)]

        def reply(request: Request) -> Response:
            if request.messages[-1].tool_results:
                return Response.from_text("done")
            return Response.from_tool_calls(*calls)

        return Mock(reply)

    parallel = Agent(turn(slow_read.name), MODEL, tools=[slow_read])
    sequential = Agent(turn(slow_write.name), MODEL, tools=[slow_write])
    history = [Message.user_text(PROMPT)]
    timers = {
        SEQUENTIAL: lambda: timed(lambda: sequential.run(history)),
        PARALLEL: lambda: timed(lambda: parallel.run(history)),
    }
    samples = interleaved(timers, ctx.reps(3, 1), warmup=0)
    case = f"parallel read-only tools, {CALLS} x {SECONDS * 1000:g} ms"
    rows = rows_against("8", case, "s", samples, SEQUENTIAL)
    speedups = [s / p for s, p in zip(samples[SEQUENTIAL], samples[PARALLEL], strict=True)]
    rows.append(
        Row(
            "8",
            case,
            "speed-up, Agent.run",
            "x",
            Stats.of(speedups),
            target=TARGET,
            samples=speedups,
        )
    )
    return rows
