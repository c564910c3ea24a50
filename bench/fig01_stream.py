"""Figure 1: Anthropic stream throughput, text-heavy and tool-heavy, against the floor."""

from __future__ import annotations

from .core import Context, Row, Target
from .streams import AGENT, throughput_rows

TARGETS = {
    "Anthropic.stream": Target.ratio_at_least(0.8),
    AGENT: Target.ratio_at_least(0.6),
}
CASES = {
    "a-text-10k": "Anthropic, 10,000 text deltas",
    "a-tools": "Anthropic, tool-heavy: ~5,000 12-char JSON fragments",
}


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for route, case in CASES.items():
        rows += throughput_rows(ctx, "1", case, route, "anthropic", TARGETS, ctx.reps(15, 3))
    return rows
