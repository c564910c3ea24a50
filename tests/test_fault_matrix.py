"""Every fault the fake server can inject x (run, stream) x (Anthropic, OpenAI-compatible).

A first turn calls a tool and completes; the second answer is the fault. The
outcome is the right typed error (its cause under ``ProviderFailed``) or a
successful retry; ``.partial`` holds every message completed before the
fault; nothing hangs; no thread or socket is left open.
"""

import os
import threading
import time
from dataclasses import dataclass

import pytest

from tkach_sync import (
    Agent,
    ApiError,
    DeserializationError,
    Message,
    Overloaded,
    ProviderFailed,
    RateLimited,
    TransportError,
    tool,
)
from tkach_sync.providers import Anthropic, OpenAICompatible, Timeout
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

FAST = Timeout(connect=2, read=0.4)
RECOVERY = "Recovered fine."


@dataclass(frozen=True)
class Case:
    fault: Turn
    expect: type[Exception] | None  # None: a retry recovers
    retries: int = 0
    modes: tuple[str, ...] = ("run", "stream")
    after_delivery: bool = False  # the stream already handed out events of the faulty turn
    kinds: tuple[str, ...] = ("anthropic", "openai")
    final_text: str = RECOVERY  # what a successful run ends with


def text(chunks: int = 4) -> Turn:
    return Turn.text("a partial answer that breaks", chunks=chunks)


CASES = {
    **{f"{s}": Case(Turn.error(s, "refused"), ApiError) for s in (400, 401, 403, 404, 413)},
    **{
        f"{s}-retry-after": Case(
            Turn.error(s, "busy", headers={"retry-after-ms": "1"}), None, retries=1
        )
        for s in (429, 500, 503, 529)
    },
    "429-no-retry-after": Case(Turn.error(429, "slow down"), RateLimited),
    "529-no-retry-after": Case(Turn.error(529, "overloaded"), Overloaded),
    "503-no-retry-after": Case(Turn.error(503, "unavailable"), Overloaded),
    "500-no-retry-after": Case(Turn.error(500, "oops"), ApiError),
    "cut-before-headers": Case(text().cut(), None, retries=1),
    "cut-before-headers-final": Case(text().cut(), TransportError),
    "cut-after-headers": Case(text().cut(after_bytes=0), None, retries=1),
    "cut-mid-json": Case(text().cut(after_bytes=25), None, retries=1, modes=("run",)),
    "cut-after-first-event": Case(
        text().cut(after_events=4),
        TransportError,
        retries=2,
        modes=("stream",),
        after_delivery=True,
    ),
    # Cut after some text but before the stop reason (later than that is forgiven).
    "truncated-anthropic": Case(
        text().truncated(after_events=6),
        DeserializationError,
        retries=2,
        modes=("stream",),
        after_delivery=True,
        kinds=("anthropic",),
    ),
    "truncated-openai": Case(
        text().truncated(after_events=3),
        DeserializationError,
        retries=2,
        modes=("stream",),
        after_delivery=True,
        kinds=("openai",),
    ),
    "garbage-json": Case(
        Turn.raw(b"<html>502 Bad Gateway</html>"), DeserializationError, modes=("run",)
    ),
    "garbage-sse-openai": Case(
        text().with_garbage(after_events=3),
        DeserializationError,
        modes=("stream",),
        after_delivery=True,
        kinds=("openai",),
    ),
    # Anthropic names every event: unnamed junk is a newer event type, ignored.
    "garbage-sse-anthropic": Case(
        text().with_garbage(after_events=3),
        None,
        modes=("stream",),
        kinds=("anthropic",),
        final_text="a partial answer that breaks",
    ),
    "error-event": Case(
        text().error_after(4), Overloaded, retries=2, modes=("stream",), after_delivery=True
    ),
    "drip-slower-than-read-timeout": Case(text().drip(3.0), TransportError),
    "accepts-never-answers": Case(text().hang(), TransportError),
    "stalls-mid-stream": Case(
        text().hang(after_events=4),
        TransportError,
        retries=2,
        modes=("stream",),
        after_delivery=True,
    ),
}


@tool(read_only=True)
def peek() -> str:
    """Peek."""
    return "peeked"


def _params():
    for name, case in CASES.items():
        for kind in case.kinds:
            for mode in case.modes:
                yield pytest.param(case, kind, mode, id=f"{name}-{kind}-{mode}")


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize(("case", "kind", "mode"), list(_params()))
def test_fault(case: Case, kind: str, mode: str):
    threads, fds = _threads(), _fds()
    with FakeLLMServer() as server:
        server.add(Turn.tool_calls(ToolCallSpec("peek", {}, id="call_peek"), text="Let me peek."))
        server.add(case.fault)
        server.add(Turn.text(RECOVERY, chunks=2))
        if kind == "anthropic":
            provider = Anthropic(
                "sk-test", base_url=server.url, max_retries=case.retries, timeout=FAST
            )
        else:
            provider = OpenAICompatible(
                "sk-test", base_url=server.openai_url, max_retries=case.retries, timeout=FAST
            )
        agent = Agent(provider=provider, model="m", tools=[peek])
        history = [Message.user_text("go")]
        started = time.monotonic()
        try:
            if mode == "run":
                outcome: object = agent.run(history)
            else:
                stream = agent.stream(history)
                list(stream)
                outcome = stream.result()
        except ProviderFailed as exc:
            outcome = exc
        finally:
            provider.close()
        assert time.monotonic() - started < 10, "the fault took too long to surface"

    if case.expect is None:
        assert not isinstance(outcome, Exception), outcome
        assert outcome.text == case.final_text
        assert [m.role.value for m in outcome.new_messages] == ["assistant", "user", "assistant"]
    else:
        assert isinstance(outcome, ProviderFailed), outcome
        assert isinstance(outcome.__cause__, case.expect), repr(outcome.__cause__)
        partial = outcome.partial.new_messages
        assert partial[0].tool_uses[0].id == "call_peek"
        assert partial[1].tool_results[0].content == "peeked"
        if case.after_delivery:  # the text that arrived before the fault is kept
            assert len(partial) == 3 and partial[2].text
            assert "a partial answer that breaks".startswith(partial[2].text)
        else:
            assert len(partial) == 2

    deadline = time.monotonic() + 5
    while (_threads() - threads or _fds() > fds) and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert not _threads() - threads, "a thread outlived the run"
    assert _fds() <= fds, "a socket or file was left open"
