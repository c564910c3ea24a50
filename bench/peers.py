"""Other agent frameworks, each run offline on its own test model: a tool call, then text.

Each ``make_*`` returns a function that performs one whole run (two model
calls) the way a synchronous caller would, or raises ``ImportError`` when
the peer is not installed. Imports stay inside, so the suite runs without
them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clients import MODEL, PROMPT

__all__ = ["HTTP_PEERS", "PEERS"]

_KEY = "alpha"


def lookup(key: str) -> str:
    """Look a key up."""
    return f"{key} = 42"


def make_pydantic_ai() -> Callable[[], object]:
    """pydantic-ai's ``TestModel``: calls every tool once, then answers with text."""
    from pydantic_ai import Agent
    from pydantic_ai.models.test import TestModel

    agent: Any = Agent(TestModel(), tools=[lookup])
    return lambda: agent.run_sync(PROMPT)


def make_openai_agents() -> Callable[[], object]:
    """openai-agents with a scripted ``Model``: a function call, then a message."""
    from agents import Agent, Runner, function_tool, set_tracing_disabled
    from agents.items import ModelResponse
    from agents.models.interface import Model
    from agents.usage import Usage
    from openai.types.responses import (
        ResponseFunctionToolCall,
        ResponseOutputMessage,
        ResponseOutputText,
    )

    set_tracing_disabled(True)

    class Scripted(Model):  # type: ignore[misc]
        async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
            items = args[1] if len(args) > 1 else kwargs["input"]
            answered = isinstance(items, list) and any(
                _field(item, "type") == "function_call_output" for item in items
            )
            return ModelResponse(
                output=[_message() if answered else _call()], usage=Usage(), response_id=None
            )

        def stream_response(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError("the benchmark runs without streaming")

    def _call() -> Any:
        return ResponseFunctionToolCall(
            type="function_call", call_id="call_1", name="lookup", arguments=f'{{"key":"{_KEY}"}}'
        )

    def _message() -> Any:
        text = ResponseOutputText(type="output_text", text="The value is 42.", annotations=[])
        return ResponseOutputMessage(
            id="msg_1", type="message", role="assistant", status="completed", content=[text]
        )

    agent: Any = Agent(name="bench", model=Scripted(), tools=[function_tool(lookup)])
    return lambda: Runner.run_sync(agent, PROMPT)


def make_smolagents() -> Callable[[], object]:
    """smolagents' ``ToolCallingAgent`` with a scripted model; it ends by calling final_answer."""
    from smolagents import ToolCallingAgent, tool
    from smolagents.models import (
        ChatMessage,
        ChatMessageToolCall,
        ChatMessageToolCallFunction,
        MessageRole,
        Model,
    )
    from smolagents.monitoring import LogLevel

    class Scripted(Model):  # type: ignore[misc]
        def generate(self, messages: list[Any], *args: Any, **kwargs: Any) -> ChatMessage:
            done = any(_field(m, "role") == MessageRole.TOOL_RESPONSE for m in messages)
            name, arguments = (
                ("final_answer", {"answer": "42"}) if done else ("smol_lookup", {"key": _KEY})
            )
            function = ChatMessageToolCallFunction(name=name, arguments=arguments)
            call = ChatMessageToolCall(function=function, id="call_1", type="function")
            return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])

    @tool
    def smol_lookup(key: str) -> str:
        """Look a key up.

        Args:
            key: The key.
        """
        return f"{key} = 42"

    agent: Any = ToolCallingAgent(
        tools=[smol_lookup],
        model=Scripted(model_id="scripted"),
        verbosity_level=LogLevel.OFF,
        max_steps=4,
    )
    return lambda: agent.run(PROMPT)


def make_tool_runner(url: str) -> Callable[[], object]:
    """The official SDK's ``tool_runner`` against the loopback server, to its last message."""
    import anthropic

    client: Any = anthropic.Anthropic(api_key="bench-key", base_url=url, max_retries=0)
    tool = anthropic.beta_tool(lookup)
    messages = [{"role": "user", "content": PROMPT}]

    def once() -> object:
        runner = client.beta.messages.tool_runner(
            model=MODEL, max_tokens=1024, messages=messages, tools=[tool]
        )
        return runner.until_done()

    return once


def make_pydantic_ai_http(url: str) -> Callable[[], object]:
    """pydantic-ai's ``AnthropicModel`` against the loopback server, via ``run_sync``."""
    from pydantic_ai import Agent
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    model = AnthropicModel(MODEL, provider=AnthropicProvider(api_key="bench-key", base_url=url))
    agent: Any = Agent(model, tools=[lookup])
    return lambda: agent.run_sync(PROMPT)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


PEERS: dict[str, Callable[[], Callable[[], object]]] = {
    "openai-agents (scripted Model)": make_openai_agents,
    "smolagents (scripted Model)": make_smolagents,
    "pydantic-ai TestModel run_sync": make_pydantic_ai,
}

HTTP_PEERS: dict[str, Callable[[str], Callable[[], object]]] = {
    "anthropic SDK tool_runner": make_tool_runner,
    "pydantic-ai AnthropicModel run_sync": make_pydantic_ai_http,
}
