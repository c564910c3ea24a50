"""Figure 2: OpenAI-compatible stream throughput, the same way as figure 1."""

from __future__ import annotations

from .core import Context, Row, Target
from .streams import AGENT, throughput_rows

TARGETS = {
    "OpenAICompatible.stream": Target.ratio_at_least(0.5),
    AGENT: Target.ratio_at_least(0.5),
}
CASES = {
    "o-text-10k": "OpenAI, 10,000 text deltas",
    "o-tools": "OpenAI, tool-heavy: ~5,000 12-char JSON fragments",
}


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for route, case in CASES.items():
        rows += throughput_rows(ctx, "2", case, route, "openai", TARGETS, ctx.reps(15, 3))
    return rows
