"""The Anthropic Messages API over HTTP: ``complete`` (JSON) and ``stream`` (SSE)."""

from __future__ import annotations

import os
from typing import Any

import requests

from ..cancel import CancellationToken
from ._anthropic_wire import AnthropicStreamAccumulator, anthropic_body, parse_anthropic_response
from ._http import HttpClient, Timeout
from ._sse import ProviderStream
from .anthropic_batches import BatchesMixin
from .base import Request, Response

__all__ = ["Anthropic"]

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
"""Kept at 2023-06-01: later versions refuse ``temperature``."""


class Anthropic(BatchesMixin):
    """The Anthropic API. The key goes in ``x-api-key`` and never into a repr or a log.

    provider = Anthropic.from_env()          # ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
    provider = Anthropic("sk-ant-…", timeout=(5, 300), max_retries=4)
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | tuple[float, float] | Timeout | None = None,
        max_retries: int = 2,
        session: requests.Session | None = None,
        version: str = API_VERSION,
    ) -> None:
        if not api_key:
            raise ValueError("Anthropic needs an API key (set ANTHROPIC_API_KEY)")
        self._api_key = api_key
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "session": session,
            "version": version,
        }
        self._http = HttpClient(
            base_url,
            {"x-api-key": api_key, "anthropic-version": version},
            timeout=timeout,
            max_retries=max_retries,
            session=session,
        )

    @classmethod
    def from_env(cls, **options: Any) -> Anthropic:
        """A provider from ``ANTHROPIC_API_KEY`` (and ``ANTHROPIC_BASE_URL`` if set)."""
        key = os.environ.get("ANTHROPIC_API_KEY", "")
        if not key:
            raise ValueError("ANTHROPIC_API_KEY is not set")
        options.setdefault("base_url", os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL)
        return cls(key, **options)

    def with_base_url(self, base_url: str) -> Anthropic:
        """The same provider talking to another host (a proxy, a gateway, a fake server)."""
        return type(self)(self._api_key, base_url=base_url, **self._options)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def __repr__(self) -> str:
        return f"Anthropic(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Anthropic:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def complete(self, request: Request, cancel: CancellationToken | None = None) -> Response:
        body = anthropic_body(request, stream=False)
        data = self._http.request_json(
            "POST", "/v1/messages", cancel or CancellationToken(), body=body
        )
        return parse_anthropic_response(data)

    def stream(self, request: Request, cancel: CancellationToken | None = None) -> ProviderStream:
        body = anthropic_body(request, stream=True)
        return ProviderStream(
            self._http,
            "/v1/messages",
            body,
            cancel or CancellationToken(),
            AnthropicStreamAccumulator,
        )
