"""What every example shares: a live provider when a key is set, else the fake server.

    with example_provider(script) as (provider, model, live):
        ...

``script(server)`` queues the turns the offline run needs; it is not called
when a key is set. Keys come from the environment or from a ``.env`` file at
the repository root (see ``.env.example``); nothing here is needed by the
library itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from tkach_sync import ContentDelta, Message, StreamEvent, ToolResult, ToolUse
from tkach_sync.providers import Anthropic, LlmProvider, OpenAICompatible
from tkach_sync.testing import FakeLLMServer

ROOT = Path(__file__).resolve().parents[1]
ANTHROPIC_MODEL = "claude-haiku-4-5"
Script = Callable[[FakeLLMServer], None]


def load_dotenv(path: Path = ROOT / ".env") -> None:
    """KEY=VALUE lines from ``.env``; the environment wins over the file."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip().strip("'\""))


@contextmanager
def example_provider(
    script: Script, *, kind: Literal["anthropic", "openai"] = "anthropic"
) -> Iterator[tuple[LlmProvider, str, bool]]:
    """``(provider, model, live)``: the real API if its key is set, else a scripted fake."""
    load_dotenv()
    if kind == "anthropic" and os.environ.get("ANTHROPIC_API_KEY"):
        with Anthropic.from_env() as live:
            yield live, os.environ.get("ANTHROPIC_MODEL", ANTHROPIC_MODEL), True
        return
    if kind == "openai" and os.environ.get("OPENAI_API_KEY"):
        with OpenAICompatible.from_env() as live_openai:
            yield live_openai, os.environ.get("OPENAI_SMOKE_MODEL", "gpt-4o-mini"), True
        return
    with FakeLLMServer() as server:
        script(server)
        if kind == "anthropic":
            with Anthropic("offline", base_url=server.url) as fake:
                yield fake, "fake-model", False
        else:
            with OpenAICompatible("offline", base_url=server.openai_url) as fake_openai:
                yield fake_openai, "fake-model", False


def check(condition: object, message: str) -> None:
    """An example's invariant: a failure prints why and exits non-zero."""
    if not condition:
        print(f"INVARIANT FAILED: {message}", file=sys.stderr)
        raise SystemExit(1)


def printing(events: Iterable[StreamEvent]) -> Iterator[StreamEvent]:
    """Pass the events on, printing each: text as it streams, tool calls on lines of their own."""
    mid_line = False
    for event in events:
        if isinstance(event, ContentDelta):
            print(event.text, end="", flush=True)
            mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolUse | ToolResult):
            if mid_line:
                print()
            mid_line = False
            if isinstance(event, ToolUse):
                print(f"  -> {event.name}({_clip(event.input)})", flush=True)
            else:
                print(f"  {'!!' if event.is_error else '<-'} {_clip(event.content)}", flush=True)
        yield event
    if mid_line:
        print()


def _clip(value: object, width: int = 90) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def check_tool_uses_answered(messages: list[Message]) -> None:
    """The loop's core invariant: each tool_use is answered, in order, by the next message."""
    for i, message in enumerate(messages):
        asked = [use.id for use in message.tool_uses]
        if not asked:
            continue
        following = messages[i + 1] if i + 1 < len(messages) else None
        answered = [r.tool_use_id for r in following.tool_results] if following else []
        check(answered == asked, f"tool_use ids {asked} were answered by {answered}")


def cache_breakpoints(body: dict[str, Any]) -> list[str]:
    """Where an Anthropic request body puts its cache breakpoints, and their TTLs."""
    marked = [(f"tools[{i}]", t) for i, t in enumerate(body.get("tools", []))]
    marked += [(f"system[{i}]", b) for i, b in enumerate(body.get("system", []))]
    for m, message in enumerate(body["messages"]):
        marked += [(f"messages[{m}][{i}]", b) for i, b in enumerate(message["content"])]
    return [
        f"{where} {block['cache_control'].get('ttl', '5m')}"
        for where, block in marked
        if "cache_control" in block
    ]


def reference_text(topic: str, entries: int) -> str:
    """A long, stable text to cache: real prompt caching needs a prefix of a few thousand tokens."""
    verbs = ["prefer", "avoid", "always use", "never use", "spell out", "abbreviate"]
    things = ["the active voice", "numbered lists", "metric units", "ISO dates", "Oxford commas"]
    lines = [f"# {topic}", ""]
    for n in range(1, entries + 1):
        verb, thing = verbs[n % len(verbs)], things[n % len(things)]
        lines.append(
            f"{n}. In section {n // 10 + 1}, {verb} {thing} when the reader is in a hurry."
        )
    return "\n".join(lines)
