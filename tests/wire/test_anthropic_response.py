import pytest

from tkach_sync.errors import ApiError, DeserializationError, Overloaded
from tkach_sync.messages import (
    RedactedThinkingBlock,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from tkach_sync.providers._anthropic_wire import parse_anthropic_response


def answer(**fields):
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    }
    message.update(fields)
    return message


def test_a_thinking_text_and_tool_answer_parses_whole():
    response = parse_anthropic_response(
        answer(
            content=[
                {"type": "thinking", "thinking": "weather?", "signature": "EqQB"},
                {"type": "redacted_thinking", "data": "EmwK"},
                {"type": "text", "text": "Checking.", "citations": None},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"location": "Paris"},
                    "caller": {"type": "direct"},
                },
            ],
            stop_reason="tool_use",
            usage={
                "input_tokens": 21,
                "cache_creation_input_tokens": 1500,
                "cache_read_input_tokens": 7,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": 1000,
                    "ephemeral_1h_input_tokens": 500,
                },
                "output_tokens": 64,
                "service_tier": "standard",
            },
        )
    )

    assert response.content == [
        ThinkingBlock(thinking="weather?", signature="EqQB"),
        RedactedThinkingBlock(data="EmwK"),
        TextBlock("Checking."),
        ToolUseBlock("toolu_1", "get_weather", {"location": "Paris"}),
    ]
    assert response.stop_reason is StopReason.TOOL_USE
    assert response.usage == Usage(
        input_tokens=21,
        output_tokens=64,
        cache_creation_input_tokens=1500,
        cache_read_input_tokens=7,
        cache_creation_1h_input_tokens=500,
    )


def test_server_tool_blocks_and_empty_text_are_skipped():
    response = parse_anthropic_response(
        answer(
            content=[
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "text", "text": ""},
                {"type": "text", "text": "Sunny.", "citations": [{"type": "char_location"}]},
            ]
        )
    )

    assert response.content == [TextBlock("Sunny.")]


@pytest.mark.parametrize(
    ("wire", "tools", "expected"),
    [
        ("end_turn", False, StopReason.END_TURN),
        ("tool_use", True, StopReason.TOOL_USE),
        ("max_tokens", False, StopReason.MAX_TOKENS),
        ("stop_sequence", False, StopReason.STOP_SEQUENCE),
        ("pause_turn", False, StopReason.PAUSE_TURN),
        ("refusal", False, StopReason.REFUSAL),
        ("model_context_window_exceeded", False, StopReason.MAX_TOKENS),
        ("something_new", False, StopReason.END_TURN),
        ("something_new", True, StopReason.TOOL_USE),
        ("cancelled", False, StopReason.END_TURN),
        (None, True, StopReason.TOOL_USE),
    ],
)
def test_stop_reasons_map_and_unknown_ones_are_inferred(wire, tools, expected):
    content = [{"type": "tool_use", "id": "t", "name": "n", "input": {}}] if tools else []

    response = parse_anthropic_response(answer(content=content, stop_reason=wire))

    assert response.stop_reason is expected


@pytest.mark.parametrize(
    "usage",
    [None, {}, {"input_tokens": 5}, {"input_tokens": 5, "cache_read_input_tokens": None}],
)
def test_every_usage_field_is_optional(usage):
    response = parse_anthropic_response(answer(usage=usage))

    assert response.usage.output_tokens == 0
    assert response.usage.cache_read_input_tokens == 0


def test_a_missing_usage_reads_as_zero():
    message = answer()
    del message["usage"]

    assert parse_anthropic_response(message).usage == Usage()


def test_a_tool_use_without_input_gets_an_empty_one():
    response = parse_anthropic_response(
        answer(content=[{"type": "tool_use", "id": "t", "name": "ls"}], stop_reason="tool_use")
    )

    assert response.tool_uses == [ToolUseBlock("t", "ls", {})]


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "the response should be a JSON object, got an array"),
        ("text", "the response should be a JSON object"),
        (answer(content=None), "content should be a JSON array, got null"),
        (answer(content={"type": "text"}), "content should be a JSON array"),
        (answer(content=["hi"]), r"content\[0\] should be a JSON object"),
        (answer(content=[{"text": "hi"}]), r"content\[0\]\.type should be a string"),
        (answer(content=[{"type": "text"}]), r"content\[0\]\.text should be a string, got null"),
        (
            answer(content=[{"type": "text", "text": 5}]),
            r"\.text should be a string, got an integer",
        ),
        (answer(content=[{"type": "tool_use", "name": "n", "input": {}}]), r"\.id should be"),
        (answer(content=[{"type": "tool_use", "id": "t", "name": "n", "input": "{}"}]), "input"),
        (answer(content=[{"type": "tool_use", "id": "t", "name": 1, "input": {}}]), r"\.name"),
        (answer(content=[{"type": "thinking", "signature": "s"}]), r"\.thinking should be"),
        (answer(content=[{"type": "redacted_thinking"}]), r"\.data should be"),
        (answer(stop_reason=3), "stop_reason should be a string"),
        (answer(usage=[1]), "usage should be a JSON object"),
        (answer(usage={"input_tokens": "12"}), r"usage\.input_tokens should be a token count"),
        (answer(usage={"output_tokens": -1}), "token count"),
        (answer(usage={"output_tokens": 1.5}), "token count"),
        (answer(usage={"output_tokens": True}), "token count"),
    ],
)
def test_every_malformed_shape_is_a_deserialization_error(data, complaint):
    with pytest.raises(DeserializationError, match=complaint):
        parse_anthropic_response(data)


def test_an_error_body_that_came_with_a_200_raises_the_api_error():
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

    with pytest.raises(Overloaded) as caught:
        parse_anthropic_response(body)

    assert caught.value.status == 529
    assert caught.value.is_retryable


def test_a_malformed_error_body_still_raises_an_api_error():
    with pytest.raises(ApiError, match="an error came with a success status"):
        parse_anthropic_response({"type": "error", "error": "nope"})
