import threading

import pytest

from tkach_sync.testing import FakeLLMServer


def fake_llm_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tkach-fake-llm")]


@pytest.fixture(autouse=True)
def _no_server_thread_outlives_a_test():
    yield
    assert fake_llm_threads() == []


@pytest.fixture
def server():
    with FakeLLMServer() as started:
        yield started
