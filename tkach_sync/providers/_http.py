"""The one HTTP layer under every provider: session, errors, retries, cancellation.

- One ``requests.Session`` per provider, with explicit (connect, read) timeouts.
- Status codes become typed errors in one place: ``error_from_response``.
- Retries back off exponentially with jitter, honour ``retry-after-ms`` /
  ``retry-after`` and sleep on the cancellation token, never ``time.sleep``.
- Cancelling the token shuts the socket down from the cancelling thread, so a
  read blocked in another thread returns at once: while waiting for the
  headers through our connection class, and while reading the body through
  urllib3's ``HTTPResponse.shutdown()``. ``Response.close()`` from another
  thread would not wake a blocked ``recv``; ``shutdown()`` does.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import urllib3.connection
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .._version import __version__
from ..cancel import CancellationToken
from ..errors import (
    ApiError,
    DeserializationError,
    Overloaded,
    ProviderError,
    RateLimited,
    RequestCancelled,
    TransportError,
)

__all__ = [
    "BlockedAddress",
    "HttpClient",
    "RetryPolicy",
    "Timeout",
    "address_guard",
    "cancel_scope",
    "error_from_response",
    "new_session",
    "shutdown_response",
]

log = logging.getLogger("tkach_sync.http")

T = TypeVar("T")

_ERROR_BODY_LIMIT = 64 * 1024
_DEFAULT_CONNECT = 10.0


# --- configuration -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds to connect, and the longest silence allowed while reading.

    ``read`` is the gap between two chunks, not the whole response, so it also
    catches a stream that stalls.
    """

    connect: float = _DEFAULT_CONNECT
    read: float = 600.0

    @classmethod
    def of(cls, value: float | tuple[float, float] | Timeout | None) -> Timeout:
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, tuple):
            return cls(*value)
        return cls(connect=min(float(value), _DEFAULT_CONNECT), read=float(value))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a failed call again, and how long to wait first."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    """A server asking for a longer wait than this gets no retry: the caller decides."""

    def delay(self, retries_done: int, error: ProviderError) -> float | None:
        """Seconds to wait before the next try, or None to give up."""
        if not error.is_retryable or retries_done >= self.max_retries:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        backoff = min(self.initial_delay * 2.0**retries_done, self.max_delay)
        return backoff * (1 - 0.25 * random.random())


# --- errors ------------------------------------------------------------------


def error_from_response(
    status: int, headers: Any, body: bytes | str, *, url: str = ""
) -> ProviderError:
    """The typed error for an HTTP error status, from any provider's error body."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    message, error_type, request_id = _parse_error_body(text)
    request_id = request_id or headers.get("request-id") or headers.get("x-request-id")
    retry_after = parse_retry_after(headers)
    retryable = _should_retry_header(headers)
    if status == 429:
        # Quota and billing exhaustion is a 429 that no retry will fix.
        if error_type in ("insufficient_quota", "billing_error", "credit_balance_exhausted"):
            retryable = False
        cls: type[ApiError] = RateLimited
    elif status in (503, 529):
        cls = Overloaded
    else:
        cls = ApiError
    return cls(
        status,
        message or f"HTTP {status} from {url or 'the server'}",
        error_type,
        retryable=retryable,
        retry_after=retry_after,
        request_id=request_id,
    )


def _parse_error_body(text: str) -> tuple[str, str | None, str | None]:
    """(message, error type, request id) from Anthropic, OpenAI, OpenRouter or vLLM bodies."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:500], None, None
    if not isinstance(data, dict):
        return text.strip()[:500], None, None
    request_id = data.get("request_id") if isinstance(data.get("request_id"), str) else None
    error = data.get("error")
    if isinstance(error, dict):  # Anthropic, OpenAI, OpenRouter
        message = str(error.get("message") or "")
        error_type = error.get("type") or error.get("code")
        return message, str(error_type) if error_type is not None else None, request_id
    if isinstance(error, str):
        return error, None, request_id
    if data.get("object") == "error":  # vLLM
        return str(data.get("message") or ""), _str_or_none(data.get("type")), request_id
    return text.strip()[:500], None, request_id


def _str_or_none(value: object) -> str | None:
    return str(value) if value is not None else None


def parse_retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms``, or ``retry-after`` as seconds or an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        with contextlib.suppress(ValueError):
            return max(float(ms) / 1000.0, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _should_retry_header(headers: Any) -> bool | None:
    value = str(headers.get("x-should-retry", "")).lower()
    return True if value == "true" else False if value == "false" else None


def transport_error(exc: BaseException, cancel: CancellationToken) -> ProviderError:
    """A requests/urllib3/socket failure as our error (a cancel wins over the symptom)."""
    if cancel.is_cancelled:
        return RequestCancelled()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportError(f"connect timed out: {exc}")
    if isinstance(
        exc,
        requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError | socket.timeout,
    ) or "Read timed out" in str(exc):
        return TransportError(f"read timed out: {exc}")
    return TransportError(f"connection failed: {exc}")


# --- cancellation reaches the socket -----------------------------------------

_scope = threading.local()


def _watching_cancel(
    sock: socket.socket | None, getresponse: Callable[[], urllib3.response.HTTPResponse]
) -> urllib3.response.HTTPResponse:
    """Wait for the response headers; a cancel meanwhile shuts the socket down."""
    token: CancellationToken | None = getattr(_scope, "token", None)
    if token is None or sock is None:
        return getresponse()
    with token.on_cancel(lambda: _shutdown_socket(sock)):
        return getresponse()


class BlockedAddress(urllib3.exceptions.NewConnectionError):
    """The connection reached an address the calling code refused (see ``address_guard``)."""


def _checked(conn: urllib3.connection.HTTPConnection, sock: socket.socket) -> socket.socket:
    """Refuse the peer before a byte is sent: this sees the address actually connected to,
    so neither DNS rebinding nor a redirect gets past it."""
    allow: Callable[[str], bool] | None = getattr(_scope, "allow_address", None)
    if allow is not None:
        address = str(sock.getpeername()[0])
        if not allow(address):
            sock.close()
            raise BlockedAddress(conn, f"refused to connect to {conn.host} at {address}")
    return sock


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(self, super()._new_conn())

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        return _watching_cancel(self.sock, super().getresponse)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(self, super()._new_conn())

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        return _watching_cancel(self.sock, super().getresponse)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class CancellableAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections obey the calling thread's cancellation token."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def close(self) -> None:
        # urllib3 2's PoolManager.clear() forgets its pools without closing them
        # (they close when collected), so a traceback that keeps a response
        # alive would keep its socket open past close(). Close them now.
        pools = self.poolmanager.pools
        for key in pools.keys():  # noqa: SIM118 - the container refuses plain iteration
            with contextlib.suppress(KeyError):
                pools[key].close()
        super().close()


def _shutdown_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def shutdown_response(response: requests.Response) -> None:
    """Wake a read blocked on this response in another thread."""
    with contextlib.suppress(Exception):  # already released or closed: nothing to wake
        response.raw.shutdown()


@contextlib.contextmanager
def address_guard(allow: Callable[[str], bool] | None) -> Iterator[None]:
    """Connections this thread opens inside the block, through ``new_session()``, must
    reach an IP address ``allow`` accepts, or fail with ``BlockedAddress``."""
    previous = getattr(_scope, "allow_address", None)
    _scope.allow_address = allow
    try:
        yield
    finally:
        _scope.allow_address = previous


@contextlib.contextmanager
def cancel_scope(cancel: CancellationToken) -> Iterator[None]:
    """Requests sent by this thread inside the block, through ``new_session()``, obey ``cancel``
    while they wait for the response headers."""
    previous = getattr(_scope, "token", None)
    _scope.token = cancel
    try:
        yield
    finally:
        _scope.token = previous


# --- the client --------------------------------------------------------------


def _encode(body: object) -> bytes | None:
    """A JSON body; bytes pass as they are (already encoded, e.g. to check their size)."""
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def new_session(pool_size: int = 64) -> requests.Session:
    """A session whose connections a cancel can interrupt (see ``cancel_scope``)."""
    session = requests.Session()
    adapter = CancellableAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class HttpClient:
    """JSON over HTTP for one provider: base URL, auth headers, timeouts, retries."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        timeout: float | tuple[float, float] | Timeout | None = None,
        max_retries: int = 2,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"user-agent": f"tkach_sync/{__version__}", **headers}
        self.timeout = Timeout.of(timeout)
        self.retry = RetryPolicy(max_retries=max_retries)
        self.session = session if session is not None else new_session()

    def close(self) -> None:
        self.session.close()

    # Each public call retries as a whole: a failure anywhere before the caller
    # got data (connect, status, body, JSON) is worth another try.

    def request_json(
        self,
        method: str,
        path: str,
        cancel: CancellationToken,
        *,
        body: object = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        def attempt() -> Any:
            response = self.send(method, path, cancel, body=body, params=params)
            try:
                return self.read_json(response, cancel)
            finally:
                response.close()

        return self.with_retries(attempt, cancel)

    def with_retries(self, attempt: Callable[[], T], cancel: CancellationToken) -> T:
        retries = 0
        while True:
            try:
                return attempt()
            except ProviderError as error:
                self.backoff(retries, error, cancel)
                retries += 1

    def backoff(self, retries: int, error: ProviderError, cancel: CancellationToken) -> None:
        """Wait before the next try after ``error``, or raise: the error when it is final,
        ``RequestCancelled`` when the token fired. Every retry loop decides here."""
        if cancel.is_cancelled:
            if isinstance(error, RequestCancelled):
                raise error
            raise RequestCancelled() from error
        delay = self.retry.delay(retries, error)
        if delay is None:
            raise error
        log.info("retrying in %.2f s (try %d) after: %s", delay, retries + 2, error)
        if cancel.wait(delay):
            raise RequestCancelled() from error

    def send(
        self,
        method: str,
        path: str,
        cancel: CancellationToken,
        *,
        body: object = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One HTTP exchange up to the headers; the body is left to read. Raises on error status."""
        if cancel.is_cancelled:
            raise RequestCancelled()
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        data = _encode(body)
        all_headers = self.headers if not headers else {**self.headers, **headers}
        if data is not None:
            all_headers = {**all_headers, "content-type": "application/json"}
        try:
            with cancel_scope(cancel):
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=all_headers,
                    stream=True,
                    timeout=(self.timeout.connect, self.timeout.read),
                )
        except requests.exceptions.RequestException as exc:
            raise transport_error(exc, cancel) from exc
        if response.status_code >= 400:
            try:
                error_body = self._read_limited(response, cancel)
            finally:
                response.close()
            raise error_from_response(response.status_code, response.headers, error_body, url=url)
        return response

    def read_json(self, response: requests.Response, cancel: CancellationToken) -> Any:
        """The whole body as JSON; a cancel wakes the read at once."""
        with cancel.on_cancel(lambda: shutdown_response(response)):
            try:
                raw = response.content
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise transport_error(exc, cancel) from exc
        if cancel.is_cancelled:
            raise RequestCancelled()
        try:
            return json.loads(raw)
        except ValueError as exc:
            snippet = raw[:200].decode("utf-8", "replace")
            raise DeserializationError(f"the response is not JSON: {snippet!r}") from exc

    def _read_limited(self, response: requests.Response, cancel: CancellationToken) -> bytes:
        with cancel.on_cancel(lambda: shutdown_response(response)):
            try:
                return response.raw.read(_ERROR_BODY_LIMIT, decode_content=True) or b""
            except Exception:  # the status says enough without the body
                return b""
