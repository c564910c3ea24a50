"""``web_fetch``: GET a URL and return its content as text.

The body is read in chunks with a size cap. A cancel shuts the socket down
from the cancelling thread, which wakes a read blocked in ``recv`` at once
(closing the response from another thread would not).
"""

from __future__ import annotations

import codecs
import ipaddress
from collections.abc import Sequence
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import Field

from .._version import __version__
from ..cancel import CancellationToken
from ..errors import ToolError
from ..providers._http import (
    BlockedAddress,
    address_guard,
    cancel_scope,
    new_session,
    shutdown_response,
)
from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params, cap_text, is_binary
from ._html import html_to_text

__all__ = ["WebFetch"]

MAX_BYTES = 5_000_000
MAX_CHARS = 100_000
USER_AGENT = f"tkach_sync/{__version__} (web_fetch)"
TIMEOUT = (10.0, 30.0)
"""Seconds to connect, and to wait for each piece of the answer."""

_TEXT_TYPES = frozenset(
    {"application/json", "application/xml", "application/javascript", "application/x-ndjson"}
)


class WebFetchInput(Params):
    url: str = Field(description="The http:// or https:// URL to fetch.")
    headers: dict[str, str] | None = Field(
        None, description="Extra request headers, e.g. Accept or Authorization."
    )


class WebFetch(Tool):
    name = "web_fetch"
    description = (
        "Fetch a URL with HTTP GET and return its content as text. Only http and https URLs; "
        "redirects are followed. HTML is turned into readable text (scripts and styles "
        "dropped, links kept as [text](url)); JSON, XML and plain text come back as they are; "
        "binary content such as images, PDFs or archives is refused. A status outside 2xx is "
        f"an error showing the start of the body. Bodies over {MAX_BYTES // 1_000_000} MB are "
        f"cut, and at most {MAX_CHARS} characters of text are returned; both cuts are noted."
    )
    tool_class = ToolClass.READ_ONLY
    params = WebFetchInput

    def __init__(
        self, *, block_private_addresses: bool = False, allow_networks: Sequence[str] = ()
    ) -> None:
        """``block_private_addresses`` is the SSRF guard: loopback, private, link-local and
        other non-global addresses are refused (after redirects and DNS, at connect time),
        except those inside ``allow_networks`` (CIDR strings such as ``"10.1.0.0/16"``)."""
        self.block_private_addresses = block_private_addresses
        self.allow_networks = tuple(ipaddress.ip_network(n) for n in allow_networks)

    def _allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allow_networks):
            return True
        return ip.is_global and not ip.is_multicast

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        url = input["url"]
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return ToolOutput.error(f"web_fetch takes http:// or https:// URLs only, not {url!r}")
        headers = {"User-Agent": USER_AGENT, **(input["headers"] or {})}
        ctx.cancel.raise_if_cancelled()
        with new_session(pool_size=1) as session:
            try:
                guard = self._allows if self.block_private_addresses else None
                with cancel_scope(ctx.cancel), address_guard(guard):
                    response = session.get(url, headers=headers, stream=True, timeout=TIMEOUT)
            except (requests.RequestException, ValueError) as exc:
                ctx.cancel.raise_if_cancelled()
                if _caused_by(exc, BlockedAddress):
                    return ToolOutput.error(
                        f"refused: {url} leads to a private, loopback or link-local address, "
                        "and web_fetch is set to block those"
                    )
                return ToolOutput.error(f"could not fetch {url}: {exc}")
            with response, ctx.cancel.on_cancel(lambda: shutdown_response(response)):
                return _answer(response, ctx.cancel)


def _answer(response: requests.Response, cancel: CancellationToken) -> ToolOutput:
    kind, charset = _media_type(response.headers.get("Content-Type"))
    if not response.ok:
        body, _ = _read(response, 65536, cancel)
        textual = not kind or _is_text(kind)
        snippet = _as_text(body, kind, charset, response.url)[:1000] if textual else ""
        return ToolOutput.error(
            f"HTTP {response.status_code} {response.reason} from {response.url}\n{snippet}"
        )
    if kind and not _is_text(kind):
        return ToolOutput.error(f"{response.url} is {kind}; web_fetch returns text content only")
    body, cut = _read(response, MAX_BYTES, cancel)
    if not kind and is_binary(body):
        return ToolOutput.error(f"{response.url} looks binary; web_fetch returns text only")
    text = cap_text(_as_text(body, kind, charset, response.url), MAX_CHARS)
    note = f"\n[body cut at {MAX_BYTES} bytes]" if cut else ""
    return ToolOutput.text(
        f"URL: {response.url}\nContent-Type: {kind or 'unknown'}\n\n{text}{note}"
    )


def _read(response: requests.Response, limit: int, cancel: CancellationToken) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the (decompressed) body, and whether there was more."""
    body = bytearray()
    try:
        for chunk in response.iter_content(65536):
            cancel.raise_if_cancelled()
            body += chunk
            if len(body) > limit:
                return bytes(body[:limit]), True
    except requests.RequestException as exc:
        cancel.raise_if_cancelled()
        raise ToolError(f"the connection broke while reading {response.url}: {exc}") from None
    cancel.raise_if_cancelled()
    return bytes(body), False


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind) or any(isinstance(a, kind) for a in seen.args):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _media_type(header: str | None) -> tuple[str, str]:
    """The lower-case media type ('' if the server sent none) and the charset to decode with."""
    if not header:
        return "", "utf-8"
    message = Message()
    message["Content-Type"] = header
    charset = message.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return message.get_content_type(), charset


def _is_text(kind: str) -> bool:
    return kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith(("+json", "+xml"))


def _as_text(body: bytes, kind: str, charset: str, url: str) -> str:
    text = body.decode(charset, errors="replace")
    if kind in ("text/html", "application/xhtml+xml"):
        return html_to_text(text, base_url=url)
    return text
