"""The ``fake_llm`` pytest fixture; only this module (and ``pytest_plugin``) imports pytest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import FakeLLMServer

__all__ = ["fake_llm"]


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A started ``FakeLLMServer`` for one test, stopped (threads joined) at teardown."""
    with FakeLLMServer() as server:
        yield server
