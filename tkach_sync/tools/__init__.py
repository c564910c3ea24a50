"""The built-in tools: files, search, shell and web.

Every path a model gives resolves against the run's working directory when it
is relative (``ToolContext.resolve``).
"""

from ..tool import Tool
from .bash import Bash
from .edit import Edit
from .glob import Glob
from .grep import Grep
from .read import Read
from .web_fetch import WebFetch
from .write import Write

__all__ = ["Bash", "Edit", "Glob", "Grep", "Read", "WebFetch", "Write", "defaults"]


def defaults() -> list[Tool]:
    """Fresh instances of the everyday tools: read, write, edit, glob, grep and bash."""
    return [Read(), Write(), Edit(), Glob(), Grep(), Bash()]
