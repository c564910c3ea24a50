import pytest
from wire_helpers import fake_llm_threads


@pytest.fixture(autouse=True)
def _no_server_thread_outlives_a_test():
    yield
    assert fake_llm_threads() == []


@pytest.fixture
def server(fake_llm):
    """The package's own fixture, under a shorter name."""
    return fake_llm
