"""Load, leaks and secrets: many concurrent runs leave nothing behind, and keys never show."""

import logging
import os
import random
import threading
import time
from pathlib import Path

import pytest

from tkach_sync import (
    Agent,
    ApiError,
    CancellationToken,
    Cancelled,
    ContentDelta,
    Message,
    StopReason,
    tool,
)
from tkach_sync.providers import Anthropic, OpenAICompatible
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn
from tkach_sync.tools import Bash

RUNS = 64
SECRET = "sk-ant-api03-TOPSECRET-0123456789abcdef"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def zombie_children() -> list[int]:
    me, zombies = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            zombies.append(int(entry.name))
    return zombies


def live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


@tool(read_only=True)
def peek(n: int) -> str:
    """Peek at a number."""
    return f"peeked {n}"


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_64_concurrent_streams_with_tools_and_cancels_leave_nothing_behind(kind, tmp_path):  # noqa: C901
    baseline_threads, baseline_fds = live_threads(), open_fds()
    rng = random.Random(1234)
    outcomes: dict[int, object] = {}
    with FakeLLMServer() as server:
        # Every tool turn first, then one text turn per run: whatever the
        # interleaving, each run ends on exactly one text turn.
        for i in range(RUNS):
            server.add(
                Turn.tool_calls(
                    ToolCallSpec("peek", {"n": i}),
                    ToolCallSpec("bash", {"command": f"echo run {i}"}),
                    text="Checking.",
                    chunks=2,
                )
            )
        for _ in range(RUNS):
            server.add(Turn.text("All done here, thanks for waiting.", chunks=6).drip(0.005))
        if kind == "anthropic":
            provider = Anthropic(SECRET, base_url=server.url, max_retries=0)
        else:
            provider = OpenAICompatible(SECRET, base_url=server.openai_url, max_retries=0)
        agent = Agent(
            provider=provider,
            model="m",
            tools=[peek, Bash()],
            working_dir=tmp_path,
            max_turns=RUNS + 2,
        )
        cancel_after = {i: rng.randint(1, 4) for i in range(RUNS) if rng.random() < 0.35}

        def one_run(i: int) -> None:
            token = CancellationToken()
            stream = agent.stream([Message.user_text(f"run {i}")], cancel=token)
            deltas = 0
            for event in stream:
                if isinstance(event, ContentDelta):
                    deltas += 1
                    if deltas == cancel_after.get(i):
                        token.cancel()
            try:
                outcomes[i] = stream.result()
            except Cancelled as exc:
                outcomes[i] = exc

        threads = [threading.Thread(target=one_run, args=(i,)) for i in range(RUNS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 90
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        assert not [t for t in threads if t.is_alive()], "a run deadlocked"
        provider.close()

    assert len(outcomes) == RUNS
    for i, outcome in outcomes.items():
        if isinstance(outcome, Cancelled):
            assert i in cancel_after
            messages, stop = outcome.partial.new_messages, outcome.partial.stop_reason
            assert stop is StopReason.CANCELLED
        else:
            messages, stop = outcome.new_messages, outcome.stop_reason
            assert stop is StopReason.END_TURN and outcome.text.startswith("All done")
        for n, message in enumerate(messages):  # the history stays valid to send back
            if message.tool_uses:
                answered = {r.tool_use_id for r in messages[n + 1].tool_results}
                assert answered == {u.id for u in message.tool_uses}

    deadline = time.monotonic() + 5
    while (
        live_threads() - baseline_threads or open_fds() > baseline_fds
    ) and time.monotonic() < deadline:
        threading.Event().wait(0.05)
    assert not live_threads() - baseline_threads
    assert open_fds() <= baseline_fds
    assert zombie_children() == []


def test_api_keys_never_appear_in_reprs_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    with FakeLLMServer() as server:
        server.add(Turn.error(429, "slow down", headers={"retry-after": "0"}))
        server.add(Turn.text("ok"))
        server.add(Turn.error(401, "invalid x-api-key"))
        anthropic = Anthropic(SECRET, base_url=server.url, max_retries=1)
        openai = OpenAICompatible(SECRET, base_url=server.openai_url, max_retries=0)
        agent = Agent(provider=anthropic, model="m")
        assert agent.run([Message.user_text("hi")]).text == "ok"
        with pytest.raises(Exception) as caught:
            agent.run([Message.user_text("again")])
        assert isinstance(caught.value.__cause__, ApiError)
        texts = [
            repr(anthropic),
            repr(openai),
            repr(agent),
            str(anthropic.with_base_url("http://example.invalid")),
            str(caught.value),
            repr(caught.value),
            str(caught.value.__cause__),
            repr(caught.value.partial),
            caplog.text,
        ]
        assert server.requests[0].headers["x-api-key"] == SECRET  # it was sent, to the server only
        anthropic.close()
        openai.close()
    for text in texts:
        assert SECRET not in text
        assert "TOPSECRET" not in text
