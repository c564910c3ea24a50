import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tkach_sync import (
    CacheControl,
    Message,
    RedactedThinkingBlock,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)
cache_controls = st.none() | st.sampled_from(
    [CacheControl.ephemeral(), CacheControl.ephemeral_1h()]
)
blocks = st.one_of(
    st.builds(TextBlock, st.text(), cache_controls),
    st.builds(
        ToolUseBlock, st.text(), st.text(), st.dictionaries(st.text(), json_values, max_size=4)
    ),
    st.builds(ToolResultBlock, st.text(), st.text(), st.booleans(), cache_controls),
    st.builds(ThinkingBlock, thinking=st.text(), signature=st.text()),
    st.builds(RedactedThinkingBlock, data=st.text()),
)
messages = st.builds(Message, st.sampled_from(list(Role)), st.lists(blocks, max_size=5))


@given(st.lists(messages, max_size=6))
def test_any_history_round_trips_losslessly_through_json(history):
    stored = json.dumps([m.model_dump(mode="json") for m in history])
    restored = [Message.model_validate(d) for d in json.loads(stored)]
    assert restored == history


def test_the_json_form_is_anthropics_wire_form():
    message = Message.assistant(
        [TextBlock("hi"), ToolUseBlock("toolu_1", "read", {"file_path": "a"})]
    )
    assert message.model_dump(mode="json", exclude_none=True) == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "hi"},
            {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"file_path": "a"}},
        ],
    }


def test_wire_shorthands_are_accepted():
    message = Message.model_validate({"role": "user", "content": "plain"})
    assert message.content == [TextBlock("plain")]
    result = ToolResultBlock.model_validate(
        {
            "tool_use_id": "t",
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        }
    )
    assert result.content == "ab"


def test_message_helpers():
    message = Message.assistant(
        [TextBlock("a"), ToolUseBlock("1", "x", {}), TextBlock("b"), ToolUseBlock("2", "y", {})]
    )
    assert message.text == "ab"
    assert [u.id for u in message.tool_uses] == ["1", "2"]
    assert Message.user_text("hi").role is Role.USER
    assert Message.user([ToolResultBlock("1", "ok")]).tool_results[0].content == "ok"


def test_messages_are_frozen():
    message = Message.user_text("hi")
    with pytest.raises(ValidationError):
        message.role = Role.ASSISTANT  # type: ignore[misc]


def test_cache_control_forms():
    assert TextBlock.cached("x").cache_control == CacheControl(ttl=None)
    assert TextBlock.cached("x", ttl="1h").cache_control == CacheControl.ephemeral_1h()
    assert CacheControl.ephemeral().model_dump(exclude_none=True) == {"type": "ephemeral"}
    assert CacheControl.ephemeral_1h().model_dump() == {"type": "ephemeral", "ttl": "1h"}


def test_usage_adds_and_merges():
    a = Usage(input_tokens=10, output_tokens=1, cache_read_input_tokens=100)
    b = Usage(input_tokens=5, output_tokens=20, cache_creation_input_tokens=7)
    assert a + b == Usage(
        input_tokens=15,
        output_tokens=21,
        cache_creation_input_tokens=7,
        cache_read_input_tokens=100,
    )
    assert a.add(b) == a + b
    assert a.merge_max(b) == Usage(
        input_tokens=10,
        output_tokens=20,
        cache_creation_input_tokens=7,
        cache_read_input_tokens=100,
    )
    assert Usage.model_validate({"input_tokens": 3, "cache_read_input_tokens": None}) == Usage(
        input_tokens=3
    )
    assert (a + b).total_input_tokens == 15 + 7 + 100
