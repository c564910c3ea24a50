import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tkach_sync.errors import ToolCancelled
from tkach_sync.tools.web_fetch import WebFetch

fetch = WebFetch()

PAGE = b"""<html><head><title>Test page</title><style>body { color: red }</style>
<script>var secret = "do not show";</script></head>
<body><h1>Welcome</h1><p>Read the <a href="/docs/intro">intro</a> first.</p></body></html>"""


class Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.stop = threading.Event()
        self.streaming = threading.Event()

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away, as cancelled and capped clients do

    def route(self):
        if self.path == "/page.html":
            self.reply(200, "text/html; charset=utf-8", PAGE)
        elif self.path == "/data.json":
            self.reply(200, "application/json", b'{"answer": 42}')
        elif self.path == "/latin":
            self.reply(200, "text/plain; charset=iso-8859-1", "café".encode("latin-1"))
        elif self.path == "/image.png":
            self.reply(200, "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        elif self.path == "/untyped":
            self.reply(200, None, b"ELF\x00\x00\x01binary")
        elif self.path == "/missing":
            self.reply(404, "text/html", b"<html><body><h1>Not here</h1></body></html>")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/data.json")
            self.end_headers()
        elif self.path == "/echo-headers":
            lines = f"X-Test: {self.headers['X-Test']}\nUA: {self.headers['User-Agent']}"
            self.reply(200, "text/plain", lines.encode())
        elif self.path == "/big":
            self.big(6_000_000)
        elif self.path == "/slow":
            self.endless()
        elif self.path == "/silent":
            self.server.streaming.set()
            self.server.stop.wait(10)  # never answer, until the test ends

    def reply(self, status, content_type, body):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def big(self, size):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        line = b"a" * 99 + b"\n"
        for _ in range(size // len(line)):
            self.wfile.write(line)

    def endless(self):
        # HTTP/1.0 with no length: the body lasts until the server closes.
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"first line\n")
        self.server.streaming.set()
        while not self.server.stop.wait(0.05):
            self.wfile.write(b"more\n")


@pytest.fixture
def server():
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield srv
    srv.stop.set()
    srv.shutdown()
    srv.server_close()
    thread.join()


def run(ctx, url, headers=None):
    return fetch.execute({"url": url, "headers": headers}, ctx)


def test_html_becomes_readable_text_with_link_targets(ctx, server):
    out = run(ctx, server.url("/page.html"))
    assert not out.is_error
    assert out.content.startswith(f"URL: {server.url('/page.html')}\nContent-Type: text/html\n")
    assert "# Welcome" in out.content
    assert f"Read the [intro]({server.url('/docs/intro')}) first." in out.content
    assert "Test page" in out.content
    assert "secret" not in out.content and "color" not in out.content


def test_json_comes_back_as_it_is(ctx, server):
    out = run(ctx, server.url("/data.json"))
    assert not out.is_error
    assert out.content.endswith('\n\n{"answer": 42}')


def test_the_declared_charset_is_used(ctx, server):
    assert run(ctx, server.url("/latin")).content.endswith("\n\ncafé")


def test_redirects_are_followed_and_the_final_url_is_shown(ctx, server):
    out = run(ctx, server.url("/redirect"))
    assert out.content.startswith(f"URL: {server.url('/data.json')}\n")


def test_extra_headers_are_sent_beside_the_default_user_agent(ctx, server):
    out = run(ctx, server.url("/echo-headers"), headers={"X-Test": "yes"})
    assert "X-Test: yes" in out.content
    assert "UA: tkach_sync/" in out.content


def test_an_error_status_is_an_error_result_with_a_snippet(ctx, server):
    out = run(ctx, server.url("/missing"))
    assert out.is_error
    assert "HTTP 404" in out.content
    assert "Not here" in out.content


def test_binary_content_is_refused(ctx, server):
    image = run(ctx, server.url("/image.png"))
    assert image.is_error and "image/png" in image.content
    untyped = run(ctx, server.url("/untyped"))
    assert untyped.is_error and "binary" in untyped.content


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "localhost:80", "http://"]
)
def test_only_http_and_https_urls_are_fetched(ctx, url):
    out = run(ctx, url)
    assert out.is_error
    assert "http:// or https://" in out.content


def test_a_refused_connection_is_an_error_result(ctx):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = run(ctx, f"http://127.0.0.1:{port}/")
    assert out.is_error
    assert "could not fetch" in out.content


def test_a_body_over_the_size_cap_is_cut_and_the_text_capped(ctx, server):
    out = run(ctx, server.url("/big"))
    assert not out.is_error
    assert out.content.endswith("[body cut at 5000000 bytes]")
    assert "[text truncated: 4900000 more characters]" in out.content
    assert len(out.content) < 101_000


def test_cancel_mid_body_ends_the_call_within_a_second(ctx, server, in_thread):
    call = in_thread(lambda: run(ctx, server.url("/slow")))
    assert server.streaming.wait(10), "the server never started the body"
    cancelled_at = time.monotonic()
    ctx.cancel.cancel()
    assert call.join(timeout=5)
    assert time.monotonic() - cancelled_at < 1
    assert isinstance(call.error, ToolCancelled)


def test_cancel_while_the_server_never_answers_ends_the_call_within_a_second(
    ctx, server, in_thread
):
    call = in_thread(lambda: run(ctx, server.url("/silent")))
    assert server.streaming.wait(10), "the request never arrived"
    cancelled_at = time.monotonic()
    ctx.cancel.cancel()
    assert call.join(timeout=5)
    assert time.monotonic() - cancelled_at < 1
    assert isinstance(call.error, ToolCancelled)


def test_a_cancelled_token_stops_the_fetch_before_it_starts(ctx, server):
    ctx.cancel.cancel()
    with pytest.raises(ToolCancelled):
        run(ctx, server.url("/data.json"))
