"""The smallest agent: one question, one blocking ``Agent.run``, one answer.

The caller owns the history: ``run`` never changes it and returns only the
messages it appended (``result.new_messages``), so the next turn is simply
``history + result.new_messages``.

    python examples/basic.py

Offline it talks to a scripted fake model; with ANTHROPIC_API_KEY set (in the
environment or in .env) it asks the real API.
"""

from _support import check, example_provider

from tkach_sync import Agent, Message, StopReason
from tkach_sync.testing import FakeLLMServer, Turn

ANSWER = "Paris is the capital of France."


def script(server: FakeLLMServer) -> None:
    server.add(Turn.text(ANSWER))


with example_provider(script) as (provider, model, live):
    agent = Agent(provider=provider, model=model, system="Answer in one short sentence.")
    history = [Message.user_text("What is the capital of France?")]

    result = agent.run(history)

    print(result.text)
    print(
        f"[{result.stop_reason}] {result.usage.input_tokens} tokens in, "
        f"{result.usage.output_tokens} out"
    )

    check(len(history) == 1, "run() must not change the caller's history")
    check(len(result.new_messages) == 1, "one answer appends one assistant message")
    check(result.new_messages[0].role == "assistant", "the new message is the model's")
    check(result.stop_reason is StopReason.END_TURN, "a plain answer ends the turn")
    check(result.usage.output_tokens > 0, "the usage counts the answer")
    check(result.text == ANSWER if not live else bool(result.text), "the answer is the text")
