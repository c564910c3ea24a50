"""The built-in tools: files, search, shell, web and sub-agents.

Every path a model gives resolves against the run's working directory when it
is relative (``ToolContext.resolve``).
"""

from ..tool import Tool
from .bash import Bash as Bash
from .edit import Edit as Edit
from .glob import Glob as Glob
from .grep import Grep as Grep
from .read import Read as Read
from .sub_agent import SubAgent as SubAgent
from .web_fetch import WebFetch as WebFetch
from .write import Write as Write

__all__ = ["Bash", "Edit", "Glob", "Grep", "Read", "SubAgent", "WebFetch", "Write", "defaults"]


def defaults() -> list[Tool]:
    """Fresh instances of the everyday tools: read, write, edit, glob, grep and bash.

    Add ``WebFetch()`` and ``SubAgent(provider, model)`` yourself when you want them.
    """
    return [Read(), Write(), Edit(), Glob(), Grep(), Bash()]
