"""``glob``: find files by name pattern, newest first."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import Field

from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params, compile_glob, display_path, has_magic, walk_files

__all__ = ["Glob"]

MAX_FILES = 1000


class GlobInput(Params):
    pattern: str = Field(min_length=1, description='A glob pattern, e.g. "**/*.py" or "src/*.ts".')
    path: str | None = Field(
        None, description="The folder to search in; defaults to the working directory."
    )


class Glob(Tool):
    name = "glob"
    description = (
        "Find files whose path matches a glob pattern. `*` and `?` match within one folder "
        "name, `**/` matches any number of folders (none included), `[abc]` a set of "
        "characters; the pattern is matched against paths relative to `path` (default: the "
        "working directory; a relative path resolves against it). Lists files only, newest "
        f"(by modification time) first, at most {MAX_FILES}. Skips .git and other version-"
        "control folders and node_modules. Paths under the working directory are shown "
        "relative to it."
    )
    tool_class = ToolClass.READ_ONLY
    params = GlobInput

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        root = ctx.resolve(input["path"]) if input["path"] else ctx.working_dir
        base, pattern = _split_pattern(root, input["pattern"])
        base = ctx.resolve(base)
        if not base.is_dir():
            return ToolOutput.error(f"no such folder: {display_path(base, ctx)}")
        regex = compile_glob(pattern)
        found: list[tuple[float, str]] = []
        for file in walk_files(base, ctx.cancel):
            if regex.fullmatch(file.relative_to(base).as_posix()) and ctx.may_touch(file):
                try:
                    found.append((-file.stat().st_mtime, display_path(file, ctx)))
                except OSError:  # a dangling link or a file deleted meanwhile
                    continue
        if not found:
            where = display_path(root, ctx)
            return ToolOutput.text(f"no files match {input['pattern']!r} in {where}")
        found.sort()
        listing = "\n".join(name for _, name in found[:MAX_FILES])
        if len(found) > MAX_FILES:
            more = len(found) - MAX_FILES
            listing += f"\n[{more} more files not shown; narrow the pattern or the path]"
        return ToolOutput.text(listing)


def _split_pattern(root: Path, pattern: str) -> tuple[Path, str]:
    """The folder to walk (the pattern's literal leading part) and the rest of the pattern.

    "src/**/*.py" walks only src/, and an absolute pattern walks from its own
    literal prefix wherever ``root`` is.
    """
    parts = PurePosixPath(pattern).parts
    literal = 0
    while literal < len(parts) - 1 and not has_magic(parts[literal]):
        literal += 1
    base = root.joinpath(*parts[:literal]) if literal else root
    return base, "/".join(parts[literal:])
