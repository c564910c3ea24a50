"""Shared by the wire tests: recorded transcripts, framed by sseclient-py as the provider does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import sseclient
from hypothesis import strategies as st

FIXTURES = Path(__file__).parent.parent / "fixtures"

Frames = list[tuple[str, str]]


@pytest.fixture(scope="session")
def transcript() -> Callable[[str], bytes]:
    """The bytes of a recorded transcript in tests/fixtures."""
    return lambda name: (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def frames() -> Callable[[Iterable[bytes]], Frames]:
    """``(event name, data)`` for each event sseclient-py finds in a body sent in these chunks."""

    def split(chunks: Iterable[bytes]) -> Frames:
        return [(e.event, e.data) for e in sseclient.SSEClient(iter(chunks)).events()]

    return split


# --- fuzzing -----------------------------------------------------------------

_NOISE = st.sampled_from(list('{}[]":,\\ 0123456789-.eEtrufalsn\n\r:xyz_é🌤'))
_KEYS = st.sampled_from(
    ["type", "index", "id", "name", "text", "delta", "usage", "error", "message", "choices",
     "tool_calls", "function", "arguments", "finish_reason", "content", "object", "input"]
)  # fmt: skip
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _text_mutation(draw: st.DrawFn, text: str) -> str:
    """The text with a few spans deleted, duplicated, or replaced by JSON-ish noise."""
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        noise = "".join(draw(st.lists(_NOISE, max_size=12)))
        text = draw(
            st.sampled_from(
                [
                    text[:start] + text[end:],
                    text[:start] + noise + text[start:],
                    text[:start] + noise + text[end:],
                    text[:end] + text[start:end] + text[end:],
                ]
            )
        )
    return text


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found += _paths(child, (*path, key))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


@st.composite
def _frame_mutation(draw: st.DrawFn, frames: Frames) -> Frames:
    """The frames with some dropped, repeated or swapped, or a JSON value somewhere replaced."""
    frames = list(frames)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(frames) - 1))
        j = draw(st.integers(0, len(frames) - 1))
        action = draw(st.sampled_from(["reshape", "reshape", "drop", "repeat", "swap"]))
        if action == "drop" and len(frames) > 1:
            del frames[i]
        elif action == "repeat":
            frames.insert(j, frames[i])
        elif action == "swap":
            frames[i], frames[j] = frames[j], frames[i]
        elif (payload := _json_or_none(frames[i][1])) is not None:
            path = draw(st.sampled_from(_paths(payload)))
            frames[i] = (frames[i][0], json.dumps(_replaced(payload, path, draw(_JSON))))
    return frames


def _json_or_none(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


@pytest.fixture(scope="session")
def mangled_text() -> Callable[[str], st.SearchStrategy[str]]:
    """Text mutations of a transcript (always valid UTF-8)."""
    return _text_mutation


@pytest.fixture(scope="session")
def mangled_frames() -> Callable[[Frames], st.SearchStrategy[Frames]]:
    """Structural mutations of a transcript's events."""
    return _frame_mutation
