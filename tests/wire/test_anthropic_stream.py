import itertools
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tkach_sync.errors import ApiError, DeserializationError, Overloaded, ProviderError, RateLimited
from tkach_sync.events import ContentDelta, Done, MessageDelta, ToolUse, UsageReport
from tkach_sync.messages import (
    RedactedThinkingBlock,
    StopReason,
    ThinkingBlock,
    Usage,
)
from tkach_sync.providers._anthropic_wire import AnthropicStreamAccumulator, error_from_event

TRANSCRIPTS = [
    "anthropic_text.sse",
    "anthropic_tool_use.sse",
    "anthropic_parallel_tools.sse",
    "anthropic_thinking.sse",
    "anthropic_refusal.sse",
    "anthropic_max_tokens_tool.sse",
    "anthropic_error.sse",
    "anthropic_odd_blocks.sse",
]


def replay(frames, accumulator=None):
    """Every event the frames yield, then the error that ended them (None if they ended well)."""
    accumulator = accumulator or AnthropicStreamAccumulator()
    events = []
    try:
        for name, data in frames:
            events += accumulator.feed(name, data)
        events += accumulator.finish()
    except ProviderError as exc:
        return events, exc
    return events, None


@pytest.fixture
def play(transcript, frames):
    def run(name):
        accumulator = AnthropicStreamAccumulator()
        events, error = replay(frames([transcript(name)]), accumulator)
        return events, error, accumulator

    return run


def usage(input_tokens=0, output_tokens=0, cache_write=0, cache_read=0):
    return UsageReport(
        Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_creation_input_tokens=cache_write,
            cache_read_input_tokens=cache_read,
        )
    )


# --- the recorded transcripts ------------------------------------------------


def test_a_text_answer_streams_its_deltas_and_keeps_the_start_s_cache_counts(play):
    events, error, accumulator = play("anthropic_text.sse")

    assert error is None
    assert events == [
        usage(12, 1, cache_read=2048),
        ContentDelta("Kyiv is "),
        ContentDelta("12 °C — überall Sonne 🌤, "),
        ContentDelta("ясно."),
        usage(12, 17, cache_read=2048),
        MessageDelta(StopReason.END_TURN),
        Done(),
    ]
    assert accumulator.thinking() == []


def test_a_tool_call_comes_out_whole_at_its_block_stop(play):
    events, error, accumulator = play("anthropic_tool_use.sse")

    call = ToolUse(
        "toolu_01GrepDefMain",
        "grep",
        {"pattern": "def main\\(", "glob": "*.py", "note": "naïve café ✓"},
    )
    assert error is None
    assert events == [
        usage(377, 1),
        ContentDelta("I'll search the code for that."),
        call,
        usage(377, 65),
        MessageDelta(StopReason.TOOL_USE),
        Done(),
    ]
    assert accumulator.thinking() == []


def test_parallel_calls_come_out_in_order_and_a_call_without_deltas_has_empty_input(play):
    events, error, _ = play("anthropic_parallel_tools.sse")

    assert error is None
    assert events == [
        usage(410, 1, cache_write=1500),
        ContentDelta("Reading both files."),
        ToolUse("toolu_01ReadA", "read", {"file_path": "a.py"}),
        ToolUse("toolu_01ListB", "list_files", {}),
        usage(410, 88, cache_write=1500),
        MessageDelta(StopReason.TOOL_USE),
        Done(),
    ]


def test_thinking_is_kept_for_the_content_but_not_streamed_as_text(play):
    events, error, accumulator = play("anthropic_thinking.sse")

    assert error is None
    assert [e for e in events if isinstance(e, ContentDelta)] == [
        ContentDelta("17 times 23 = "),
        ContentDelta("391."),
    ]
    thinking = "The user asks for 17 times 23. 17 times 23 = 391."
    assert accumulator.thinking() == [
        ThinkingBlock(thinking=thinking, signature="EqQBCgIYAhIMsig+Fake=="),
    ]


def test_a_refusal_ends_with_its_stop_reason_and_no_empty_text_block(play):
    events, error, accumulator = play("anthropic_refusal.sse")

    assert error is None
    assert events == [usage(30, 1), usage(30, 0), MessageDelta(StopReason.REFUSAL), Done()]
    assert accumulator.thinking() == []


def test_a_tool_call_cut_by_max_tokens_is_dropped(play):
    events, error, accumulator = play("anthropic_max_tokens_tool.sse")

    assert error is None
    assert not [e for e in events if isinstance(e, ToolUse)]
    assert events[-2:] == [MessageDelta(StopReason.MAX_TOKENS), Done()]
    assert accumulator.thinking() == []


def test_a_mid_stream_overload_raises_overloaded_after_the_partial_text(play):
    events, error, accumulator = play("anthropic_error.sse")

    assert events == [usage(50, 1), ContentDelta("Partial ans")]
    assert isinstance(error, Overloaded)
    assert (error.status, error.error_type, error.message) == (
        529,
        "overloaded_error",
        "Overloaded",
    )
    assert error.is_retryable
    assert accumulator.thinking() == []


def test_server_tools_citations_and_unknown_events_pass_without_harm(play):
    events, error, accumulator = play("anthropic_odd_blocks.sse")

    assert error is None
    assert [e for e in events if not isinstance(e, UsageReport)] == [
        ContentDelta("Sunny, "),
        ContentDelta("12 °C."),
        MessageDelta(StopReason.END_TURN),
        Done(),
    ]
    assert accumulator.thinking() == [RedactedThinkingBlock(data="EmwKAhgBEgyRedacted==")]


def test_a_stream_without_message_stop_ends_once_the_stop_reason_came(transcript, frames):
    cut = [f for f in frames([transcript("anthropic_tool_use.sse")]) if f[0] != "message_stop"]

    events, error = replay(cut)

    assert error is None
    assert events[-2:] == [MessageDelta(StopReason.TOOL_USE), Done()]


@pytest.mark.parametrize("keep", [0, 1, 3, 8, 12])
def test_a_stream_cut_before_the_stop_reason_is_a_deserialization_error(transcript, frames, keep):
    cut = frames([transcript("anthropic_tool_use.sse")])[:keep]

    _events, error = replay(cut)

    assert isinstance(error, DeserializationError)
    assert "ended before the message was complete" in str(error)


def test_a_body_cut_mid_event_is_an_error_not_a_skipped_event(transcript, frames):
    body = transcript("anthropic_tool_use.sse")
    cut = body[: body.index(b'partial_json":"{') + 12]  # sseclient still dispatches the stub

    _events, error = replay(frames([cut]))

    assert isinstance(error, DeserializationError)
    assert "content_block_delta event is not valid JSON" in str(error)


def test_finish_after_the_end_adds_nothing():
    accumulator = AnthropicStreamAccumulator()
    for name, data in _minimal():
        accumulator.feed(name, data)

    assert accumulator.finish() == []
    assert accumulator.finish() == []


# --- hand-built event sequences ----------------------------------------------


def ev(kind, **fields):
    return kind, json.dumps({"type": kind, **fields})


START = ev("message_start", message={"id": "m", "content": [], "usage": {"input_tokens": 4}})


def tool_start(index=0, tool_id="toolu_1", name="grep"):
    block = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
    return ev("content_block_start", index=index, content_block=block)


def delta(index, **fields):
    return ev("content_block_delta", index=index, delta=fields)


def stop(index):
    return ev("content_block_stop", index=index)


def message_delta(reason, **usage_counts):
    return ev("message_delta", delta={"stop_reason": reason}, usage=usage_counts or None)


def _minimal():
    return [START, message_delta("end_turn", output_tokens=2), ev("message_stop")]


def test_a_tool_call_open_at_message_delta_is_finished_unless_max_tokens_cut_it():
    frames = [
        START,
        tool_start(),
        delta(0, type="input_json_delta", partial_json='{"a": 1}'),
        message_delta("tool_use"),
    ]

    events, error = replay(frames)

    assert error is None
    assert ToolUse("toolu_1", "grep", {"a": 1}) in events


def test_a_message_delta_with_full_cumulative_usage_replaces_every_count():
    frames = [
        START,
        message_delta("end_turn", input_tokens=9, output_tokens=3, cache_read_input_tokens=2),
    ]

    events, _ = replay(frames)

    assert events[1] == usage(9, 3, cache_read=2)


def test_ping_and_unknown_events_are_ignored_even_after_the_end():
    frames = [*_minimal(), ("ping", '{"type": "ping"}'), ("future_event", "not even json")]

    events, error = replay(frames)

    assert error is None
    assert events[-1] == Done()


@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        (("content_block_delta", "{not json"), "content_block_delta event is not valid JSON"),
        (("content_block_delta", "[1]"), "should be a JSON object, got an array"),
        (ev("message_start", message={}), "second message_start"),
        (("content_block_stop", '{"type":"message_stop","index":0}'), "carried a 'message_stop'"),
        (delta(5, type="text_delta", text="x"), "content block 5, which never started"),
        (stop(7), "content block 7, which never started"),
        (tool_start(), "content block 0 started twice"),
        (
            delta(0, type="text_delta", text="x"),
            "a text_delta came for content block 0, a tool_use",
        ),
        (delta(0, type="input_json_delta"), "partial_json should be a string"),
        (delta(0, type=7), r"delta\.type should be a string"),
        (ev("content_block_delta", index=0), r"delta should be a JSON object, got null"),
        (ev("content_block_delta", index=-1, delta={}), "index should be a non-negative integer"),
        (ev("content_block_delta", index="0", delta={}), "index should be a non-negative integer"),
        (ev("content_block_start", index=1), "content_block should be a JSON object"),
        (ev("content_block_start", index=1, content_block={"type": "tool_use", "id": "t"}), "name"),
        (ev("content_block_start", index=1, content_block={"type": "redacted_thinking"}), "data"),
        (ev("message_delta", delta={"stop_reason": 1}), "stop_reason should be a string"),
        (ev("message_delta", delta={}, usage={"output_tokens": "9"}), "token count"),
        (ev("message_delta", usage={}), r"message_delta\.delta should be a JSON object"),
    ],
)
def test_protocol_breaches_are_deserialization_errors(bad, complaint):
    accumulator = AnthropicStreamAccumulator()
    accumulator.feed(*START)
    accumulator.feed(*tool_start())

    with pytest.raises(DeserializationError, match=complaint):
        accumulator.feed(*bad)


@pytest.mark.parametrize(
    ("partial_json", "complaint"),
    [
        ('{"pattern": "x"', r"input of tool call 'grep' \(toolu_1\) is not valid JSON"),
        ('["x"]', r"input of tool call 'grep' \(toolu_1\) is not a JSON object"),
        ('"x"', "is not a JSON object"),
        ("[" * 100_000, "nested too deeply|not valid JSON"),
    ],
)
def test_tool_input_that_is_not_a_json_object_names_the_tool(partial_json, complaint):
    frames = [START, tool_start(), delta(0, type="input_json_delta", partial_json=partial_json)]

    events, error = replay([*frames, stop(0)])

    assert isinstance(error, DeserializationError)
    assert re.search(complaint, str(error))
    assert not [e for e in events if isinstance(e, ToolUse)]


def test_a_block_stopped_twice_is_a_deserialization_error():
    _events, error = replay([START, tool_start(), stop(0), stop(0)])

    assert isinstance(error, DeserializationError)
    assert "content block 0, which already stopped" in str(error)


def test_content_after_message_stop_is_a_deserialization_error():
    _events, error = replay([*_minimal(), tool_start()])

    assert isinstance(error, DeserializationError)
    assert "content_block_start event came after message_stop" in str(error)


# --- error events ------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_type", "cls", "status", "retryable"),
    [
        ("overloaded_error", Overloaded, 529, True),
        ("rate_limit_error", RateLimited, 429, True),
        ("api_error", ApiError, 500, True),
        ("timeout_error", ApiError, 504, True),
        ("invalid_request_error", ApiError, 400, False),
        ("authentication_error", ApiError, 401, False),
        ("permission_error", ApiError, 403, False),
        ("not_found_error", ApiError, 404, False),
        ("request_too_large", ApiError, 413, False),
        ("billing_error", ApiError, 402, False),
        ("brand_new_error", ApiError, 200, False),
        (None, ApiError, 200, False),
    ],
)
def test_error_events_map_to_the_error_the_same_http_answer_gives(
    error_type, cls, status, retryable
):
    error = error_from_event(error_type, "boom")

    assert type(error) is cls
    assert (error.status, error.error_type, error.is_retryable) == (status, error_type, retryable)
    assert error.message == "boom"


@pytest.mark.parametrize(
    ("data", "error_type", "message"),
    [
        ('{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
         "rate_limit_error", "slow down"),
        ('{"type":"error","error":{"type":"api_error"}}', "api_error", '{"type":"error"'),
        ('{"type":"error","error":"boom"}', None, '{"type":"error","error":"boom"}'),
        ("upstream exploded", None, "upstream exploded"),
    ],
)  # fmt: skip
def test_an_error_event_of_any_shape_raises_an_api_error(data, error_type, message):
    accumulator = AnthropicStreamAccumulator()

    with pytest.raises(ApiError) as caught:
        accumulator.feed("error", data)

    assert caught.value.error_type == error_type
    assert caught.value.message.startswith(message)


# --- any chunking, any mutation ----------------------------------------------


def outcome(frames):
    events, error = replay(frames)
    return events, None if error is None else (type(error), str(error))


def chunked(data, cuts):
    points = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


@pytest.mark.parametrize("name", TRANSCRIPTS)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_one_byte_at_a_time_gives_the_same_events(transcript, frames, name, newline):
    data = transcript(name).replace(b"\n", newline)

    whole = outcome(frames([data]))

    assert outcome(frames([data[i : i + 1] for i in range(len(data))])) == whole
    assert whole[0]  # the transcript yields events at all


@pytest.mark.parametrize("name", TRANSCRIPTS)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
@settings(max_examples=40)
@given(cuts=st.lists(st.floats(0, 1), max_size=40))
def test_any_chunking_gives_the_same_events(transcript, frames, name, newline, cuts):
    data = transcript(name).replace(b"\n", newline)
    positions = [int(c * len(data)) for c in cuts]

    assert outcome(frames(chunked(data, positions))) == outcome(frames([data]))


def assert_sound(events, accumulator):
    """What any input may yield: whole tool calls with object inputs, and buildable thinking."""
    for event in events:
        if isinstance(event, ToolUse):
            assert isinstance(event.input, dict)
    accumulator.thinking()


@pytest.mark.parametrize("name", TRANSCRIPTS)
@settings(max_examples=60)
@given(data=st.data())
def test_mangled_text_raises_only_provider_errors(transcript, frames, mangled_text, name, data):
    text = data.draw(mangled_text(transcript(name).decode()))
    accumulator = AnthropicStreamAccumulator()

    events, _error = replay(frames([text.encode()]), accumulator)

    assert_sound(events, accumulator)


@pytest.mark.parametrize("name", TRANSCRIPTS)
@settings(max_examples=150)
@given(data=st.data())
def test_mangled_events_raise_only_provider_errors(transcript, frames, mangled_frames, name, data):
    mangled = data.draw(mangled_frames(frames([transcript(name)])))
    accumulator = AnthropicStreamAccumulator()

    events, _error = replay(mangled, accumulator)

    assert_sound(events, accumulator)


@settings(max_examples=200)
@given(text=st.text(max_size=300))
def test_random_text_raises_only_provider_errors(frames, text):
    accumulator = AnthropicStreamAccumulator()

    events, _error = replay(frames([text.encode()]), accumulator)

    assert_sound(events, accumulator)
