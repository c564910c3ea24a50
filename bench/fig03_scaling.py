"""Figure 3: the accumulators' cost per event as answers grow.

Microseconds per event for 2,500 / 10,000 / 20,000 text deltas and for one
tool call of 30 / 120 / 240 kB of input (2,500 to 20,000 fragments). "Flat"
is read as: the largest size costs at most 1.2x per event what the smallest
does. The growth row divides the samples of the largest size by those of the
smallest, repeat by repeat.
"""

from __future__ import annotations

from .clients import FLOOR
from .core import Context, Row, Target, rows_against
from .streams import AGENT, SDK, missing_rows, stream_seconds

FLAT = Target.at_most(1.2, "x")
TEXT = {"a-text-2500": "2,500", "a-text-10k": "10,000", "a-text-20k": "20,000"}
TOOL = {"a-tool-30k": "30 kB", "a-tool-120k": "120 kB", "a-tool-240k": "240 kB"}


def run(ctx: Context) -> list[Row]:
    repeats = ctx.reps(7, 2)
    rows = _series(ctx, "text deltas", TEXT, repeats, with_agent=True)
    rows += _series(ctx, "tool input", TOOL, repeats, with_agent=False)
    return rows


def _series(
    ctx: Context, kind: str, routes: dict[str, str], repeats: int, *, with_agent: bool
) -> list[Row]:
    per_event: dict[str, dict[str, list[float]]] = {}
    rows: list[Row] = []
    targets = {"Anthropic.stream": FLAT, AGENT: FLAT}
    for route, size in routes.items():
        events = ctx.server.meta(route).events
        seconds, missing = stream_seconds(ctx, route, "anthropic", repeats, with_agent=with_agent)
        micros = {label: [s / events * 1e6 for s in values] for label, values in seconds.items()}
        per_event[route] = micros
        case = f"Anthropic, {size} {kind}"
        rows += rows_against("3", case, "us/event", micros, FLOOR)
        rows += missing_rows("3", case, "us/event", missing, {})
    smallest, largest = per_event[next(iter(routes))], per_event[list(routes)[-1]]
    growth = {
        label: [big / small for big, small in zip(largest[label], smallest[label], strict=True)]
        for label in largest
        if label in smallest
    }
    case = f"growth {list(routes.values())[-1]} vs {next(iter(routes.values()))} {kind}"
    for row in rows_against("3", case, "x per event", growth, FLOOR, targets):
        if row.client == SDK:
            row.note = "the issue measured 1.3-1.6x"
        rows.append(row)
    return rows
