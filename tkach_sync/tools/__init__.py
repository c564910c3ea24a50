"""The built-in tools: files, search, shell and web.

Every path a model gives resolves against the run's working directory when it
is relative (``ToolContext.resolve``).
"""

from .edit import Edit
from .glob import Glob
from .grep import Grep
from .read import Read
from .write import Write

__all__ = ["Edit", "Glob", "Grep", "Read", "Write"]
