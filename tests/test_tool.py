from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from tkach_sync import (
    CancellationToken,
    InvalidInput,
    Tool,
    ToolClass,
    ToolContext,
    ToolOutput,
    tool,
)


def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(working_dir=tmp_path, cancel=CancellationToken())


@tool(read_only=True)
def weather(city: str, unit: Literal["C", "F"] = "C", days: int = 1) -> str:
    """Current weather in a city.

    More prose that is not the summary.

    Args:
        city: The city name.
        unit: Celsius or Fahrenheit.

    Returns:
        A sentence.
    """
    return f"{city}: 20{unit} for {days} day(s)"


def test_the_schema_and_description_come_from_the_signature_and_docstring():
    assert weather.name == "weather"
    assert weather.tool_class is ToolClass.READ_ONLY
    assert weather.description == "Current weather in a city."
    schema = weather.input_schema
    assert schema["type"] == "object"
    assert schema["required"] == ["city"]
    assert schema["properties"]["city"] == {"type": "string", "description": "The city name."}
    assert schema["properties"]["unit"]["enum"] == ["C", "F"]
    assert schema["properties"]["unit"]["description"] == "Celsius or Fahrenheit."
    assert "description" not in schema["properties"]["days"]


def test_input_is_validated_and_defaults_filled(tmp_path):
    assert weather.validate_input({"city": "Oslo"}) == {"city": "Oslo", "unit": "C", "days": 1}
    assert weather.execute(weather.validate_input({"city": "Oslo"}), ctx(tmp_path)) == (
        "Oslo: 20C for 1 day(s)"
    )
    with pytest.raises(InvalidInput, match="unit"):
        weather.validate_input({"city": "Oslo", "unit": "K"})
    with pytest.raises(InvalidInput, match="city"):
        weather.validate_input({})
    with pytest.raises(InvalidInput, match=r"(?i)extra inputs"):
        weather.validate_input({"city": "Oslo", "country": "NO"})


def test_the_decorated_function_stays_callable():
    assert weather("Rome", "F") == "Rome: 20F for 1 day(s)"


def test_a_tool_may_take_the_context_and_options_name_it(tmp_path):
    @tool(name="where", description="Say where we are.")
    def where_am_i(prefix: str, ctx: ToolContext) -> ToolOutput:
        return ToolOutput.text(f"{prefix}{ctx.working_dir}")

    assert where_am_i.name == "where"
    assert where_am_i.tool_class is ToolClass.MUTATING
    assert "ctx" not in where_am_i.input_schema["properties"]
    assert where_am_i.execute({"prefix": "> "}, ctx(tmp_path)) == ToolOutput(f"> {tmp_path}")


def test_results_that_are_not_text_become_json(tmp_path):
    class Point(BaseModel):
        x: int

    @tool
    def data() -> dict[str, object]:
        """Some data."""
        return {"a": [1, 2], "b": None}

    @tool
    def model() -> Point:
        """A model."""
        return Point(x=1)

    @tool
    def nothing() -> None:
        """Nothing."""

    assert data.execute({}, ctx(tmp_path)) == '{"a": [1, 2], "b": null}'
    assert model.execute({}, ctx(tmp_path)) == '{"x":1}'
    assert nothing.execute({}, ctx(tmp_path)) == ""


def test_tool_subclasses_may_describe_their_input_with_a_model(tmp_path):
    class Params(BaseModel):
        path: str
        limit: int = 10

    class Count(Tool):
        name = "count"
        description = "Count."
        tool_class = ToolClass.READ_ONLY
        params = Params

        def execute(self, input, ctx):
            return str(input["limit"])

    t = Count()
    assert t.input_schema["required"] == ["path"]
    assert t.validate_input({"path": "x"}) == {"path": "x", "limit": 10}
    with pytest.raises(InvalidInput, match="limit"):
        t.validate_input({"path": "x", "limit": "many"})


def test_a_plain_schema_tool_checks_required_fields():
    class Raw(Tool):
        name = "raw"
        input_schema = {"type": "object", "properties": {"q": {}}, "required": ["q"]}

    with pytest.raises(InvalidInput, match="q"):
        Raw().validate_input({})
    assert Raw().validate_input({"q": 1}) == {"q": 1}


def test_context_resolves_relative_paths_against_the_working_dir(tmp_path):
    c = ctx(tmp_path)
    assert c.resolve("a/b.txt") == tmp_path / "a" / "b.txt"
    assert c.resolve("/etc/hosts") == Path("/etc/hosts")


def test_variadic_parameters_are_refused():
    with pytest.raises(TypeError):

        @tool
        def bad(*args: int) -> None:
            """Bad."""
