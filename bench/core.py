"""What every figure shares: samples, their summary, targets and result rows.

A figure measures each client ``n`` times and turns the samples into a
``Row``: the median with its min-max, the ratio to the anchor measured in the
same run, and PASS or MISS against the issue's target. Clients are measured
in turns (one repeat of each, then the next), so a slow moment of the machine
falls on all of them alike; and the ratio (or gap) to the anchor is the
median of each round's own ratio, so a round that a busy machine slowed down
compares like with like.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Context",
    "Row",
    "Stats",
    "Target",
    "interleaved",
    "note_gaps",
    "per_call",
    "rows_against",
    "timed",
]


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn()`` took, by ``time.perf_counter``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(
    runs: dict[str, Callable[[], float]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Each run's samples: ``warmup`` unrecorded rounds, then ``repeats`` rounds in turn."""
    for _ in range(warmup):
        for run in runs.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            samples[name].append(run())
    return samples


def per_call(
    run: Callable[[], object], calls_per_run: int, min_seconds: float, min_runs: int = 5
) -> Callable[[], float]:
    """A sampler: whole runs for at least ``min_seconds``, in microseconds per model call."""

    def sample() -> float:
        runs = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_seconds or runs < min_runs:
            run()
            runs += 1
        return elapsed / (runs * calls_per_run) * 1e6

    return sample


@dataclass(frozen=True, slots=True)
class Stats:
    median: float
    low: float
    high: float
    n: int
    p99: float | None = None

    @classmethod
    def of(cls, samples: Sequence[float], *, with_p99: bool = False) -> Stats:
        if not samples:
            raise ValueError("no samples")
        p99 = _percentile(samples, 0.99) if with_p99 else None
        return cls(statistics.median(samples), min(samples), max(samples), len(samples), p99)


def _percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank percentile: with few samples, p99 is the largest."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n * q)
    return ordered[int(rank) - 1]


TargetKind = Literal[
    "ratio_at_least", "ratio_at_most", "at_least", "at_most", "above_anchor_at_most"
]


@dataclass(frozen=True, slots=True)
class Target:
    """An issue target: on the ratio to the anchor, on the value, or on the gap to the anchor."""

    kind: TargetKind
    value: float
    text: str
    on_p99: bool = False

    @classmethod
    def ratio_at_least(cls, value: float, of: str = "floor") -> Target:
        return cls("ratio_at_least", value, f">= {value:g}x {of}")

    @classmethod
    def ratio_at_most(cls, value: float, of: str = "anchor") -> Target:
        return cls("ratio_at_most", value, f"<= {value:g}x {of}")

    @classmethod
    def at_most(cls, value: float, unit: str, *, p99: bool = False) -> Target:
        return cls("at_most", value, f"{'p99 ' if p99 else ''}<= {value:g} {unit}", p99)

    @classmethod
    def at_least(cls, value: float, unit: str) -> Target:
        return cls("at_least", value, f">= {value:g} {unit}")

    @classmethod
    def above_anchor_at_most(cls, value: float, unit: str) -> Target:
        return cls("above_anchor_at_most", value, f"<= anchor + {value:g} {unit}")

    def met(self, row: Row) -> bool | None:
        """Whether ``row`` meets the target; None when it has nothing to compare with."""
        stats = row.stats
        if stats is None:
            return None
        value = stats.p99 if self.on_p99 and stats.p99 is not None else stats.median
        if self.kind == "at_most":
            return value <= self.value
        if self.kind == "at_least":
            return value >= self.value
        if self.kind == "above_anchor_at_most":
            gap = row.gap
            return None if gap is None else gap <= self.value
        ratio = row.ratio
        if ratio is None:
            return None
        return ratio >= self.value if self.kind == "ratio_at_least" else ratio <= self.value


@dataclass(slots=True)
class Row:
    """One line of the table."""

    figure: str
    case: str
    client: str
    unit: str
    stats: Stats | None
    """None when the client could not run (a peer not installed): see ``note``."""
    anchor: str | None = None
    target: Target | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)
    anchor_samples: list[float] = field(default_factory=list)
    paired: bool = True
    """Sample i of the row and of the anchor come from the same round: compare them pairwise."""

    @property
    def ratio(self) -> float | None:
        """The row over its anchor: the median of per-round ratios when paired."""
        if self.stats is None or not self.anchor_samples:
            return None
        if self._pairs() and all(a > 0 for a in self.anchor_samples):
            return statistics.median(s / a for s, a in self._pairs())
        anchor = statistics.median(self.anchor_samples)
        return self.stats.median / anchor if anchor else None

    @property
    def gap(self) -> float | None:
        """The row minus its anchor: the median of per-round differences when paired."""
        if self.stats is None or not self.anchor_samples:
            return None
        if self._pairs():
            return statistics.median(s - a for s, a in self._pairs())
        return self.stats.median - statistics.median(self.anchor_samples)

    def _pairs(self) -> list[tuple[float, float]]:
        if not self.paired or len(self.samples) != len(self.anchor_samples):
            return []
        return list(zip(self.samples, self.anchor_samples, strict=True))

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.stats is None:
            return "n/a"
        met = self.target.met(self)
        return "" if met is None else "PASS" if met else "MISS"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["gap"] = self.gap
        data["verdict"] = self.verdict
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        """A row back from ``to_json`` (the derived fields are computed again)."""
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if fields.get("stats") is not None:
            fields["stats"] = Stats(**fields["stats"])
        if fields.get("target") is not None:
            fields["target"] = Target(**fields["target"])
        return cls(**fields)


def rows_against(
    figure: str,
    case: str,
    unit: str,
    samples: dict[str, list[float]],
    anchor: str,
    targets: dict[str, Target] | None = None,
    notes: dict[str, str] | None = None,
    *,
    with_p99: bool = False,
    paired: bool = True,
) -> list[Row]:
    """One row per client of ``samples``, each against the ``anchor`` client's samples.

    ``paired=False`` when sample i of two clients did not share a round's
    conditions (independent random trials): ratios then divide the medians.
    """
    rows = []
    for client, values in samples.items():
        rows.append(
            Row(
                figure,
                case,
                client,
                unit,
                Stats.of(values, with_p99=with_p99),
                anchor=None if client == anchor else anchor,
                target=(targets or {}).get(client),
                note=(notes or {}).get(client, ""),
                samples=list(values),
                anchor_samples=[] if client == anchor else list(samples[anchor]),
                paired=paired,
            )
        )
    return rows


def note_gaps(rows: list[Row], template: str) -> None:
    """Put each row's gap to its anchor in its note, e.g. ``"{:+.2f} ms over the floor"``."""
    for row in rows:
        gap = row.gap
        if gap is not None:
            row.note = template.format(gap)


@dataclass(frozen=True, slots=True)
class Context:
    """What a figure gets from the runner: the server and how long to measure."""

    server: Any  # bench.server.TranscriptServer (Any: figures run without importing it)
    quick: bool

    def reps(self, full: int, quick: int) -> int:
        return quick if self.quick else full
