"""The clients a figure compares, each able to read one route's answer to the end.

The floor is what any client must at least do: ``requests`` with
``sseclient-py`` over ``iter_content`` and one ``json.loads`` per event. The
official SDKs are imported only when used, so the suite runs (with those rows
marked n/a) where they are not installed.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import sseclient

from tkach_sync import Agent, Message, ToolUseBlock, tool
from tkach_sync.providers import (
    Anthropic,
    LlmProvider,
    Mock,
    OpenAICompatible,
    Request,
    Response,
)
from tkach_sync.providers.base import ToolDefinition

from .transcripts import LOOKUP_TOOL, SAVE_TOOL, Protocol

__all__ = [
    "CEILING",
    "FLOOR",
    "MODEL",
    "PROMPT",
    "Client",
    "agent_stream",
    "floor",
    "hand_loop",
    "lookup",
    "provider",
    "provider_stream",
    "save",
    "scripted",
    "sdk_stream",
    "server_ceiling",
]

MODEL = "fake-model"
PROMPT = "Write the notes."
FLOOR = "requests+sseclient (floor)"
CEILING = "raw socket, no parsing (server ceiling)"
READ_SIZE = 64 * 1024


@tool
def save(path: str, content: str) -> str:
    """Save a note."""
    return f"saved {len(content)} characters to {path}"


@tool(read_only=True)
def lookup(key: str) -> str:
    """Look a key up."""
    return f"{key} = 42"


SAVE_SCHEMA = save.input_schema
TOOL_DEFS = [ToolDefinition(t.name, t.description, t.input_schema) for t in (save, lookup)]
assert save.name == SAVE_TOOL and lookup.name == LOOKUP_TOOL


@dataclass(frozen=True, slots=True)
class Client:
    """A named way to read a route: ``read()`` streams one whole answer."""

    name: str
    read: Callable[[], object]
    close: Callable[[], None] = lambda: None


def messages_path(protocol: Protocol) -> str:
    return "/v1/messages" if protocol == "anthropic" else "/v1/chat/completions"


def raw_body(protocol: Protocol) -> dict[str, Any]:
    """The request a hand-written client sends (with the tools, as the others do)."""
    user = {"role": "user", "content": PROMPT}
    if protocol == "anthropic":
        tools: list[dict[str, Any]] = [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in TOOL_DEFS
        ]
        return {"model": MODEL, "max_tokens": 1024, "messages": [user], "tools": tools}
    return {"model": MODEL, "messages": [user], "tools": openai_tools()}


def openai_tools() -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
            },
        }
        for t in TOOL_DEFS
    ]


def raw_headers(protocol: Protocol) -> dict[str, str]:
    if protocol == "anthropic":
        return {"x-api-key": "bench-key", "anthropic-version": "2023-06-01"}
    return {"authorization": "Bearer bench-key"}


def hand_loop(model: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> dict[str, Any]:
    """A tool loop written by hand over plain dicts: ``model(messages)`` answers each turn."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": PROMPT}]
    while True:
        reply = model(messages)
        messages.append({"role": "assistant", "content": reply["content"]})
        calls = [block for block in reply["content"] if block["type"] == "tool_use"]
        if not calls:
            return reply
        results = [
            {"type": "tool_result", "tool_use_id": c["id"], "content": f"{c['input']['key']} = 42"}
            for c in calls
        ]
        messages.append({"role": "user", "content": results})


def floor_events(
    session: requests.Session, url: str, protocol: Protocol
) -> Iterator[dict[str, Any]]:
    """The floor: each event of one streamed answer, decoded with ``json.loads``."""
    body = raw_body(protocol) | {"stream": True}
    response = session.post(
        url + messages_path(protocol), json=body, headers=raw_headers(protocol), stream=True
    )
    with response:
        for event in sseclient.SSEClient(response.iter_content(READ_SIZE)).events():
            if event.data != "[DONE]":
                yield json.loads(event.data)


def server_ceiling(url: str, protocol: Protocol) -> Client:
    """Bytes off a raw socket, nothing parsed: how fast the server can feed any client."""
    parts = urlsplit(url)
    body = json.dumps(raw_body(protocol) | {"stream": True}).encode()
    head = (
        f"POST {parts.path}{messages_path(protocol)} HTTP/1.1\r\nhost: {parts.netloc}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    address = (parts.hostname or "127.0.0.1", parts.port or 80)

    def read() -> None:
        with socket.create_connection(address) as sock:
            sock.sendall(head.encode() + body)
            while sock.recv(READ_SIZE * 16):
                pass

    return Client(CEILING, read)


def floor(url: str, protocol: Protocol) -> Client:
    session = requests.Session()

    def read() -> None:
        for _ in floor_events(session, url, protocol):
            pass

    return Client(FLOOR, read, session.close)


def provider(url: str, protocol: Protocol) -> Anthropic | OpenAICompatible:
    if protocol == "anthropic":
        return Anthropic("bench-key", base_url=url, max_retries=0)
    return OpenAICompatible("bench-key", base_url=url + "/v1", max_retries=0)


def request() -> Request:
    return Request(model=MODEL, messages=[Message.user_text(PROMPT)], tools=TOOL_DEFS)


def provider_stream(url: str, protocol: Protocol) -> Client:
    llm = provider(url, protocol)
    name = "Anthropic.stream" if protocol == "anthropic" else "OpenAICompatible.stream"

    def read() -> None:
        for _ in llm.stream(request()):
            pass

    return Client(name, read, llm.close)


def scripted(call: ToolUseBlock, answer: str = "done") -> Mock:
    """A model that calls ``call``, then answers ``answer`` once it saw the result."""

    def reply(request: Request) -> Response:
        if request.messages[-1].tool_results:
            return Response.from_text(answer)
        return Response.from_tool_calls(call)

    return Mock(reply)


def agent(llm: LlmProvider, **options: Any) -> Agent:
    return Agent(llm, MODEL, tools=[save, lookup], **options)


def agent_stream(url: str, protocol: Protocol) -> Client:
    llm = provider(url, protocol)
    runner = agent(llm)

    def read() -> None:
        with runner.stream([Message.user_text(PROMPT)]) as stream:
            for _ in stream:
                pass
            stream.result()

    return Client("Agent.stream", read, llm.close)


def sdk_stream(url: str, protocol: Protocol) -> Client:
    """The official SDK's streaming helper, read to its final message; ImportError if absent."""
    if protocol == "anthropic":
        import anthropic

        client: Any = anthropic.Anthropic(api_key="bench-key", base_url=url, max_retries=0)
        body = raw_body(protocol)

        def read() -> None:
            with client.messages.stream(**body) as stream:
                stream.get_final_message()

        return Client("anthropic SDK messages.stream", read, client.close)

    import openai

    oai: Any = openai.OpenAI(api_key="bench-key", base_url=url + "/v1", max_retries=0)
    body = raw_body(protocol) | {"stream_options": {"include_usage": True}}

    def read_openai() -> None:
        with oai.chat.completions.stream(**body) as stream:
            stream.get_final_completion()

    return Client("openai SDK chat.completions.stream", read_openai, oai.close)


@contextmanager
def opened(
    makers: dict[str, Callable[[], Client]],
) -> Iterator[tuple[dict[str, Client], dict[str, str]]]:
    """The clients that could be made, by label (closed on exit), and why the others could not."""
    clients: dict[str, Client] = {}
    missing: dict[str, str] = {}
    try:
        for label, make in makers.items():
            try:
                clients[label] = make()
            except ImportError as exc:
                missing[label] = f"not installed ({exc.name})"
        yield clients, missing
    finally:
        for client in clients.values():
            client.close()
