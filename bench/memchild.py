"""One client's memory while it reads the 20 MiB answer to a final text, in a fresh process.

    python -m bench.memchild <client> <base url>

Prints ``{"peak": bytes, "rss": bytes, "chars": n}``: the peak of the Python
heap above what it held when the stream began (``tracemalloc``), and, for
reference, how far the process's peak RSS rose.
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import requests

from tkach_sync import ContentDelta, Message

from .clients import PROMPT, agent, floor_events, provider, raw_body, request

Read = Callable[[], str]


def _raw_deltas(url: str) -> Any:
    session = requests.Session()
    for event in floor_events(session, url, "anthropic"):
        if event["type"] == "content_block_delta":
            yield event["delta"]["text"]


def _list_then_join(url: str) -> Read:
    return lambda: "".join(list(_raw_deltas(url)))


def _append_in_place(url: str) -> Read:
    def read() -> str:
        text = ""
        for piece in _raw_deltas(url):
            text += piece
        return text

    return read


def _provider_append(url: str) -> Read:
    llm = provider(url, "anthropic")

    def read() -> str:
        text = ""
        for event in llm.stream(request()):
            if isinstance(event, ContentDelta):
                text += event.text
        return text

    return read


def _agent_result(url: str) -> Read:
    runner = agent(provider(url, "anthropic"))

    def read() -> str:
        with runner.stream([Message.user_text(PROMPT)]) as stream:
            for _ in stream:
                pass
            return stream.result().text

    return read


def _sdk_final(url: str) -> Read:
    import anthropic

    client: Any = anthropic.Anthropic(api_key="bench-key", base_url=url, max_retries=0)

    def read() -> str:
        with client.messages.stream(**raw_body("anthropic")) as stream:
            return str(stream.get_final_message().content[0].text)

    return read


CLIENTS: dict[str, Callable[[str], Read]] = {
    "append in place": _append_in_place,
    "list-then-join": _list_then_join,
    "Agent.stream -> result()": _agent_result,
    "Anthropic.stream, consumer appends": _provider_append,
    "official SDK get_final_message()": _sdk_final,
}


def _status(field: str) -> int:
    """A size from /proc/self/status, in bytes (``VmHWM``, the peak RSS, restarts at exec;
    ``ru_maxrss`` would carry the parent's peak over)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(client: str, url: str) -> None:
    read = CLIENTS[client](url)
    rss_before = _status("VmRSS")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    text = read()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    rss_rise = _status("VmHWM") - rss_before
    print(json.dumps({"peak": peak, "rss": rss_rise, "chars": len(text)}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
