"""``edit``: replace an exact piece of a file's text, leaving every other byte alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from ..errors import ToolError
from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params, display_path, is_binary

__all__ = ["Edit"]


class EditInput(Params):
    file_path: str = Field(
        description="The file to change. A relative path resolves against the working directory."
    )
    old_string: str = Field(description="The exact text to replace, whitespace included.")
    new_string: str = Field(description="The text to put in its place.")
    replace_all: bool = Field(
        False, description="Replace every occurrence instead of requiring exactly one."
    )


class Edit(Tool):
    name = "edit"
    description = (
        "Replace exact text in a UTF-8 file. old_string must match the file character for "
        "character (indentation and line endings included) and, unless replace_all is true, "
        "occur exactly once: include enough surrounding lines to make it unique. The rest of "
        "the file is kept byte for byte. Use write to create a new file. A relative file_path "
        "resolves against the working directory."
    )
    tool_class = ToolClass.MUTATING
    params = EditInput

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        old, new = input["old_string"], input["new_string"]
        if not old:
            return ToolOutput.error("old_string is empty; use write to create or fill a file")
        if old == new:
            return ToolOutput.error("old_string and new_string are the same; nothing to change")
        path = ctx.resolve(input["file_path"])
        shown = display_path(path, ctx)
        text = _read_text(path, shown)
        count = text.count(old)
        if count == 0:
            return ToolOutput.error(f"old_string not found in {shown}{_near_miss(text, old)}")
        if count > 1 and not input["replace_all"]:
            return ToolOutput.error(
                f"old_string occurs {count} times in {shown}; add surrounding lines to make "
                "it unique, or set replace_all to true to replace every occurrence"
            )
        try:
            path.write_bytes(text.replace(old, new).encode("utf-8"))
        except OSError as exc:
            raise ToolError(f"cannot write {shown}: {exc.strerror or exc}") from None
        plural = "" if count == 1 else "s"
        return ToolOutput.text(f"edited {shown}: {count} replacement{plural}")


def _read_text(path: Path, shown: str) -> str:
    """The file's text with its line endings untouched, or a ToolError the model can act on."""
    if path.is_dir():
        raise ToolError(f"{shown} is a directory, not a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ToolError(f"file not found: {shown}; use write to create a file") from None
    except OSError as exc:
        raise ToolError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if is_binary(data):
        raise ToolError(f"{shown} is a binary file; edit changes text files only")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{shown} is not valid UTF-8; edit would corrupt it") from None


def _near_miss(text: str, old: str) -> str:
    """A hint when old_string only differs from the file in whitespace."""
    words = old.split()
    if words and " ".join(words) in " ".join(text.split()):
        return (
            " (a match exists if whitespace is ignored: check indentation, tabs and "
            "line endings, and copy the text exactly as read shows it)"
        )
    return ""
