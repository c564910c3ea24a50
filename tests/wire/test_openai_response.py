import pytest

from tkach_sync.errors import ApiError, DeserializationError, Overloaded, RateLimited
from tkach_sync.messages import StopReason, TextBlock, ThinkingBlock, ToolUseBlock, Usage
from tkach_sync.providers._openai_wire import (
    error_from_payload,
    parse_arguments,
    parse_openai_response,
)


def completion(message=None, finish_reason="stop", **fields):
    body = {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-x",
        "choices": [
            {
                "index": 0,
                "message": message or {"role": "assistant", "content": "hi", "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 30, "total_tokens": 50},
    }
    body.update(fields)
    return body


def calls(*arguments, content=None):
    tool_calls = [
        {"id": f"call_{chr(65 + i)}", "type": "function", "function": {"name": "f", "arguments": a}}
        for i, a in enumerate(arguments)
    ]
    return {"role": "assistant", "content": content, "tool_calls": tool_calls}


def test_text_and_tool_calls_parse_whole_with_cached_tokens_split_out():
    response = parse_openai_response(
        completion(
            calls('{"location":"Paris"}', "", content="Checking."),
            "tool_calls",
            usage={
                "prompt_tokens": 1200,
                "completion_tokens": 30,
                "total_tokens": 1230,
                "prompt_tokens_details": {"cached_tokens": 1024},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        )
    )

    assert response.content == [
        TextBlock("Checking."),
        ToolUseBlock("call_A", "f", {"location": "Paris"}),
        ToolUseBlock("call_B", "f", {}),
    ]
    assert response.stop_reason is StopReason.TOOL_USE
    assert response.usage == Usage(input_tokens=176, output_tokens=30, cache_read_input_tokens=1024)


def test_reasoning_content_comes_first_as_an_unsigned_thinking_block():
    message = calls('{"q":1}', content="Looking.") | {"reasoning_content": "Use the tool."}
    response = parse_openai_response(completion(message, "tool_calls"))

    assert response.content == [
        ThinkingBlock(thinking="Use the tool."),
        TextBlock("Looking."),
        ToolUseBlock("call_A", "f", {"q": 1}),
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"reasoning": "vLLM's name."}, "vLLM's name."),
        ({"reasoning_content": "DeepSeek's.", "reasoning": "an alias"}, "DeepSeek's."),
        ({"reasoning": {"effort": "high"}}, None),  # not reasoning text: ignored
    ],
)
def test_reasoning_is_read_under_either_name(fields, expected):
    response = parse_openai_response(completion({"role": "assistant", "content": "Hi"} | fields))
    thinking = [ThinkingBlock(thinking=expected)] if expected else []
    assert response.content == [*thinking, TextBlock("Hi")]


def test_a_refusal_is_the_text_and_the_stop_reason():
    message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    response = parse_openai_response(completion(message, "stop"))

    assert response.content == [TextBlock("I can't help with that.")]
    assert response.stop_reason is StopReason.REFUSAL


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, Usage()),
        ({}, Usage()),
        ({"prompt_tokens": 9, "prompt_tokens_details": None}, Usage(input_tokens=9)),
        (
            {"prompt_tokens": 90, "prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 26},
            Usage(input_tokens=26, cache_read_input_tokens=64),
        ),
        ({"completion_tokens": 4, "cost": 0.01}, Usage(output_tokens=4)),
    ],
)
def test_every_usage_field_is_optional(usage, expected):
    assert parse_openai_response(completion(usage=usage)).usage == expected


@pytest.mark.parametrize(
    ("finish_reason", "with_calls", "expected"),
    [
        ("stop", False, StopReason.END_TURN),
        ("stop", True, StopReason.TOOL_USE),
        ("length", False, StopReason.MAX_TOKENS),
        ("tool_calls", True, StopReason.TOOL_USE),
        ("function_call", True, StopReason.TOOL_USE),
        ("content_filter", False, StopReason.REFUSAL),
        ("stop_sequence", False, StopReason.STOP_SEQUENCE),
        (None, True, StopReason.TOOL_USE),
        (None, False, StopReason.END_TURN),
        ("insufficient_system_resource", False, StopReason.END_TURN),
        ("eos", True, StopReason.TOOL_USE),
    ],
)
def test_finish_reasons_map_and_missing_ones_are_inferred(finish_reason, with_calls, expected):
    message = calls("{}") if with_calls else None

    response = parse_openai_response(completion(message, finish_reason))

    assert response.stop_reason is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a":1}', {"a": 1}),
        ('  {"a": 1}\n', {"a": 1}),
        ("", {}),
        ("   ", {}),
        (None, {}),
        ({"a": 1}, {"a": 1}),
        ('{"a":1}{"a":1}', {"a": 1}),
        ('{"a":1} {"a": 1}', {"a": 1}),
        ('"{\\"a\\":1}"', {"a": 1}),
        ('{"a":1}{"a":2}', None),
        ('{"a":1}{"a":1}{"a":1}', None),
        ("{}" * 5000, None),
        ("[" * 100_000, None),
        ('{"a":1} trailing', None),
        ('{"a":', None),
        ('{{"a":1}', None),
        ("[1, 2]", None),
        ('"text"', None),
        ("42", None),
        (42, None),
        (["a"], None),
    ],
)
def test_tool_arguments_become_an_object_or_nothing(raw, expected):
    assert parse_arguments(raw) == expected


def test_unusable_arguments_reach_the_history_as_an_empty_object():
    response = parse_openai_response(completion(calls('{"a":1} trailing'), "tool_calls"))

    assert response.tool_uses == [ToolUseBlock("call_A", "f", {})]


def test_a_tool_call_without_an_id_gets_one_by_position():
    message = {"role": "assistant", "tool_calls": [{"function": {"name": "ls", "arguments": "{}"}}]}

    assert parse_openai_response(completion(message)).tool_uses == [
        ToolUseBlock("call_0", "ls", {})
    ]


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "the response should be a JSON object, got an array"),
        (completion(choices=[]), "the response has no choices"),
        (completion(choices=None), "choices should be a JSON array, got null"),
        (completion(choices=["x"]), r"choices\[0\] should be a JSON object"),
        (completion(choices=[{"finish_reason": "stop"}]), r"choices\[0\]\.message should be"),
        (completion({"content": 5}), r"message\.content should be a string, got an integer"),
        (completion({"tool_calls": {}}), r"message\.tool_calls should be a JSON array"),
        (completion({"tool_calls": [3]}), r"tool_calls\[0\] should be a JSON object"),
        (completion({"tool_calls": [{"id": "a"}]}), r"tool_calls\[0\]\.function should be"),
        (completion({"tool_calls": [{"function": {}}]}), r"tool_calls\[0\]\.function\.name"),
        (completion({"tool_calls": [{"id": 1, "function": {"name": "f"}}]}), r"\.id should be"),
        (completion(finish_reason=0), "finish_reason should be a string"),
        (completion(usage="lots"), "usage should be a JSON object"),
        (completion(usage={"prompt_tokens": "9"}), r"usage\.prompt_tokens should be a token count"),
        (completion(usage={"prompt_tokens_details": 3}), "prompt_tokens_details should be"),
    ],
)
def test_every_malformed_shape_is_a_deserialization_error(data, complaint):
    with pytest.raises(DeserializationError, match=complaint):
        parse_openai_response(data)


# --- errors that came with a 200 ---------------------------------------------


@pytest.mark.parametrize(
    ("payload", "cls", "status", "error_type", "retryable"),
    [
        ({"error": {"message": "m", "type": "requests", "code": "rate_limit_exceeded"}},
         RateLimited, 429, "requests", True),
        ({"error": {"message": "m", "type": "insufficient_quota", "code": "insufficient_quota"}},
         ApiError, 429, "insufficient_quota", False),
        ({"error": {"message": "m", "type": "server_error"}}, ApiError, 500, "server_error", True),
        ({"error": {"message": "m", "code": "server_error"}}, ApiError, 500, "server_error", True),
        ({"error": {"message": "m", "type": "overloaded_error"}},
         Overloaded, 503, "overloaded_error", True),
        ({"error": {"message": "m", "code": 503}}, Overloaded, 503, None, True),
        ({"error": {"message": "m", "code": 429}}, RateLimited, 429, None, True),
        ({"error": {"message": "m", "code": 502, "metadata": {}}}, ApiError, 502, None, True),
        ({"error": {"message": "m", "code": 402}}, ApiError, 402, None, False),
        ({"error": {"message": "m", "type": "invalid_request_error", "code": "bad_param"}},
         ApiError, 400, "invalid_request_error", False),
        ({"object": "error", "message": "m", "type": "BadRequestError", "code": 400},
         ApiError, 400, "BadRequestError", False),
        ({"error": {"message": "m"}}, ApiError, 200, None, False),
        ({"error": {"message": "m", "type": "brand_new"}}, ApiError, 200, "brand_new", False),
    ],
)  # fmt: skip
def test_errors_in_a_200_map_to_the_error_the_same_http_answer_gives(
    payload, cls, status, error_type, retryable
):
    with pytest.raises(ApiError) as caught:
        parse_openai_response(payload)

    error = caught.value
    assert type(error) is cls
    assert (error.status, error.error_type, error.is_retryable) == (status, error_type, retryable)
    assert error.message == "m"


def test_an_error_given_as_a_bare_string_keeps_its_text():
    assert error_from_payload({"error": "upstream timed out"}).message == "upstream timed out"


def test_a_finish_reason_of_error_raises_even_without_an_error_object():
    with pytest.raises(ApiError, match="ended the answer with an error"):
        parse_openai_response(completion(finish_reason="error"))
