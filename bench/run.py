"""Run the benchmark figures, print one table and write the results as JSON.

Usage (from the repository root, in a venv with the bench extra)::

    python -m bench                 # the full run (about 3.5 minutes on 2 cores)
    python -m bench --quick         # a smoke check: few repetitions (about 1 minute)
    python -m bench --only 1,4      # some figures
    python -m bench --markdown      # the table as markdown, for the README
    python -m bench --show bench/results.json --markdown   # an earlier run's table
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType

from . import (
    fig01_stream,
    fig02_openai,
    fig03_scaling,
    fig04_cancel,
    fig05_loop_mock,
    fig06_loop_http,
    fig07_ttfe,
    fig08_parallel,
    fig09_import,
    fig10_memory,
    fig11_backpressure,
)
from .core import Context, Row
from .report import machine, markdown_table, text_table, write_json
from .server import ROOT, TranscriptServer

FIGURES: dict[str, ModuleType] = {
    "1": fig01_stream,
    "2": fig02_openai,
    "3": fig03_scaling,
    "4": fig04_cancel,
    "5": fig05_loop_mock,
    "6": fig06_loop_http,
    "7": fig07_ttfe,
    "8": fig08_parallel,
    "9": fig09_import,
    "10": fig10_memory,
    "11": fig11_backpressure,
}
DEFAULT_JSON = ROOT / "bench" / "results.json"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.show is not None:
        return _show(args.show, markdown=args.markdown)
    chosen = _chosen(args.only)
    info = machine()
    _say(f"tkach_sync benchmarks on {info['cpus']} x {info['cpu_model']}, Python {info['python']}")
    rows: list[Row] = []
    durations: dict[str, float] = {}
    with TranscriptServer() as server:
        ctx = Context(server, quick=args.quick)
        for key in chosen:
            module = FIGURES[key]
            _say(f"figure {key}: {_title(module)}")
            start = time.perf_counter()
            rows += module.run(ctx)
            durations[key] = round(time.perf_counter() - start, 1)
    print(markdown_table(rows) if args.markdown else text_table(rows))
    misses = [row for row in rows if row.verdict == "MISS"]
    _say(f"{len(misses)} target(s) missed" if misses else "every target met")
    meta = {
        "machine": info,
        "load_average_at_end": os.getloadavg(),
        "mode": "quick" if args.quick else "full",
        "seconds": durations,
    }
    write_json(args.json, rows, meta)
    _say(f"results written to {args.json}")
    return 0


def _show(path: Path, *, markdown: bool) -> int:
    """Print the table of an earlier run, with the machine it ran on."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [Row.from_json(row) for row in data["rows"]]
    info = data["machine"]
    print(f"{data['mode']} run, {info['date']}: {info['cpus']} x {info['cpu_model']}, ", end="")
    print(f"Python {info['python']}, load average {info['load_average'][0]:.2f}\n")
    print(markdown_table(rows) if markdown else text_table(rows))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke check")
    parser.add_argument("--only", help="comma-separated figure numbers, e.g. 1,4,10")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    parser.add_argument("--show", type=Path, help="print the table of an earlier run's JSON")
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help="where to write the results"
    )
    return parser


def _chosen(only: str | None) -> list[str]:
    if not only:
        return list(FIGURES)
    keys = [key.strip() for key in only.split(",") if key.strip()]
    unknown = [key for key in keys if key not in FIGURES]
    if unknown:
        raise SystemExit(f"no such figure: {', '.join(unknown)} (there are 1-{len(FIGURES)})")
    return keys


def _title(module: ModuleType) -> str:
    doc = module.__doc__ or ""
    return doc.strip().splitlines()[0].split(": ", 1)[-1] if doc else module.__name__


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
