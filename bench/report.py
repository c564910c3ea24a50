"""The results as one table (plain text or markdown) and as JSON, with the machine they ran on."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .core import Row, Stats

__all__ = ["machine", "markdown_table", "text_table", "write_json"]

PACKAGES = (
    "tkach_sync",
    "requests",
    "sseclient-py",
    "pydantic",
    "anthropic",
    "openai",
    "pydantic-ai-slim",
    "openai-agents",
    "smolagents",
)
HEADERS = (
    "Fig",
    "Case",
    "Client",
    "Median (min-max)",
    "Unit",
    "x anchor",
    "Target",
    "Result",
    "Note",
)


def machine() -> dict[str, Any]:
    """Where the numbers came from."""
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "packages": {name: _version(name) for name in PACKAGES},
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def number(value: float) -> str:
    """Three significant digits, thousands grouped: 231,000 / 5.77 / 0.0152."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def summary(stats: Stats | None) -> str:
    if stats is None:
        return "-"
    text = f"{number(stats.median)} ({number(stats.low)}-{number(stats.high)})"
    if stats.p99 is not None:
        text = f"p50 {text}, p99 {number(stats.p99)}"
    return text


def cells(row: Row) -> tuple[str, ...]:
    ratio = row.ratio
    return (
        row.figure,
        row.case,
        row.client,
        summary(row.stats),
        row.unit,
        f"{ratio:.2f}x" if ratio is not None else "",
        row.target.text if row.target else "",
        row.verdict,
        row.note,
    )


def text_table(rows: Sequence[Row]) -> str:
    """A plain table; the case is printed once per group of rows."""
    lines = [cells(row) for row in rows]
    shown: list[tuple[str, ...]] = [HEADERS]
    previous = None
    for line in lines:
        key = (line[0], line[1])
        shown.append(line if key != previous else ("", "", *line[2:]))
        previous = key
    widths = [max(len(line[i]) for line in shown) for i in range(len(HEADERS))]
    out = []
    for i, line in enumerate(shown):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if i == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(text.rstrip() for text in out)


def markdown_table(rows: Sequence[Row]) -> str:
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        line = cells(row)
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |")
    return "\n".join(out)


def write_json(path: Path, rows: Sequence[Row], meta: dict[str, Any]) -> None:
    data = {**meta, "rows": [row.to_json() for row in rows]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
