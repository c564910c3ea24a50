import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tkach_sync.errors import ApiError, DeserializationError, Overloaded, ProviderError, RateLimited
from tkach_sync.events import ContentDelta, Done, MessageDelta, ToolUse, UsageReport
from tkach_sync.messages import StopReason, ThinkingBlock, Usage
from tkach_sync.providers._openai_wire import OpenAIStreamAccumulator

TRANSCRIPTS = [
    "openai_text.sse",
    "openai_parallel_tools.sse",
    "openai_ollama_whole.sse",
    "openai_missing_index.sse",
    "openai_missing_id.sse",
    "openai_repeated_id.sse",
    "openai_same_index.sse",
    "openai_error_chunk.sse",
    "openai_reasoning_groq.sse",
    "openai_duplicated_args.sse",
]


def replay(payloads, accumulator=None):
    """Every event the data payloads yield, then the error that ended them (None if none)."""
    accumulator = accumulator or OpenAIStreamAccumulator()
    events = []
    try:
        for data in payloads:
            events += accumulator.feed(data)
        events += accumulator.finish()
    except ProviderError as exc:
        return events, exc
    return events, None


@pytest.fixture
def play(transcript, frames):
    def run(name):
        return replay([data for _event, data in frames([transcript(name)])])

    return run


def tail(reason, **usage):
    """What every good answer ends with."""
    return [UsageReport(Usage(**usage)), MessageDelta(reason), Done()]


# --- the recorded transcripts ------------------------------------------------


def test_a_text_answer_streams_its_deltas_then_the_final_usage(play):
    events, error = play("openai_text.sse")

    assert error is None
    assert events == [
        ContentDelta("Kyiv is "),
        ContentDelta("12 °C — "),
        ContentDelta("sunny 🌤, ясно."),
        *tail(StopReason.END_TURN, input_tokens=176, output_tokens=9, cache_read_input_tokens=1024),
    ]


def test_interleaved_parallel_calls_come_out_whole_in_index_order(play):
    events, error = play("openai_parallel_tools.sse")

    assert error is None
    assert events == [
        ToolUse("call_A1", "get_weather", {"location": "Zürich"}),
        ToolUse("call_B2", "get_time", {"tz": "UTC"}),
        *tail(StopReason.TOOL_USE, input_tokens=20, output_tokens=30),
    ]


def test_whole_argument_calls_that_finish_with_stop_are_tool_use(play):
    events, error = play("openai_ollama_whole.sse")

    assert error is None
    assert events == [
        ToolUse("call_k3j2", "read", {"file_path": "README.md", "limit": 40}),
        ToolUse("call_p9x1", "glob", {"pattern": "**/*.py"}),
        *tail(StopReason.TOOL_USE),
    ]


def test_fragments_without_an_index_continue_the_last_call_until_a_new_id(play):
    events, error = play("openai_missing_index.sse")

    assert error is None
    assert events == [
        ToolUse("call_g1", "read", {"file_path": "a.py"}),
        ToolUse("call_g2", "read", {"file_path": "b.py"}),
        *tail(StopReason.TOOL_USE),
    ]


def test_calls_without_an_id_get_one_by_position(play):
    events, error = play("openai_missing_id.sse")

    assert error is None
    assert events[:2] == [
        ToolUse("call_0", "bash", {"command": "ls"}),
        ToolUse("call_1", "bash", {"command": "pwd"}),
    ]


def test_an_id_and_name_repeated_in_every_fragment_are_not_concatenated(play):
    events, error = play("openai_repeated_id.sse")

    assert error is None
    assert events[0] == ToolUse(
        "call_rep", "edit", {"file_path": "x.py", "old_string": "a", "new_string": "b"}
    )
    assert len([e for e in events if isinstance(e, ToolUse)]) == 1


def test_calls_all_sent_at_index_zero_are_told_apart_by_their_ids(play):
    events, error = play("openai_same_index.sse")

    assert error is None
    assert events[:2] == [
        ToolUse("call_one", "read", {"file_path": "a.py"}),
        ToolUse("call_two", "read", {"file_path": "b.py"}),
    ]


def test_an_error_chunk_raises_after_the_partial_text(play):
    events, error = play("openai_error_chunk.sse")

    assert events == [ContentDelta("The answer st")]
    assert type(error) is ApiError
    assert (error.status, error.error_type, error.is_retryable) == (500, "server_error", True)
    assert error.message == "Provider disconnected unexpectedly"


def test_reasoning_is_kept_apart_from_the_text_and_groq_usage_is_read(transcript, frames):
    accumulator = OpenAIStreamAccumulator()
    events, error = replay(
        [data for _, data in frames([transcript("openai_reasoning_groq.sse")])], accumulator
    )

    assert error is None
    assert events == [
        ContentDelta("Hi"),
        ContentDelta(" there!"),
        *tail(StopReason.END_TURN, input_tokens=31, output_tokens=12),
    ]
    assert accumulator.thinking() == [ThinkingBlock(thinking="The user wants a greeting.")]


def test_duplicated_arguments_keep_one_copy_and_garbage_becomes_an_empty_input(play):
    events, error = play("openai_duplicated_args.sse")

    assert error is None
    assert events[:3] == [
        ToolUse("call_dup", "grep", {"pattern": "TODO"}),
        ToolUse("call_bad", "grep", {}),
        ToolUse("call_empty", "list_files", {}),
    ]


def test_a_stream_without_done_is_flushed_once_a_finish_reason_came(transcript, frames):
    payloads = [d for _e, d in frames([transcript("openai_parallel_tools.sse")]) if d != "[DONE]"]

    events, error = replay(payloads)

    assert error is None
    assert events[-2:] == [MessageDelta(StopReason.TOOL_USE), Done()]
    assert len([e for e in events if isinstance(e, ToolUse)]) == 2


@pytest.mark.parametrize("keep", [0, 1, 4, 7])
def test_a_stream_cut_before_its_finish_reason_is_a_deserialization_error(transcript, frames, keep):
    payloads = [d for _e, d in frames([transcript("openai_parallel_tools.sse")])][:keep]

    _events, error = replay(payloads)

    assert isinstance(error, DeserializationError)
    assert "ended before the answer was complete" in str(error)


@pytest.mark.parametrize("marker", [b'arguments":"{\\"tz', b"data: [DO"])
def test_a_body_cut_mid_event_is_an_error_not_a_skipped_event(transcript, frames, marker):
    body = transcript("openai_parallel_tools.sse")
    cut = body[: body.index(marker) + len(marker)]  # sseclient still dispatches the stub

    _events, error = replay(data_of(frames([cut])))

    assert isinstance(error, DeserializationError)
    assert "a stream chunk is not valid JSON" in str(error)


# --- hand-built chunks -------------------------------------------------------


def chunk(delta=None, finish_reason=None, **fields):
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish_reason}
    return json.dumps({"object": "chat.completion.chunk", "choices": [choice], **fields})


def call(**fields):
    return chunk({"tool_calls": [fields]})


def test_a_refusal_streams_as_text_and_stops_as_a_refusal():
    events, error = replay(
        [
            chunk({"role": "assistant", "content": None, "refusal": ""}),
            chunk({"refusal": "I can't help "}),
            chunk({"refusal": "with that."}),
            chunk(finish_reason="stop"),
            "[DONE]",
        ]
    )
    assert error is None
    assert events == [
        ContentDelta("I can't help "),
        ContentDelta("with that."),
        *tail(StopReason.REFUSAL),
    ]


def test_reasoning_under_its_newer_name_is_kept_too():
    accumulator = OpenAIStreamAccumulator()
    replay(
        [
            chunk({"role": "assistant", "reasoning": "Say "}),
            chunk({"reasoning": "hi."}),
            chunk({"content": "Hi"}, finish_reason="stop"),
            "[DONE]",
        ],
        accumulator,
    )
    assert accumulator.thinking() == [ThinkingBlock(thinking="Say hi.")]


def test_an_answer_without_reasoning_has_no_thinking():
    accumulator = OpenAIStreamAccumulator()
    replay([chunk({"content": "Hi"}, finish_reason="stop"), "[DONE]"], accumulator)
    assert accumulator.thinking() == []


def test_a_call_cut_by_the_length_limit_is_dropped_and_a_whole_one_kept():
    payloads = [
        call(index=0, id="a", function={"name": "read", "arguments": '{"path": "x"}'}),
        call(index=1, id="b", function={"name": "write", "arguments": '{"path": "y", "cont'}),
        chunk(finish_reason="length"),
        "[DONE]",
    ]

    events, error = replay(payloads)

    assert error is None
    assert events == [ToolUse("a", "read", {"path": "x"}), *tail(StopReason.MAX_TOKENS)]


def test_fragments_without_index_or_id_split_where_a_named_call_follows_a_complete_one():
    payloads = [
        call(function={"name": "read", "arguments": '{"path": "a"}'}),
        call(function={"name": "read", "arguments": '{"path": "b"}'}),
        call(function={"arguments": ""}),
        chunk(finish_reason="tool_calls"),
    ]

    events, _error = replay(payloads)

    assert events[:2] == [
        ToolUse("call_0", "read", {"path": "a"}),
        ToolUse("call_1", "read", {"path": "b"}),
    ]


def test_arguments_sent_as_an_object_are_taken_as_they_are():
    events, _error = replay(
        [call(index=0, id="a", function={"name": "f", "arguments": {"k": 1}}), "[DONE]"]
    )

    assert events[0] == ToolUse("a", "f", {"k": 1})


def test_noise_without_id_or_name_is_dropped_but_an_unnamed_call_is_an_error():
    noise, _ = replay(
        [call(index=3, function={"arguments": "{}"}), chunk(finish_reason="stop"), "[DONE]"]
    )
    _events, error = replay([call(index=0, id="c9", function={"arguments": "{}"}), "[DONE]"])

    assert noise == tail(StopReason.END_TURN)
    assert isinstance(error, DeserializationError)
    assert "tool call c9 never named its function" in str(error)


def test_the_last_usage_wins_and_other_choices_are_ignored():
    payloads = [
        chunk({"content": "a"}, usage={"prompt_tokens": 5, "completion_tokens": 1}),
        json.dumps({"choices": [{"index": 1, "delta": {"content": "other"}}]}),
        chunk({"content": "b"}, "stop", usage={"prompt_tokens": 5, "completion_tokens": 2}),
        json.dumps({"choices": [], "usage": None}),
        "[DONE]",
    ]

    events, _error = replay(payloads)

    assert events == [
        ContentDelta("a"),
        ContentDelta("b"),
        *tail(StopReason.END_TURN, input_tokens=5, output_tokens=2),
    ]


def test_blank_and_keep_alive_data_are_skipped_and_anything_after_done_ignored():
    events, error = replay(
        ["", "  ", ": keep-alive", chunk({"content": "x"}, "stop"), "[DONE]", "junk"]
    )

    assert error is None
    assert events == [ContentDelta("x"), *tail(StopReason.END_TURN)]


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ("not json", "a stream chunk is not valid JSON"),
        ('{"choices": [', "a stream chunk is not valid JSON"),
        ("[1, 2]", "a stream chunk should be a JSON object, got an array"),
        ('{"choices": {}}', "choices should be a JSON array"),
        ('{"choices": [7]}', r"choices\[0\] should be a JSON object"),
        (chunk({"content": 5}), r"delta\.content should be a string, got an integer"),
        (chunk({"tool_calls": "x"}), r"delta\.tool_calls should be a JSON array"),
        (chunk({"tool_calls": [1]}), r"tool_calls\[0\] should be a JSON object"),
        (call(index="0"), "has the index '0'"),
        (call(index=-1), "has the index -1"),
        (call(index=0, id=5), r"\.id should be a string"),
        (call(index=0, function="f"), r"\.function should be a JSON object"),
        (call(index=0, function={"name": 1}), r"function\.name should be a string"),
        (call(index=0, function={"arguments": 1}), "arguments should be a string"),
        (chunk(finish_reason=1), "finish_reason should be a string"),
        (chunk(usage={"completion_tokens": -3}), "token count"),
        (chunk(x_groq={"usage": []}), "x_groq.usage should be a JSON object"),
    ],
)
def test_protocol_breaches_are_deserialization_errors(payload, complaint):
    with pytest.raises(DeserializationError, match=complaint):
        OpenAIStreamAccumulator().feed(payload)


@pytest.mark.parametrize(
    ("payload", "cls", "status"),
    [
        ('{"error": {"message": "m", "type": "rate_limit_error"}}', RateLimited, 429),
        (
            '{"object": "error", "message": "m", "type": "ServiceUnavailable", "code": 503}',
            Overloaded,
            503,
        ),
        ('{"error": {"message": "m", "code": "server_error"}, "choices": []}', ApiError, 500),
        (chunk(finish_reason="error"), ApiError, 200),
    ],
)
def test_error_chunks_raise_the_matching_api_error(payload, cls, status):
    with pytest.raises(ApiError) as caught:
        OpenAIStreamAccumulator().feed(payload)

    assert type(caught.value) is cls
    assert caught.value.status == status


# --- any chunking, any mutation ----------------------------------------------


def outcome(payloads):
    events, error = replay(payloads)
    return events, None if error is None else (type(error), str(error))


def data_of(frames):
    return [data for _event, data in frames]


def chunked(data, cuts):
    points = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


@pytest.mark.parametrize("name", TRANSCRIPTS)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_one_byte_at_a_time_gives_the_same_events(transcript, frames, name, newline):
    data = transcript(name).replace(b"\n", newline)

    whole = outcome(data_of(frames([data])))

    assert outcome(data_of(frames([data[i : i + 1] for i in range(len(data))]))) == whole
    assert whole[0]


@pytest.mark.parametrize("name", TRANSCRIPTS)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
@settings(max_examples=40)
@given(cuts=st.lists(st.floats(0, 1), max_size=40))
def test_any_chunking_gives_the_same_events(transcript, frames, name, newline, cuts):
    data = transcript(name).replace(b"\n", newline)
    positions = [int(c * len(data)) for c in cuts]

    assert outcome(data_of(frames(chunked(data, positions)))) == outcome(data_of(frames([data])))


def assert_sound(events):
    for event in events:
        if isinstance(event, ToolUse):
            assert isinstance(event.input, dict)
            assert event.id and event.name


@pytest.mark.parametrize("name", TRANSCRIPTS)
@settings(max_examples=60)
@given(data=st.data())
def test_mangled_text_raises_only_provider_errors(transcript, frames, mangled_text, name, data):
    text = data.draw(mangled_text(transcript(name).decode()))

    events, _error = replay(data_of(frames([text.encode()])))

    assert_sound(events)


@pytest.mark.parametrize("name", TRANSCRIPTS)
@settings(max_examples=150)
@given(data=st.data())
def test_mangled_chunks_raise_only_provider_errors(transcript, frames, mangled_frames, name, data):
    mangled = data.draw(mangled_frames(frames([transcript(name)])))

    events, _error = replay(data_of(mangled))

    assert_sound(events)


@settings(max_examples=200)
@given(text=st.text(max_size=300))
def test_random_text_raises_only_provider_errors(frames, text):
    events, _error = replay(data_of(frames([text.encode()])))

    assert_sound(events)
