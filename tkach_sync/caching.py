"""Does prompt caching pay off? A report from a run's ``Usage``.

Anthropic bills cache reads at 0.1x the base input price, 5-minute cache
writes at 1.25x and 1-hour writes at 2x. Output tokens cost the same either
way, so the report compares the input side only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .messages import Usage

__all__ = ["CacheReport", "cache_report"]

READ_MULTIPLIER = 0.1
WRITE_MULTIPLIERS = {"5m": 1.25, "1h": 2.0}


@dataclass(frozen=True, slots=True)
class CacheReport:
    hit_rate: float
    """Share of all input tokens that were read from the cache (0 to 1)."""
    relative_cost: float
    """Input cost with caching divided by the input cost without it: below 1 pays off."""

    @property
    def savings(self) -> float:
        """The share of the input cost caching saved (negative when it cost more)."""
        return 1.0 - self.relative_cost

    def __str__(self) -> str:
        return (
            f"cache hit rate {self.hit_rate:.0%}, input cost {self.relative_cost:.2f}x "
            f"of no caching ({self.savings:+.0%} saved)"
        )


def cache_report(usage: Usage, *, write_ttl: Literal["5m", "1h"] = "5m") -> CacheReport:
    """How much caching saved on ``usage``.

    Anthropic says which cache writes were for an hour; ``write_ttl`` prices
    the others, for a server that does not.
    """
    total = usage.total_input_tokens
    if total == 0:
        return CacheReport(hit_rate=0.0, relative_cost=1.0)
    hour_writes = usage.cache_creation_1h_input_tokens
    other_writes = max(usage.cache_creation_input_tokens - hour_writes, 0)
    cached_cost = (
        usage.input_tokens
        + usage.cache_read_input_tokens * READ_MULTIPLIER
        + hour_writes * WRITE_MULTIPLIERS["1h"]
        + other_writes * WRITE_MULTIPLIERS[write_ttl]
    )
    return CacheReport(
        hit_rate=usage.cache_read_input_tokens / total, relative_cost=cached_cost / total
    )
