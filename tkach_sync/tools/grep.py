"""``grep``: search file contents with a regular expression, grep-style output."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from ..cancel import CancellationToken
from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params, clip_line, compile_glob, display_path, looks_binary, walk_files

__all__ = ["Grep"]

MAX_LINE = 500


class GrepInput(Params):
    pattern: str = Field(min_length=1, description="A Python regular expression.")
    path: str | None = Field(
        None, description="A file or folder to search; defaults to the working directory."
    )
    glob: str | None = Field(
        None, description='Search only files whose name or relative path matches, e.g. "*.py".'
    )
    context: int = Field(0, ge=0, le=50, description="Lines to show before and after a match.")
    max_results: int = Field(200, ge=1, description="Stop after this many matching lines.")


class Grep(Tool):
    name = "grep"
    description = (
        "Search the lines of files for a Python regular expression (re.search on each line). "
        "`path` is a file or a folder, searched recursively (default: the working directory; "
        "a relative path resolves against it); `glob` keeps only files whose base name or "
        'relative path matches it (e.g. "*.py", "src/**/*.ts"). Skips binary files, .git and '
        "other version-control folders, and node_modules. Prints `path:line:text` for each "
        "match, like grep -n; with `context` the lines around it come as `path-line-text` and "
        f"separate groups are divided by `--`. Stops after max_results matches and says so. "
        f"Lines longer than {MAX_LINE} characters are cut."
    )
    tool_class = ToolClass.READ_ONLY
    params = GrepInput

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        try:
            regex = re.compile(input["pattern"])
        except re.error as exc:
            return ToolOutput.error(f"invalid regular expression {input['pattern']!r}: {exc}")
        root = ctx.resolve(input["path"]) if input["path"] else ctx.working_dir
        if not root.exists():
            return ToolOutput.error(f"no such file or folder: {display_path(root, ctx)}")
        search = _Search(regex, input["context"], input["max_results"])
        for file in _files(root, input["glob"], ctx.cancel):
            if not ctx.may_touch(file):  # a link out of a confined working dir
                continue
            try:
                search.file(file, display_path(file, ctx), ctx.cancel)
            except OSError:  # unreadable or vanished meanwhile: nothing to report
                continue
            if search.full:
                break
        if not search.matches:
            return ToolOutput.text(
                f"no matches for {input['pattern']!r} in {display_path(root, ctx)}"
            )
        if search.full:
            search.lines.append(
                f"[stopped at max_results={search.limit}; there may be more matches: "
                "narrow the pattern or the path, or raise max_results]"
            )
        return ToolOutput.text("\n".join(search.lines))


def _files(root: Path, glob: str | None, cancel: CancellationToken) -> Iterator[Path]:
    """The text files to search: ``root`` itself, or those under it that pass the glob."""
    wanted = compile_glob(glob) if glob else None
    candidates = [root] if root.is_file() else walk_files(root, cancel)
    for file in candidates:
        if wanted and not (
            wanted.fullmatch(file.name) or wanted.fullmatch(file.relative_to(root).as_posix())
        ):
            continue
        try:
            if looks_binary(file):
                continue
        except OSError:
            continue
        yield file


class _Search:
    """The output so far and the rules for adding one file's matches to it."""

    def __init__(self, regex: re.Pattern[str], context: int, limit: int) -> None:
        self.regex = regex
        self.context = context
        self.limit = limit
        self.lines: list[str] = []
        self.matches = 0

    @property
    def full(self) -> bool:
        return self.matches >= self.limit

    def file(self, path: Path, name: str, cancel: CancellationToken) -> None:
        before: deque[tuple[int, str]] = deque(maxlen=self.context)
        owed_after = 0  # context lines still to print after the last match
        last_printed = 0
        with path.open(encoding="utf-8", errors="replace") as f:
            for number, raw in enumerate(f, 1):
                if number % 10_000 == 0:
                    cancel.raise_if_cancelled()
                line = raw.rstrip("\n")
                if not self.full and self.regex.search(line):
                    self._separate(before[0][0] if before else number, last_printed)
                    for n, text in before:
                        self._add(name, n, "-", text)
                    before.clear()
                    self._add(name, number, ":", line)
                    self.matches += 1
                    owed_after, last_printed = self.context, number
                elif owed_after:
                    self._add(name, number, "-", line)
                    owed_after, last_printed = owed_after - 1, number
                elif self.full:
                    return
                else:
                    before.append((number, line))

    def _separate(self, first: int, last_printed: int) -> None:
        """grep's ``--`` between groups of lines that do not touch."""
        if self.context and self.lines and (not last_printed or first > last_printed + 1):
            self.lines.append("--")

    def _add(self, name: str, number: int, sep: str, text: str) -> None:
        self.lines.append(f"{name}{sep}{number}{sep}{clip_line(text, MAX_LINE)}")
