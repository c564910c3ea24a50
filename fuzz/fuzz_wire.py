"""Coverage-guided fuzzing (atheris) of everything that reads what a server sends.

    pip install -e '.[fuzz]'
    python fuzz/fuzz_wire.py -max_total_time=300       # or: ./scripts/fuzz

The first byte of an input picks a reader: an Anthropic or OpenAI stream
(through sseclient-py, as the provider reads it), an Anthropic or OpenAI
JSON answer, a batch handle or a batch results line. The rest is the body.
A reader may refuse its input only with a ``ProviderError`` (a
``UnicodeDecodeError`` from sseclient-py too: the stream turns it into a
``DeserializationError``); any other exception is a bug, and atheris stops
with the input that raised it. The recorded transcripts in
``tests/fixtures`` seed the corpus.

Hypothesis covers the same readers in the test suite (``tests/wire``); this
goes further where it is installed, and runs outside CI.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import sseclient

    from tkach_sync.errors import ProviderError
    from tkach_sync.providers._anthropic_wire import (
        AnthropicStreamAccumulator,
        parse_anthropic_response,
    )
    from tkach_sync.providers._openai_wire import OpenAIStreamAccumulator, parse_openai_response
    from tkach_sync.providers.anthropic_batches import _handle, _row

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def anthropic_stream(body: bytes) -> None:
    accumulator = AnthropicStreamAccumulator()
    for event in sseclient.SSEClient(iter([body])).events():
        accumulator.feed(event.event, event.data)
    accumulator.finish()


def openai_stream(body: bytes) -> None:
    accumulator = OpenAIStreamAccumulator()
    for event in sseclient.SSEClient(iter([body])).events():
        accumulator.feed(event.data)
    accumulator.finish()


def json_answer(parse: Callable[[object], object]) -> Callable[[bytes], None]:
    def read(body: bytes) -> None:
        try:
            data = json.loads(body)
        except ValueError:
            return  # the HTTP layer refuses a body that is not JSON before any parser sees it
        parse(data)

    return read


READERS: list[Callable[[bytes], None]] = [
    anthropic_stream,
    openai_stream,
    json_answer(parse_anthropic_response),
    json_answer(parse_openai_response),
    json_answer(_handle),
    lambda body: None if not body.strip() else _row(body, 1),
]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    read = READERS[data[0] % len(READERS)]
    with contextlib.suppress(ProviderError, UnicodeDecodeError):  # refusals, not bugs
        read(data[1:])


def seed_corpus() -> str:
    """A directory with each recorded transcript, once per reader that could take it."""
    corpus = Path(tempfile.mkdtemp(prefix="tkach-fuzz-"))
    for path in sorted(FIXTURES.glob("*.sse")):
        selector = 0 if path.name.startswith("anthropic") else 1
        (corpus / path.stem).write_bytes(bytes([selector]) + path.read_bytes())
    return str(corpus)


def main() -> None:
    args = sys.argv[:]
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(seed_corpus())
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
