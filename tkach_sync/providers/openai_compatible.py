"""Any OpenAI-compatible Chat Completions endpoint: OpenAI, OpenRouter, Ollama, vLLM, …"""

from __future__ import annotations

import os
from typing import Any

import requests

from ..cancel import CancellationToken
from ..events import StreamEvent
from ..messages import ContentBlock
from ._http import HttpClient, Timeout
from ._openai_wire import OpenAIStreamAccumulator, openai_body, parse_openai_response
from ._sse import ProviderStream
from .base import Request, Response

__all__ = ["OpenAICompatible"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAICompatible:
    """A Chat Completions endpoint. Our history is converted on every call.

        provider = OpenAICompatible.from_env()                       # OpenAI itself
        provider = OpenAICompatible(None, base_url="http://localhost:11434/v1")   # Ollama

    ``max_tokens_field="max_completion_tokens"`` suits OpenAI's newer models;
    ``include_usage=False`` suits servers that refuse ``stream_options``.
    """

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | tuple[float, float] | Timeout | None = None,
        max_retries: int = 2,
        session: requests.Session | None = None,
        max_tokens_field: str = "max_tokens",
        include_usage: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._api_key = api_key
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "session": session,
            "max_tokens_field": max_tokens_field,
            "include_usage": include_usage,
            "headers": headers,
        }
        self.max_tokens_field = max_tokens_field
        self.include_usage = include_usage
        auth = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = HttpClient(
            base_url,
            {**(headers or {}), **auth},
            timeout=timeout,
            max_retries=max_retries,
            session=session,
        )

    @classmethod
    def from_env(cls, **options: Any) -> OpenAICompatible:
        """A provider from ``OPENAI_API_KEY`` (and ``OPENAI_BASE_URL`` if set)."""
        options.setdefault("base_url", os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
        return cls(os.environ.get("OPENAI_API_KEY") or None, **options)

    def with_base_url(self, base_url: str) -> OpenAICompatible:
        return type(self)(self._api_key, base_url=base_url, **self._options)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def __repr__(self) -> str:
        return f"OpenAICompatible(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenAICompatible:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def complete(self, request: Request, cancel: CancellationToken | None = None) -> Response:
        body = openai_body(request, stream=False, max_tokens_field=self.max_tokens_field)
        token = cancel or CancellationToken()
        data = self._http.request_json("POST", "/chat/completions", token, body=body)
        return parse_openai_response(data)

    def stream(self, request: Request, cancel: CancellationToken | None = None) -> ProviderStream:
        body = openai_body(
            request,
            stream=True,
            max_tokens_field=self.max_tokens_field,
            include_usage=self.include_usage,
        )
        return ProviderStream(
            self._http, "/chat/completions", body, cancel or CancellationToken(), _DataOnly
        )


class _DataOnly:
    """OpenAI streams carry no event names: the accumulator reads the data alone."""

    def __init__(self) -> None:
        self._inner = OpenAIStreamAccumulator()

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        return self._inner.feed(data)

    def finish(self) -> list[StreamEvent]:
        return self._inner.finish()

    def thinking(self) -> list[ContentBlock]:
        return self._inner.thinking()
