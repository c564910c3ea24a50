"""Your own tools, two ways: a typed function with ``@tool``, or a ``Tool`` subclass.

``@tool`` reads the function's signature and docstring: the type hints become
the JSON schema the model sees, the first paragraph its description, the
``Args:`` lines the parameters' descriptions. A ``Tool`` subclass sets its
``params`` to a pydantic model instead. Either way the model's input is
validated before the tool runs, and bad input goes back to the model as an
error result it can fix.

    python examples/custom_tool.py

Offline a scripted fake model calls both tools, once with a bad unit; with
ANTHROPIC_API_KEY set the real model gets the same tools.
"""

import json
from typing import Any, Literal

from _support import check, check_tool_uses_answered, example_provider
from pydantic import BaseModel, Field

from tkach_sync import Agent, Message, Tool, ToolClass, ToolContext, ToolOutput, tool
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn


@tool(read_only=True)
def word_count(text: str, unique: bool = False) -> int:
    """Count the words in a text.

    Args:
        text: The text to count.
        unique: Count each distinct word once.
    """
    words = text.lower().split()
    return len(set(words)) if unique else len(words)


class ConvertParams(BaseModel):
    value: float = Field(description="The length to convert.")
    from_unit: Literal["m", "km", "mi", "ft"] = Field(description="The unit of the value.")
    to_unit: Literal["m", "km", "mi", "ft"] = Field(description="The unit to convert to.")


class ConvertLength(Tool):
    """A class-based tool: its schema and validation come from ``params``."""

    name = "convert_length"
    description = "Convert a length between metres, kilometres, miles and feet."
    tool_class = ToolClass.READ_ONLY
    params = ConvertParams
    METRES = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "ft": 0.3048}

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        metres = input["value"] * self.METRES[input["from_unit"]]
        return ToolOutput.text(f"{metres / self.METRES[input['to_unit']]:.2f} {input['to_unit']}")


def script(server: FakeLLMServer) -> None:
    count = ToolCallSpec("word_count", {"text": "the cat saw the dog", "unique": True})
    bad = ToolCallSpec("convert_length", {"value": 5, "from_unit": "km", "to_unit": "parsec"})
    server.add(Turn.tool_calls(count, bad))
    good = ToolCallSpec("convert_length", {"value": 5, "from_unit": "km", "to_unit": "mi"})
    server.add(Turn.tool_calls(good, text="Parsecs are not supported; miles then."))
    server.add(Turn.text("4 distinct words; 5 km is 3.11 mi."))


print("What the model sees of word_count:")
print(json.dumps(word_count.input_schema, indent=2))
print(f"Its description: {word_count.description!r}")
check(word_count(text="a b a") == 3, "a @tool function stays a plain, callable function")

with example_provider(script) as (provider, model, live):
    agent = Agent(provider=provider, model=model, tools=[word_count, ConvertLength()])
    ask = "How many distinct words are in 'the cat saw the dog'? And what is 5 km in miles?"
    result = agent.run([Message.user_text(ask)])

    results = [r for m in result.new_messages for r in m.tool_results]
    for r in results:
        print(f"  {'!!' if r.is_error else '<-'} {r.content}")
    print(result.text)

    schema = ConvertLength.input_schema
    check(schema["required"] == ["value", "from_unit", "to_unit"], "params became the schema")
    check(word_count.input_schema["required"] == ["text"], "defaults make optional parameters")
    check(word_count.tool_class is ToolClass.READ_ONLY, "read_only=True marks it read-only")
    check_tool_uses_answered(result.new_messages)
    if not live:
        check([r.content for r in results if not r.is_error] == ["4", "3.11 mi"], "both tools ran")
        check("to_unit" in results[1].content and results[1].is_error, "bad input named its field")
