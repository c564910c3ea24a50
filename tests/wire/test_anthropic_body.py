import json

import pytest

from tkach_sync.errors import InvalidRequest
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
from tkach_sync.providers._anthropic_wire import anthropic_body

SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}


def test_a_minimal_request_sends_only_the_required_fields_and_array_content():
    body = anthropic_body(
        Request(model="claude-x", messages=[Message.user_text("hi")]), stream=False
    )

    assert body == {
        "model": "claude-x",
        "max_tokens": 16384,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }


def test_a_full_tool_turn_maps_every_block_and_field_in_wire_order():
    history = [
        Message.user([TextBlock.cached("read a.py")]),
        Message.assistant(
            [
                ThinkingBlock(thinking="need the file", signature="sig=="),
                RedactedThinkingBlock(data="EmwK"),
                TextBlock("Reading."),
                ToolUseBlock("toolu_1", "read", {"path": "a.py"}),
                ToolUseBlock("toolu_2", "read", {"path": "b.py"}),
            ]
        ),
        Message.user(
            [
                ToolResultBlock("toolu_1", "print(1)"),
                ToolResultBlock(
                    "toolu_2",
                    "no such file",
                    is_error=True,
                    cache_control=CacheControl.ephemeral(),
                ),
            ]
        ),
    ]
    request = Request(
        model="claude-x",
        messages=history,
        system=[SystemBlock("You are terse."), SystemBlock.cached_1h("LONG CONTEXT")],
        tools=[ToolDefinition("read", "Read a file", SCHEMA, CacheControl.ephemeral_1h())],
        max_tokens=1024,
        temperature=0.2,
        stop_sequences=["\n\nHuman:"],
        extra={"metadata": {"user_id": "u-1"}, "max_tokens": 2048},
    )

    body = anthropic_body(request, stream=True)

    assert body == {
        "model": "claude-x",
        "max_tokens": 2048,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "read a.py", "cache_control": {"type": "ephemeral"}}
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "need the file", "signature": "sig=="},
                    {"type": "redacted_thinking", "data": "EmwK"},
                    {"type": "text", "text": "Reading."},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "read",
                        "input": {"path": "a.py"},
                    },
                    {
                        "type": "tool_use",
                        "id": "toolu_2",
                        "name": "read",
                        "input": {"path": "b.py"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "print(1)"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": "no such file",
                        "is_error": True,
                        "cache_control": {"type": "ephemeral"},
                    },
                ],
            },
        ],
        "system": [
            {"type": "text", "text": "You are terse."},
            {
                "type": "text",
                "text": "LONG CONTEXT",
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            },
        ],
        "tools": [
            {
                "name": "read",
                "description": "Read a file",
                "input_schema": SCHEMA,
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            }
        ],
        "temperature": 0.2,
        "stop_sequences": ["\n\nHuman:"],
        "stream": True,
        "metadata": {"user_id": "u-1"},
    }
    assert list(body)[:8] == [
        "model", "max_tokens", "messages", "system", "tools", "temperature", "stop_sequences",
        "stream",
    ]  # fmt: skip


def test_a_5m_ttl_is_sent_explicitly_and_temperature_zero_is_kept():
    request = Request(
        model="m",
        messages=[Message.user([TextBlock("x", CacheControl(ttl="5m"))])],
        temperature=0.0,
    )

    body = anthropic_body(request, stream=False)

    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    assert body["temperature"] == 0.0
    assert "stream" not in body


def test_the_body_survives_json_and_round_trips_non_ascii():
    request = Request(model="m", messages=[Message.user_text("naïve — 🌤")])

    body = anthropic_body(request, stream=False)

    assert json.loads(json.dumps(body)) == body


def _markers(tools: int, system: int, blocks: int, automatic: bool = False) -> Request:
    cache = CacheControl.ephemeral()
    return Request(
        model="m",
        tools=[ToolDefinition(f"t{i}", "d", SCHEMA, cache) for i in range(tools)],
        system=[SystemBlock.cached(f"s{i}") for i in range(system)],
        messages=[
            Message.user([TextBlock.cached(f"m{i}") for i in range(blocks)] or [TextBlock("x")])
        ],
        extra={"cache_control": {"type": "ephemeral"}} if automatic else {},
    )


@pytest.mark.parametrize(
    ("tools", "system", "blocks"), [(4, 0, 0), (0, 4, 0), (0, 0, 4), (1, 1, 2), (2, 2, 0)]
)
def test_four_cache_breakpoints_are_allowed(tools, system, blocks):
    body = anthropic_body(_markers(tools, system, blocks), stream=False)

    assert body["model"] == "m"


@pytest.mark.parametrize(
    ("tools", "system", "blocks"), [(5, 0, 0), (0, 0, 5), (2, 2, 1), (1, 3, 1)]
)
def test_a_fifth_cache_breakpoint_is_refused_before_any_http(tools, system, blocks):
    with pytest.raises(InvalidRequest, match=r"5 cache breakpoints.*at most 4"):
        anthropic_body(_markers(tools, system, blocks), stream=False)


def test_a_tool_result_breakpoint_counts_like_any_other():
    cached = CacheControl.ephemeral()
    results = [ToolResultBlock(f"t{i}", "ok", cache_control=cached) for i in range(5)]
    request = Request(model="m", messages=[Message.user(results)])

    with pytest.raises(InvalidRequest):
        anthropic_body(request, stream=False)


def test_automatic_caching_in_extra_takes_one_of_the_four_slots():
    anthropic_body(_markers(1, 1, 1, automatic=True), stream=False)

    with pytest.raises(InvalidRequest, match="5 cache breakpoints"):
        anthropic_body(_markers(2, 1, 1, automatic=True), stream=False)


def test_odd_shapes_in_extra_do_not_break_the_breakpoint_count():
    request = Request(
        model="m",
        messages=[Message.user_text("x")],
        extra={"system": "plain", "tools": None, "messages": [{"role": "user", "content": "s"}, 7]},
    )

    body = anthropic_body(request, stream=False)

    assert body["system"] == "plain"


def test_longer_cache_lifetimes_must_come_first():
    from tkach_sync import CacheControl, InvalidRequest, Message, TextBlock
    from tkach_sync.providers import Request, SystemBlock, ToolDefinition

    tool = ToolDefinition("t", "T", {"type": "object"}, CacheControl.ephemeral_1h())
    fine = Request(
        model="m",
        tools=[tool],
        system=[SystemBlock.cached_1h("rules")],
        messages=[Message.user([TextBlock.cached("question")])],
    )
    anthropic_body(fine, stream=False)
    for late_1h in (
        Request(
            model="m",
            system=[SystemBlock.cached("a")],
            messages=[Message.user([TextBlock.cached("q", ttl="1h")])],
        ),
        Request(
            model="m",
            tools=[ToolDefinition("t", "T", {}, CacheControl.ephemeral())],
            system=[SystemBlock.cached_1h("a")],
            messages=[Message.user_text("q")],
        ),
    ):
        with pytest.raises(InvalidRequest, match="1-hour"):
            anthropic_body(late_1h, stream=False)
