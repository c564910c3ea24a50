"""``write``: create or overwrite a file with the given text."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params, display_path

__all__ = ["Write"]


class WriteInput(Params):
    file_path: str = Field(
        description="The file to write. A relative path resolves against the working directory."
    )
    content: str = Field(description="The complete new content of the file.")


class Write(Tool):
    name = "write"
    description = (
        "Write text to a file as UTF-8, replacing the whole file if it exists and creating "
        "missing parent folders. The content is written exactly as given (no newline "
        "translation). To change part of an existing file, prefer edit. A relative file_path "
        "resolves against the working directory."
    )
    tool_class = ToolClass.MUTATING
    params = WriteInput

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        path = ctx.resolve(input["file_path"])
        shown = display_path(path, ctx)
        if path.is_dir():
            return ToolOutput.error(f"{shown} is a directory; give a file path")
        data = input["content"].encode("utf-8")
        existed = path.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            return ToolOutput.error(f"cannot write {shown}: {exc.strerror or exc}")
        verb = "overwrote" if existed else "created"
        return ToolOutput.text(f"{verb} {shown}: wrote {len(data)} bytes")
