"""Read what the fake server wrote, the way a client would: sseclient-py for the framing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from sseclient import SSEClient


def fake_llm_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tkach-fake-llm")]


def sse_events(chunks: bytes | Iterable[bytes]) -> list[tuple[str, str]]:
    """(event name, data) pairs; the name is "message" when the stream sends none."""
    source = [chunks] if isinstance(chunks, bytes) else list(chunks)
    return [(event.event, event.data) for event in SSEClient(source).events()]


def anthropic_stream(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    pairs = [(name, json.loads(data)) for name, data in sse_events(body)]
    for name, payload in pairs:
        assert payload["type"] == name
    return pairs


def openai_stream(body: bytes) -> list[dict[str, Any] | str]:
    """The chunk payloads, with the final "[DONE]" kept as a string."""
    return [data if data == "[DONE]" else json.loads(data) for _, data in sse_events(body)]


def anthropic_summary(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Accumulate a Messages stream like a client would: texts, tool inputs, stop, usage."""
    blocks: dict[int, dict[str, Any]] = {}
    summary: dict[str, Any] = {}
    for name, payload in events:
        if name == "message_start":
            summary["usage"] = dict(payload["message"]["usage"])
        elif name == "content_block_start":
            blocks[payload["index"]] = dict(payload["content_block"], json="")
        elif name == "content_block_delta":
            block, delta = blocks[payload["index"]], payload["delta"]
            field = {"text_delta": "text", "input_json_delta": "json"}.get(delta["type"])
            if field == "text":
                block["text"] += delta["text"]
            elif field == "json":
                block["json"] += delta["partial_json"]
        elif name == "message_delta":
            summary["stop_reason"] = payload["delta"]["stop_reason"]
            summary["usage"]["output_tokens"] = payload["usage"]["output_tokens"]
    summary["text"] = "".join(b["text"] for b in blocks.values() if b["type"] == "text")
    tools = [b for b in blocks.values() if b["type"] == "tool_use"]
    summary["tools"] = [(b["id"], b["name"], json.loads(b["json"])) for b in tools]
    return summary


def openai_summary(chunks: list[dict[str, Any] | str]) -> dict[str, Any]:
    calls: dict[int, dict[str, str]] = {}
    summary: dict[str, Any] = {"text": "", "usage": None, "finish_reason": None}
    for chunk in chunks:
        if isinstance(chunk, str):
            continue
        if chunk.get("usage"):
            summary["usage"] = chunk["usage"]
        for choice in chunk["choices"]:
            delta = choice["delta"]
            summary["text"] += delta.get("content") or ""
            summary["finish_reason"] = choice["finish_reason"] or summary["finish_reason"]
            for fragment in delta.get("tool_calls", []):
                slot = calls.setdefault(fragment["index"], {"id": "", "name": "", "args": ""})
                slot["id"] = slot["id"] or fragment.get("id", "")
                slot["name"] = slot["name"] or fragment.get("function", {}).get("name", "")
                slot["args"] += fragment["function"].get("arguments", "")
    summary["tools"] = [(c["id"], c["name"], json.loads(c["args"])) for c in calls.values()]
    return summary
