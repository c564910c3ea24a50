"""Live smoke tests against the real APIs: they run only when a key is set.

ANTHROPIC_API_KEY=… pytest tests/test_live_smoke.py
OPENAI_API_KEY=… [OPENAI_BASE_URL=…] [OPENAI_SMOKE_MODEL=…] pytest tests/test_live_smoke.py
"""

import os

import pytest

from tkach_sync import Agent, ContentDelta, Message, StopReason, tool
from tkach_sync.providers import Anthropic, OpenAICompatible

ANTHROPIC_MODEL = os.environ.get("ANTHROPIC_SMOKE_MODEL", "claude-haiku-4-5")
OPENAI_MODEL = os.environ.get("OPENAI_SMOKE_MODEL", "gpt-4o-mini")


@tool(read_only=True)
def secret_word() -> str:
    """Return the secret word."""
    return "pomegranate"


def providers():
    if os.environ.get("ANTHROPIC_API_KEY"):
        yield pytest.param(lambda: (Anthropic.from_env(), ANTHROPIC_MODEL), id="anthropic")
    else:
        yield pytest.param(
            None, id="anthropic", marks=pytest.mark.skip("ANTHROPIC_API_KEY not set")
        )
    if os.environ.get("OPENAI_API_KEY"):
        yield pytest.param(lambda: (OpenAICompatible.from_env(), OPENAI_MODEL), id="openai")
    else:
        yield pytest.param(None, id="openai", marks=pytest.mark.skip("OPENAI_API_KEY not set"))


@pytest.mark.parametrize("make", list(providers()))
def test_a_live_tool_loop_runs_and_streams(make):
    provider, model = make()
    agent = Agent(
        provider=provider,
        model=model,
        tools=[secret_word],
        max_tokens=200,
        system="Use the secret_word tool, then answer with the word only.",
    )
    history = [Message.user_text("What is the secret word?")]
    result = agent.run(history)
    assert "pomegranate" in result.text.lower()
    assert result.stop_reason is StopReason.END_TURN and result.usage.output_tokens > 0

    stream = agent.stream(history)
    deltas = [e for e in stream if isinstance(e, ContentDelta)]
    assert "pomegranate" in stream.result().text.lower() and deltas
