"""Reading whole streams side by side: the measurement under figures 1, 2 and 3.

Every client reads the same route; a sample is one whole answer, timed from
the request to the last event. Events and bytes are the server's count of
the answer (for ``Agent.stream`` on a tool transcript, both answers of the
run: the tool call, and the text after the tool ran).
"""

from __future__ import annotations

from collections.abc import Callable

from .clients import (
    CEILING,
    FLOOR,
    Client,
    agent_stream,
    floor,
    opened,
    provider_stream,
    sdk_stream,
    server_ceiling,
)
from .core import Context, Row, Target, interleaved, rows_against, timed
from .transcripts import Protocol

__all__ = ["AGENT", "SDK", "stream_clients", "stream_seconds"]

AGENT = "Agent.stream"
SDK = "official SDK"


def stream_clients(
    url: str, protocol: Protocol, *, with_agent: bool = True, with_ceiling: bool = False
) -> dict[str, Callable[[], Client]]:
    """The floor, our provider stream, the agent's stream and the official SDK, by label;
    first, if asked, the server's ceiling."""
    provider = "Anthropic.stream" if protocol == "anthropic" else "OpenAICompatible.stream"
    makers: dict[str, Callable[[], Client]] = {}
    if with_ceiling:
        makers[CEILING] = lambda: server_ceiling(url, protocol)
    makers[FLOOR] = lambda: floor(url, protocol)
    makers[provider] = lambda: provider_stream(url, protocol)
    if with_agent:
        makers[AGENT] = lambda: agent_stream(url, protocol)
    makers[SDK] = lambda: sdk_stream(url, protocol)
    return makers


def stream_seconds(
    ctx: Context,
    route: str,
    protocol: Protocol,
    repeats: int,
    *,
    with_agent: bool = True,
    with_ceiling: bool = False,
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Seconds per whole answer for each client, and the clients that could not run."""
    url = ctx.server.url(route)
    makers = stream_clients(url, protocol, with_agent=with_agent, with_ceiling=with_ceiling)
    with opened(makers) as (clients, missing):
        runs = {label: _timer(client) for label, client in clients.items()}
        return interleaved(runs, repeats), missing


def _timer(client: Client) -> Callable[[], float]:
    return lambda: timed(client.read)


def throughput_rows(
    ctx: Context,
    figure: str,
    case: str,
    route: str,
    protocol: Protocol,
    targets: dict[str, Target],
    repeats: int,
) -> list[Row]:
    """Events/s per client, against the floor; MB/s in the note."""
    meta = ctx.server.meta(route)
    seconds, missing = stream_seconds(ctx, route, protocol, repeats, with_ceiling=True)
    rates: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    for label, values in seconds.items():
        events, size = meta.events, meta.bytes
        if label == AGENT and meta.after_events:
            events += meta.after_events
            size += meta.after_bytes
        rates[label] = [events / s for s in values]
        mb_per_s = sorted(size / s / 1e6 for s in values)[len(values) // 2]
        notes[label] = f"{mb_per_s:.1f} MB/s"
    if AGENT in notes and meta.after_events:
        notes[AGENT] += "; runs the tool and a 2nd call"
    rows = rows_against(figure, case, "events/s", rates, FLOOR, targets, notes)
    rows += missing_rows(figure, case, "events/s", missing, targets)
    return rows


def missing_rows(
    figure: str, case: str, unit: str, missing: dict[str, str], targets: dict[str, Target]
) -> list[Row]:
    return [
        Row(figure, case, label, unit, None, target=targets.get(label), note=why)
        for label, why in missing.items()
    ]
