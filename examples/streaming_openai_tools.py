"""A tool call over an OpenAI-compatible endpoint: OpenAI, OpenRouter, Ollama, vLLM, Groq...

``OpenAICompatible`` speaks Chat Completions, so one provider class reaches
every server that does. The agent code does not change: the same ``@tool``,
the same ``Agent.stream``. Chat Completions streams a tool call's arguments as
JSON fragments; the provider joins them, so the ``ToolUse`` event is always
whole.

    python examples/streaming_openai_tools.py

Offline a scripted fake model answers on the OpenAI wire, with the arguments
cut into 5-character fragments. With OPENAI_API_KEY set it calls OpenAI; add
OPENAI_BASE_URL=https://openrouter.ai/api/v1 (and e.g.
OPENAI_SMOKE_MODEL=openai/gpt-4o-mini) to go through OpenRouter instead.
"""

from typing import Literal

from _support import check, check_tool_uses_answered, example_provider, printing

from tkach_sync import Agent, Message, StopReason, ToolUse, tool
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

FORECASTS = {"paris": 18, "oslo": 4, "lima": 22}


@tool(read_only=True)
def get_temperature(city: str, unit: Literal["C", "F"] = "C") -> str:
    """The current temperature in a city.

    Args:
        city: The city's name, e.g. "Paris".
        unit: C for Celsius, F for Fahrenheit.
    """
    celsius = FORECASTS.get(city.lower(), 15)
    return f"{celsius}°C" if unit == "C" else f"{celsius * 9 / 5 + 32:.0f}°F"


def script(server: FakeLLMServer) -> None:
    call = ToolCallSpec("get_temperature", {"city": "Oslo", "unit": "F"})
    server.add(Turn.tool_calls(call, json_fragment_size=5))
    server.add(Turn.text("It is 39°F in Oslo right now.", chunks=4))


with example_provider(script, kind="openai") as (provider, model, live):
    print(f"[{provider!r}, model {model}]")
    agent = Agent(provider=provider, model=model, tools=[get_temperature], max_tokens=400)
    history = [Message.user_text("How warm is it in Oslo, in Fahrenheit? Use the tool.")]

    uses: list[ToolUse] = []
    with agent.stream(history) as stream:
        for event in printing(stream):
            if isinstance(event, ToolUse):
                uses.append(event)
    result = stream.result()

    check(result.stop_reason is StopReason.END_TURN, "the run ends with a plain answer")
    check(all(isinstance(use.input, dict) for use in uses), "tool input arrives as a whole dict")
    check_tool_uses_answered(result.new_messages)
    if not live:
        check(len(uses) == 1, "the fake model called the tool once")
        check(uses[0].input == {"city": "Oslo", "unit": "F"}, "the fragments were joined whole")
        check(result.new_messages[1].tool_results[0].content == "39°F", "the tool's answer")
        check("39°F" in result.text, "the model used the tool's answer")
