"""The pure renderers: each turn in each protocol, as protocols.md (A.3, A.4, D.3, D.4) says."""

import json

import pytest
from wire_helpers import (
    anthropic_stream,
    anthropic_summary,
    openai_stream,
    openai_summary,
    sse_events,
)

from tkach_sync import Usage
from tkach_sync.testing import (
    ToolCallSpec,
    Turn,
    render_anthropic_json,
    render_anthropic_sse,
    render_openai_json,
    render_openai_sse,
)

USAGE = Usage(
    input_tokens=21, output_tokens=64, cache_creation_input_tokens=1500, cache_read_input_tokens=7
)
WEATHER = ToolCallSpec("get_weather", {"location": "Paris", "unit": "°C"}, id="toolu_01")


# --- Anthropic ----------------------------------------------------------------


def test_anthropic_text_stream_has_the_documented_event_order():
    events = anthropic_stream(render_anthropic_sse(Turn.text("Hello there", chunks=3)))

    assert [name for name, _ in events] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "ping",
        "message_delta",
        "message_stop",
    ]
    deltas = [p["delta"] for n, p in events if n == "content_block_delta"]
    assert deltas == [
        {"type": "text_delta", "text": "Hell"},
        {"type": "text_delta", "text": "o th"},
        {"type": "text_delta", "text": "ere"},
    ]
    assert {p["index"] for n, p in events if n.startswith("content_block")} == {0}


def test_anthropic_message_start_carries_cache_usage_and_the_delta_carries_the_output():
    events = anthropic_stream(render_anthropic_sse(Turn.text("hi", usage=USAGE), model="claude-x"))

    message = events[0][1]["message"]
    assert message["content"] == []
    assert message["stop_reason"] is None
    assert message["model"] == "claude-x"
    assert message["id"].startswith("msg_")
    assert message["usage"]["input_tokens"] == 21
    assert message["usage"]["cache_creation_input_tokens"] == 1500
    assert message["usage"]["cache_read_input_tokens"] == 7
    assert message["usage"]["output_tokens"] == 1
    message_delta = events[-2][1]
    assert message_delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert message_delta["usage"] == {"output_tokens": 64}


def test_anthropic_tool_input_streams_as_json_fragments_after_an_empty_first_one():
    turn = Turn.tool_calls(WEATHER, ToolCallSpec("noop"), text="Let me look.")
    events = anthropic_stream(render_anthropic_sse(turn))

    starts = [p for n, p in events if n == "content_block_start"]
    assert [s["index"] for s in starts] == [0, 1, 2]
    assert starts[1]["content_block"] == {
        "type": "tool_use",
        "id": "toolu_01",
        "name": "get_weather",
        "input": {},
    }
    fragments = [
        p["delta"]["partial_json"]
        for n, p in events
        if n == "content_block_delta" and p["index"] == 1
    ]
    assert fragments[0] == ""
    assert all(len(f) <= 12 for f in fragments) and len(fragments) > 3
    summary = anthropic_summary(events)
    assert summary["text"] == "Let me look."
    assert summary["tools"][0] == ("toolu_01", "get_weather", {"location": "Paris", "unit": "°C"})
    assert summary["tools"][1][1:] == ("noop", {})
    assert summary["tools"][1][0].startswith("toolu_")
    assert summary["stop_reason"] == "tool_use"


def test_json_fragment_size_is_honoured():
    turn = Turn.tool_calls(WEATHER, json_fragment_size=4)
    events = anthropic_stream(render_anthropic_sse(turn))
    fragments = [p["delta"]["partial_json"] for n, p in events if n == "content_block_delta"]
    assert [len(f) for f in fragments[1:-1]] == [4] * (len(fragments) - 2)


def test_anthropic_thinking_streams_before_the_text_and_ends_with_a_signature():
    turn = Turn.text("Answer.", thinking="Let me think", chunks=2, pings=False)
    events = anthropic_stream(render_anthropic_sse(turn))

    assert events[1][1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    block0 = [p["delta"] for n, p in events if n == "content_block_delta" and p["index"] == 0]
    assert [d["type"] for d in block0] == ["thinking_delta", "thinking_delta", "signature_delta"]
    assert "".join(d.get("thinking", "") for d in block0) == "Let me think"
    assert "ping" not in [name for name, _ in events]
    assert render_anthropic_json(turn)["content"][0]["signature"] == block0[-1]["signature"]


def test_anthropic_json_message():
    turn = Turn.tool_calls(WEATHER, text="Checking.", usage=USAGE)
    message = render_anthropic_json(turn, model="claude-x")

    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["model"] == "claude-x"
    assert message["content"] == [
        {"type": "text", "text": "Checking."},
        {
            "type": "tool_use",
            "id": "toolu_01",
            "name": "get_weather",
            "input": {"location": "Paris", "unit": "°C"},
        },
    ]
    assert message["stop_reason"] == "tool_use"
    assert message["stop_sequence"] is None
    assert message["usage"]["output_tokens"] == 64
    assert message["usage"]["cache_creation"]["ephemeral_5m_input_tokens"] == 1500


def test_stop_reason_and_model_can_be_overridden():
    turn = Turn.text("cut sh", stop_reason="max_tokens", model="pinned")
    assert render_anthropic_json(turn, model="asked")["stop_reason"] == "max_tokens"
    assert render_anthropic_json(turn, model="asked")["model"] == "pinned"
    assert render_openai_json(turn)["choices"][0]["finish_reason"] == "length"
    refusal = Turn.text("", stop_reason="refusal")
    assert render_anthropic_json(refusal)["content"] == [{"type": "text", "text": ""}]
    assert render_openai_json(refusal)["choices"][0]["finish_reason"] == "content_filter"


def test_error_bodies_are_shaped_per_provider():
    turn = Turn.error(529, "Overloaded")
    assert render_anthropic_json(turn) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": "req_fake",
    }
    quota = Turn.error(429, "no money", error_type="insufficient_quota", code="insufficient_quota")
    assert render_openai_json(quota) == {
        "error": {
            "message": "no money",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    assert render_openai_json(Turn.error(503, "down"))["error"]["type"] == "server_error"
    assert render_anthropic_json(Turn.error(429, "slow"))["error"]["type"] == "rate_limit_error"


# --- OpenAI -------------------------------------------------------------------


def test_openai_text_stream_has_role_content_finish_usage_and_done():
    chunks = openai_stream(render_openai_sse(Turn.text("Hello", chunks=2, usage=USAGE)))

    assert chunks[-1] == "[DONE]"
    first, *middle, finish, usage, _ = chunks
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert [c["choices"][0]["delta"] for c in middle] == [{"content": "Hel"}, {"content": "lo"}]
    assert finish["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert all(c["usage"] is None for c in [first, *middle, finish])
    assert usage["choices"] == []
    assert usage["usage"]["prompt_tokens"] == 21 + 1500 + 7
    assert usage["usage"]["prompt_tokens_details"] == {"cached_tokens": 7}
    assert usage["usage"]["completion_tokens"] == 64
    assert all(c["object"] == "chat.completion.chunk" for c in chunks[:-1])
    assert all(name == "message" for name, _ in sse_events(render_openai_sse(Turn.text("x"))))


def test_openai_stream_without_include_usage_has_no_usage_at_all():
    chunks = openai_stream(render_openai_sse(Turn.text("Hello"), include_usage=False))
    assert chunks[-1] == "[DONE]"
    assert all("usage" not in c and c["choices"] for c in chunks[:-1])


def test_openai_tool_call_fragments_name_the_call_only_in_the_first_one():
    turn = Turn.tool_calls(WEATHER, ToolCallSpec("noop"))
    chunks = openai_stream(render_openai_sse(turn))

    fragments = [
        call
        for c in chunks[:-1]
        for choice in c["choices"]
        for call in choice["delta"].get("tool_calls", [])
    ]
    heads = [f for f in fragments if "id" in f]
    assert heads[0] == {
        "index": 0,
        "id": "toolu_01",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert heads[1]["id"].startswith("call_") and heads[1]["index"] == 1
    rest = [f for f in fragments if "id" not in f]
    assert all(set(f) == {"index", "function"} for f in rest)
    assert all(set(f["function"]) == {"arguments"} for f in rest)
    summary = openai_summary(chunks)
    assert summary["tools"][0] == ("toolu_01", "get_weather", {"location": "Paris", "unit": "°C"})
    assert summary["tools"][1][1:] == ("noop", {})
    assert summary["finish_reason"] == "tool_calls"
    assert chunks[0]["choices"][0]["delta"]["content"] is None


def test_openai_json_completion():
    turn = Turn.tool_calls(WEATHER, text="Checking.", usage=USAGE)
    completion = render_openai_json(turn, model="gpt-x")

    assert completion["object"] == "chat.completion" and completion["model"] == "gpt-x"
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Checking."
    [call] = choice["message"]["tool_calls"]
    assert call["id"] == "toolu_01" and call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "Paris", "unit": "°C"}
    assert completion["usage"]["total_tokens"] == 21 + 1500 + 7 + 64
    assert "tool_calls" not in render_openai_json(Turn.text("x"))["choices"][0]["message"]


def test_finish_reason_can_be_forced_for_the_stop_with_tool_calls_quirk():
    turn = Turn.tool_calls(WEATHER, finish_reason="stop")
    assert openai_summary(openai_stream(render_openai_sse(turn)))["finish_reason"] == "stop"


def test_made_up_ids_are_stable_per_turn_and_differ_between_turns():
    turn = Turn.tool_calls(ToolCallSpec("a"))
    first = render_anthropic_json(turn)["content"][0]["id"]
    assert render_anthropic_json(turn.drip(0.1))["content"][0]["id"] == first
    assert render_anthropic_json(Turn.tool_calls(ToolCallSpec("a")))["content"][0]["id"] != first


# --- faults inside the stream -------------------------------------------------


def test_error_after_ends_the_anthropic_stream_with_an_error_event():
    turn = Turn.text("abcdef", chunks=6).error_after(4, "Overloaded")
    events = anthropic_stream(render_anthropic_sse(turn))

    assert len(events) == 5
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )


def test_error_after_ends_the_openai_stream_with_an_error_chunk():
    turn = Turn.text("abcdef", chunks=6).error_after(3, "boom", error_type="server_error")
    chunks = openai_stream(render_openai_sse(turn))

    assert len(chunks) == 4
    assert chunks[-1] == {
        "error": {"message": "boom", "type": "server_error", "param": None, "code": None}
    }


def test_truncated_streams_stop_before_the_terminator():
    anthropic = anthropic_stream(render_anthropic_sse(Turn.text("hi").truncated()))
    assert anthropic[-1][0] == "message_delta"
    openai = openai_stream(render_openai_sse(Turn.text("hi").truncated()))
    assert "[DONE]" not in openai and openai[-1]["choices"] == []
    early = anthropic_stream(render_anthropic_sse(Turn.text("hi").truncated(after_events=2)))
    assert [name for name, _ in early] == ["message_start", "content_block_start"]


def test_garbage_lines_are_inserted_after_the_given_event():
    body = render_anthropic_sse(Turn.text("hi").with_garbage(after_events=1))
    events = sse_events(body)
    assert events[1] == ("message", "{this is not json")
    assert b"\na junk line without a colon\n" in body
    custom = render_openai_sse(Turn.text("hi").with_garbage(b"data: nope", after_events=0))
    assert custom.startswith(b"data: nope\n\ndata: {")


def test_raw_and_error_turns_have_no_stream_rendering():
    with pytest.raises(ValueError, match="JSON body"):
        render_anthropic_sse(Turn.error(500, "x"))
    with pytest.raises(ValueError, match="raw"):
        render_openai_json(Turn.raw(b"{}"))


# --- bad scripts fail at once -------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Turn.text("x", chunks=0),
        lambda: Turn.text("x", json_fragment_size=0),
        lambda: Turn.error(99, "x"),
        lambda: Turn.text("x").cut(after_events=1, after_bytes=2),
        lambda: Turn.text("x").cut(after_events=1).hang(),
        lambda: Turn.text("x").split(),
        lambda: Turn.text("x").split([0]),
        lambda: Turn.text("x").split([]),
        lambda: Turn.text("x").drip(-1),
        lambda: Turn.tool_calls(),
    ],
)
def test_nonsense_turns_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


def test_tool_input_must_be_a_json_object():
    with pytest.raises(TypeError, match="mapping"):
        ToolCallSpec("read", ["a.txt"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON"):
        ToolCallSpec("read", {"when": object()})
