import json

from tkach_sync.messages import (
    CacheControl,
    Message,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from tkach_sync.providers import Request, SystemBlock, ToolDefinition
from tkach_sync.providers._openai_wire import openai_body

SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}}


def test_a_minimal_request_sends_the_model_messages_and_max_tokens():
    body = openai_body(Request(model="gpt-x", messages=[Message.user_text("hi")]), stream=False)

    assert body == {
        "model": "gpt-x",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 16384,
    }


def test_a_full_tool_turn_maps_like_the_rust_original():
    history = [
        Message.user([TextBlock("look at"), TextBlock.cached("a.py and b.py")]),
        Message.assistant(
            [
                ThinkingBlock(thinking="two reads", signature="sig"),
                TextBlock("Reading"),
                TextBlock("both."),
                ToolUseBlock("call_1", "read", {"path": "a.py", "limit": 5, "enc": "ü"}),
                ToolUseBlock("call_2", "read", {}),
            ]
        ),
        Message.user(
            [
                TextBlock("(results follow)"),
                ToolResultBlock("call_1", "print(1)", cache_control=CacheControl.ephemeral()),
                ToolResultBlock("call_2", "no such file", is_error=True),
                TextBlock("now fix it"),
            ]
        ),
        Message.assistant([RedactedThinkingBlock(data="x")]),
        Message.assistant([ToolUseBlock("call_3", "write", {"path": "a.py"})]),
    ]
    request = Request(
        model="gpt-x",
        messages=history,
        system=[SystemBlock("Be terse."), SystemBlock.cached_1h("LONG CONTEXT")],
        tools=[ToolDefinition("read", "Read a file", SCHEMA, CacheControl.ephemeral())],
        max_tokens=100,
        temperature=0.0,
        stop_sequences=["END"],
        extra={"seed": 7, "temperature": 0.5},
    )

    body = openai_body(request, stream=True)

    assert body == {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "Be terse.\n\nLONG CONTEXT"},
            {"role": "user", "content": "look at\na.py and b.py"},
            {
                "role": "assistant",
                "content": "Reading\nboth.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "read",
                            "arguments": '{"enc":"ü","limit":5,"path":"a.py"}',
                        },
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "read", "arguments": "{}"},
                    },
                ],
            },
            {"role": "user", "content": "(results follow)"},
            {"role": "tool", "tool_call_id": "call_1", "content": "print(1)"},
            {"role": "tool", "tool_call_id": "call_2", "content": "[error] no such file"},
            {"role": "user", "content": "now fix it"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_3",
                        "type": "function",
                        "function": {"name": "write", "arguments": '{"path":"a.py"}'},
                    }
                ],
            },
        ],
        "max_tokens": 100,
        "tools": [
            {
                "type": "function",
                "function": {"name": "read", "description": "Read a file", "parameters": SCHEMA},
            }
        ],
        "temperature": 0.5,
        "stop": ["END"],
        "stream": True,
        "stream_options": {"include_usage": True},
        "seed": 7,
    }
    assert "cache_control" not in json.dumps(body)


def test_the_max_tokens_field_and_stream_options_can_be_switched():
    request = Request(model="o9", messages=[Message.user_text("hi")], max_tokens=50)

    body = openai_body(
        request, stream=True, max_tokens_field="max_completion_tokens", include_usage=False
    )

    assert body == {
        "model": "o9",
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": 50,
        "stream": True,
    }


def test_a_user_turn_of_only_tool_results_sends_only_tool_messages():
    request = Request(
        model="m",
        messages=[Message.user([ToolResultBlock("a", "1"), ToolResultBlock("b", "2")])],
    )

    assert openai_body(request, stream=False)["messages"] == [
        {"role": "tool", "tool_call_id": "a", "content": "1"},
        {"role": "tool", "tool_call_id": "b", "content": "2"},
    ]


def test_empty_turns_send_nothing():
    request = Request(
        model="m",
        messages=[Message.user([TextBlock("")]), Message.assistant([]), Message.user_text("go")],
    )

    assert openai_body(request, stream=False)["messages"] == [{"role": "user", "content": "go"}]


def test_a_compatible_servers_reasoning_goes_back_with_its_turn():
    request = Request(
        model="deepseek-v4",
        messages=[
            Message.user_text("go"),
            Message.assistant(
                [ThinkingBlock(thinking="Read first."), ToolUseBlock("call_1", "read", {})]
            ),
            Message.user([ToolResultBlock("call_1", "text")]),
        ],
    )

    assert openai_body(request, stream=False)["messages"][1] == {
        "role": "assistant",
        "reasoning_content": "Read first.",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read", "arguments": "{}"}}
        ],
    }
