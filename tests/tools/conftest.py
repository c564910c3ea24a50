from pathlib import Path

import pytest

from tkach_sync.cancel import CancellationToken
from tkach_sync.tool import ToolContext


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(working_dir=tmp_path, cancel=CancellationToken())
