import threading
from pathlib import Path

import pytest

from tkach_sync.cancel import CancellationToken
from tkach_sync.tool import ToolContext


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(working_dir=tmp_path, cancel=CancellationToken())


class Call:
    """A function running in its own thread; after ``join`` it has ``result`` or ``error``."""

    def __init__(self, fn):
        self.result = None
        self.error = None
        self._thread = threading.Thread(target=self._run, args=(fn,))
        self._thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as exc:
            self.error = exc

    def join(self, timeout):
        self._thread.join(timeout)
        return not self._thread.is_alive()


@pytest.fixture
def in_thread():
    """Start calls in threads; any still running at the end are joined, so none leaks."""
    calls = []

    def start(fn):
        calls.append(Call(fn))
        return calls[-1]

    yield start
    for call in calls:
        assert call.join(timeout=30), "a tool call never returned"
