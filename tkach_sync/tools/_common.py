"""Helpers the built-in tools share: size caps, binary sniffing, paths and walking."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..cancel import CancellationToken
from ..tool import ToolContext

SNIFF_BYTES = 8192
"""How much of a file is read to decide whether it is binary."""

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", "CVS", "node_modules"})
"""Folders that are never searched: version-control stores and vendored packages."""


class Params(BaseModel):
    """The base of the tools' input models: an unknown field is refused, so a typo surfaces."""

    model_config = ConfigDict(extra="forbid")


def is_binary(head: bytes) -> bool:
    """A NUL byte near the start marks binary data, as git and grep decide it."""
    return b"\0" in head[:SNIFF_BYTES]


def looks_binary(path: Path) -> bool:
    with path.open("rb") as f:
        return is_binary(f.read(SNIFF_BYTES))


def clip_line(line: str, limit: int) -> str:
    """One line cut to ``limit`` characters, with a marker saying how much was cut."""
    if len(line) <= limit:
        return line
    return f"{line[:limit]}… [line truncated: {len(line) - limit} more characters]"


def cap_text(text: str, limit: int) -> str:
    """Text cut to ``limit`` characters, with a note saying how much was cut."""
    cut = len(text) - limit
    if cut <= 0:
        return text
    return f"{text[:limit]}\n[text truncated: {cut} more characters]"


def display_path(path: Path, ctx: ToolContext) -> str:
    """A path as the model should see it: relative to the working dir when under it."""
    try:
        return str(path.relative_to(ctx.working_dir))
    except ValueError:
        return str(path)


def walk_files(root: Path, cancel: CancellationToken) -> Iterator[Path]:
    """Every file under ``root``, skipping ``SKIPPED_DIRS``, never following folder links."""
    for folder, dirs, files in os.walk(root):
        cancel.raise_if_cancelled()
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            yield Path(folder, name)


_GLOB_TOKEN = re.compile(r"\*\*/|\*\*|\*|\?|\[[^\]/]*\]|[^*?\[]+|\[")


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex to ``fullmatch`` against '/'-separated relative paths.

    ``*`` and ``?`` stay within one path segment, ``**/`` spans any number of
    folders (none included), and ``[...]`` is a character class.
    """
    parts: list[str] = []
    for token in _GLOB_TOKEN.findall(pattern):
        if token == "**/":
            parts.append("(?:.*/)?")
        elif token == "**":
            parts.append(".*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        elif token.startswith("[") and len(token) > 2:
            body = token[1:-1]
            if body.startswith("!"):
                body = "^" + body[1:]
            parts.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts), re.DOTALL)


def has_magic(segment: str) -> bool:
    return any(c in segment for c in "*?[")
