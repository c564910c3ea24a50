"""Both real providers, pointed at the loopback fake LLM server."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tkach_sync.providers import Anthropic, OpenAICompatible
from tkach_sync.testing import FakeLLMServer

API_KEY = "sk-test-SECRET-0123456789"
Make = Callable[..., Any]


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture(params=["anthropic", "openai"])
def make(request: pytest.FixtureRequest, server: FakeLLMServer) -> Iterator[Make]:
    """``make(**options)`` builds the parametrised provider against the fake server."""
    made: list[Any] = []

    def build(**options: Any) -> Any:
        options.setdefault("max_retries", 0)
        if request.param == "anthropic":
            provider: Any = Anthropic(API_KEY, base_url=server.url, **options)
        else:
            provider = OpenAICompatible(API_KEY, base_url=server.openai_url, **options)
        made.append(provider)
        return provider

    build.kind = request.param  # type: ignore[attr-defined]
    yield build
    for provider in made:
        provider.close()
