"""``read``: a text file as numbered lines, one window at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from ..cancel import CancellationToken
from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params, clip_line, display_path, looks_binary

__all__ = ["Read"]

MAX_LINE = 2000


class ReadInput(Params):
    file_path: str = Field(
        description="The file to read. A relative path resolves against the working directory."
    )
    offset: int = Field(0, ge=0, description="How many lines to skip before the first one shown.")
    limit: int = Field(2000, ge=1, description="The most lines to show.")


class Read(Tool):
    name = "read"
    description = (
        "Read a text file. Each line comes back as its line number (counting from 1), a tab, "
        "and the text. At most `limit` lines are shown (default 2000), after skipping `offset` "
        "lines; a header says when only part of the file is shown and how to see the rest. "
        f"Lines longer than {MAX_LINE} characters are cut with a marker. Binary files and "
        "folders are refused (use glob to list a folder). Text is decoded as UTF-8; invalid "
        "bytes show as U+FFFD. A relative file_path resolves against the working directory."
    )
    tool_class = ToolClass.READ_ONLY
    params = ReadInput

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        path = ctx.resolve(input["file_path"])
        shown = display_path(path, ctx)
        if not path.exists():
            return ToolOutput.error(f"file not found: {shown}")
        if path.is_dir():
            return ToolOutput.error(f"{shown} is a directory; use glob to list its files")
        try:
            if looks_binary(path):
                return ToolOutput.error(f"{shown} is a binary file; read shows text files only")
            lines, total = _window(path, input["offset"], input["limit"], ctx.cancel)
        except OSError as exc:
            return ToolOutput.error(f"cannot read {shown}: {exc.strerror or exc}")
        if total == 0:
            return ToolOutput.text(f"{shown} is empty (0 bytes).")
        if not lines:
            return ToolOutput.error(
                f"offset {input['offset']} is past the end: {shown} has {total} lines"
            )
        return ToolOutput.text(_header(input["offset"], len(lines), total) + "\n".join(lines))


def _window(
    path: Path, offset: int, limit: int, cancel: CancellationToken
) -> tuple[list[str], int]:
    """The numbered lines after ``offset`` (at most ``limit``) and the file's line count."""
    lines: list[str] = []
    total = 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for total, line in enumerate(f, 1):
            if total % 10_000 == 0:
                cancel.raise_if_cancelled()
            if offset < total <= offset + limit:
                text = clip_line(line.rstrip("\n"), MAX_LINE)
                lines.append(f"{total}\t{text}")
    return lines, total


def _header(offset: int, count: int, total: int) -> str:
    """A note on the window, or nothing when the whole file is shown."""
    first, last = offset + 1, offset + count
    if last < total:
        return f"[lines {first}-{last} of {total}; read again with offset={last} for more]\n"
    if offset > 0:
        return f"[lines {first}-{last} of {total}, the end of the file; lower offset for earlier]\n"
    return ""
