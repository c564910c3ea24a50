"""confine_to_working_dir keeps the file tools inside; the SSRF guard keeps web_fetch off private nets."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tkach_sync import (
    Agent,
    CancellationToken,
    Message,
    ToolContext,
    ToolError,
    ToolExecutor,
    ToolUseBlock,
)
from tkach_sync.providers import Mock, Response
from tkach_sync.tools import Edit, Glob, Grep, Read, SubAgent, WebFetch, Write, defaults


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A working dir with a secret next door and links pointing at it."""
    (tmp_path / "secret.txt").write_text("TOP SECRET\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "key.txt").write_text("TOP SECRET KEY\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "inside.txt").write_text("harmless\n")
    (work / "link-to-secret.txt").symlink_to(tmp_path / "secret.txt")
    (work / "link-to-outside").symlink_to(tmp_path / "outside")
    return work


def confined(work: Path) -> ToolContext:
    return ToolContext(working_dir=work, cancel=CancellationToken(), confine_to_working_dir=True)


def run(tool, ctx, **input):
    return tool.execute(tool.validate_input(input), ctx)


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "sub/../../secret.txt",
        "link-to-secret.txt",
        "link-to-outside/key.txt",
        "/etc/hostname",
    ],
)
def test_file_tools_refuse_paths_that_lead_outside(box, path):
    ctx = confined(box)
    for tool, input in [
        (Read(), {"file_path": path}),
        (Write(), {"file_path": path, "content": "pwned"}),
        (Edit(), {"file_path": path, "old_string": "TOP", "new_string": "pwned"}),
    ]:
        with pytest.raises(ToolError, match="outside the working directory"):
            run(tool, ctx, **input)
    assert (box.parent / "secret.txt").read_text() == "TOP SECRET\n"


def test_inside_paths_still_work_when_confined(box):
    ctx = confined(box)
    assert "harmless" in run(Read(), ctx, file_path="inside.txt").content
    assert not run(Write(), ctx, file_path="new/file.txt", content="x").is_error
    assert not run(
        Edit(), ctx, file_path="inside.txt", old_string="harmless", new_string="fine"
    ).is_error


def test_glob_and_grep_neither_walk_out_nor_follow_links_out(box):
    ctx = confined(box)
    with pytest.raises(ToolError):
        run(Glob(), ctx, pattern="../*.txt")
    with pytest.raises(ToolError):
        run(Glob(), ctx, pattern="/etc/*")
    with pytest.raises(ToolError):
        run(Grep(), ctx, pattern="SECRET", path="..")
    listing = run(Glob(), ctx, pattern="**/*.txt").content
    assert "inside.txt" in listing and "link-to-secret" not in listing
    found = run(Grep(), ctx, pattern="SECRET|harmless").content
    assert "harmless" in found and "SECRET" not in found


def test_unconfined_tools_go_where_they_are_told(box):
    ctx = ToolContext(working_dir=box, cancel=CancellationToken())
    assert "TOP SECRET" in run(Read(), ctx, file_path="../secret.txt").content


def test_the_agent_confines_its_tools_and_its_sub_agents(box):
    read_secret = Response.from_tool_calls(
        ToolUseBlock("r", "read", {"file_path": "../secret.txt"})
    )
    child = Mock.with_responses([read_secret, "child done"])
    parent = Mock.with_responses(
        [
            read_secret,
            Response.from_tool_calls(ToolUseBlock("a", "agent", {"prompt": "try"})),
            "done",
        ]
    )
    agent = Agent(
        provider=parent,
        model="m",
        tools=[*defaults(), SubAgent(child, "m")],
        working_dir=box,
        confine_to_working_dir=True,
    )
    result = agent.run([Message.user_text("read the secret")])
    refused = result.new_messages[1].tool_results[0]
    assert refused.is_error and "outside the working directory" in refused.content
    child_refused = child.requests[1].messages[-1].tool_results[0]
    assert child_refused.is_error and "outside the working directory" in child_refused.content
    assert "TOP SECRET" not in str([m.model_dump() for m in result.new_messages])


# --- web_fetch's SSRF guard ---------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_the_guard_refuses_non_global_addresses(address):
    assert not WebFetch(block_private_addresses=True)._allows(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_the_guard_lets_public_addresses_through(address):
    assert WebFetch(block_private_addresses=True)._allows(address)


@pytest.fixture
def local_site():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/hop":
                self.send_response(302)
                self.send_header(
                    "Location", f"http://127.0.0.1:{self.server.server_address[1]}/page"
                )
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"internal")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_web_fetch_refuses_loopback_when_guarded_and_allows_listed_networks(local_site, tmp_path):
    ctx = ToolContext(working_dir=tmp_path, cancel=CancellationToken())
    port = local_site.rsplit(":", 1)[1]
    for url in [f"{local_site}/page", f"http://localhost:{port}/page", f"{local_site}/hop"]:
        refused = run(WebFetch(block_private_addresses=True), ctx, url=url)
        assert refused.is_error and "refused" in refused.content, url
    allowed = WebFetch(block_private_addresses=True, allow_networks=["127.0.0.0/8"])
    assert "internal" in run(allowed, ctx, url=f"{local_site}/hop").content
    assert "internal" in run(WebFetch(), ctx, url=f"{local_site}/page").content


def test_web_fetch_refuses_other_schemes(tmp_path):
    ctx = ToolContext(working_dir=tmp_path, cancel=CancellationToken())
    for url in ["file:///etc/passwd", "ftp://example.com/x", "gopher://x"]:
        assert run(WebFetch(), ctx, url=url).is_error


def test_the_executor_reports_a_confinement_refusal_to_the_model(box):
    from tkach_sync import ToolCall

    ctx = confined(box)
    result = ToolExecutor([Read()]).execute_one(
        ToolCall("1", "read", {"file_path": "../secret.txt"}), ctx
    )
    assert result.is_error and "confined" in result.content
