"""The Django example (examples/django_view) end to end: over HTTP, and in headless Chromium.

The example's server runs in this process on 127.0.0.1, its model is the fake
LLM server. The browser tests drive Debian's ``chromium`` through its
``chromedriver`` with Selenium; when either is missing they run
``scripts/install-browser`` and skip, saying why, only if that cannot install them.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tkach_sync import ApprovalDecision, ToolClass
from tkach_sync.providers import Anthropic
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn, render_anthropic_sse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_TIMEOUT = 400
browser_test = pytest.mark.timeout(INSTALL_TIMEOUT + 60)  # the first may install Chromium
WAIT = 10.0
RUN_THREADS = ("tkach-stream", "tkach-approval", "tkach-tool")

FIRST = "I will write notes.md for you now."
FINAL = "Done: notes.md holds the notes."
WRITE = ToolCallSpec("write", {"file_path": "notes.md", "content": "- streamed\n"}, id="toolu_w1")


def load_example() -> ModuleType:
    """app.py under a name of its own (its settings name it as the URLconf)."""
    spec = importlib.util.spec_from_file_location(
        "django_view_app", ROOT / "examples" / "django_view" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


app = load_example()


# --- the server, the model and the browser -----------------------------------------


class _Server(ThreadedWSGIServer):
    daemon_threads = False  # so server_close() joins every request thread


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _QuietHandler)
    server.set_app(app.application)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="django-live")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def fake(fake_llm: FakeLLMServer, tmp_path: Path) -> Iterator[FakeLLMServer]:
    """The example's model is the fake LLM server; its tools work in ``tmp_path``."""
    with Anthropic("test-key", base_url=fake_llm.url, max_retries=0) as provider:
        app.use_backend(app.Backend(provider, "fake-model", tmp_path))
        try:
            yield fake_llm
        finally:
            app.use_backend(None)
    for thread in threading.enumerate():
        if thread.name.startswith(RUN_THREADS):
            thread.join(5)
            assert not thread.is_alive(), f"{thread.name} outlived its run"


def require_chromium() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    try:
        done = subprocess.run(
            [str(ROOT / "scripts" / "install-browser")],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        said = (done.stdout + done.stderr).strip().splitlines()[-1:]
    except (OSError, subprocess.TimeoutExpired) as exc:
        said = [repr(exc)]
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium "
            f"and chromium-driver); scripts/install-browser could not install them: {said}"
        )


@pytest.fixture(scope="module")
def browser(live_url: str) -> Iterator[webdriver.Chrome]:
    require_chromium()
    with (
        tempfile.TemporaryDirectory(prefix="tkach-chromium-") as profile,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("SE_OFFLINE", "true")  # selenium-manager must never fetch a driver
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        service = Service(str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
        driver = webdriver.Chrome(options=options, service=service)
        try:
            yield driver
        finally:
            driver.quit()


class Page:
    """The example's page in the browser, as a person would use it."""

    def __init__(self, driver: webdriver.Chrome, url: str) -> None:
        self.driver = driver
        self.wait = WebDriverWait(driver, WAIT)
        driver.get(url + "/")
        # Every state the assistant's text goes through, as the page paints it.
        driver.execute_script(
            """
            window.seenTexts = [];
            const texts = () => [...document.querySelectorAll("#transcript .assistant")]
              .map((block) => block.textContent);
            new MutationObserver(() => window.seenTexts.push(texts())).observe(
              document.getElementById("transcript"),
              {subtree: true, childList: true, characterData: true});
            """
        )

    def send(self, prompt: str) -> None:
        self.driver.find_element(By.ID, "prompt").send_keys(prompt)
        self.driver.find_element(By.ID, "send").click()

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def wait_for(self, css: str) -> WebElement:
        return self.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def texts(self) -> list[str]:
        return [e.get_attribute("textContent") or "" for e in self._all("#transcript .assistant")]

    def seen_texts(self) -> list[list[str]]:
        seen: list[list[str]] = self.driver.execute_script("return window.seenTexts")
        return [states for i, states in enumerate(seen) if i == 0 or states != seen[i - 1]]

    def state(self) -> str:
        return self.find("#status").get_attribute("data-state") or ""

    def wait_until_state(self, state: str) -> None:
        self.wait.until(lambda _: self.state() == state)

    def _all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)


@pytest.fixture
def page(browser: webdriver.Chrome, live_url: str, fake: FakeLLMServer) -> Page:
    return Page(browser, live_url)


def text_deltas(turn: Turn) -> list[tuple[int, str]]:
    """``(events sent so far, text delta)`` for each text delta of the turn's SSE body."""
    events = render_anthropic_sse(turn).split(b"\n\n")
    deltas = []
    for number, event in enumerate(events, start=1):
        if b'"text_delta"' in event:
            data = json.loads(event.split(b"data: ", 1)[1])
            deltas.append((number, data["delta"]["text"]))
    return deltas


def sse_events(lines: Iterator[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    name = "message"
    for line in lines:
        if line.startswith(b"event: "):
            name = line.removeprefix(b"event: ").decode()
        elif line.startswith(b"data: "):
            yield name, json.loads(line.removeprefix(b"data: "))


# --- in the browser -------------------------------------------------------------------


@browser_test
def test_text_streams_in_and_an_allowed_tool_runs(page: Page, fake: FakeLLMServer, tmp_path: Path):
    first = Turn.tool_calls(WRITE, text=FIRST, chunks=6)
    fake.add(first)
    fake.add(Turn.text(FINAL, chunks=4))
    fake.add(Turn.text("Still here."))

    page.send("Please write some notes")
    prompt = page.wait_for(".approval")
    # The run waits on the prompt: what streamed so far is painted, nothing after it.
    assert page.texts() == [FIRST]
    assert page.state() == "running"
    assert page.find(".tool").text == '→ write {"file_path":"notes.md","content":"- streamed\\n"}'
    assert prompt.text.startswith("Allow write")
    assert not (tmp_path / "notes.md").exists()

    prompt.find_element(By.CSS_SELECTOR, "button.allow").click()
    page.wait_until_state("done")
    assert page.texts() == [FIRST, FINAL]
    assert page.find(".result").text == "✓ created notes.md: wrote 11 bytes"
    assert page.find(".approval").text == "write: allowed"
    assert (tmp_path / "notes.md").read_text() == "- streamed\n"
    # Each delta was painted as it came: the text grew through every prefix.
    grown = ""
    expected = []
    for _, delta in text_deltas(first):
        grown += delta
        expected.append([grown])
    assert [s for s in page.seen_texts() if len(s) == 1] == expected

    # The conversation goes on, and the server kept its history.
    page.send("Anything else?")
    page.wait.until(lambda _: page.texts() == [FIRST, FINAL, "Still here."])
    page.wait_until_state("done")
    history = fake.requests[2].json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant", "user"]
    assert history[1]["content"][1] == {"type": "tool_use", "id": "toolu_w1", **_write_call()}
    assert history[2]["content"][0]["tool_use_id"] == "toolu_w1"
    assert history[4]["content"] == [{"type": "text", "text": "Anything else?"}]


def _write_call() -> dict[str, Any]:
    return {"name": "write", "input": dict(WRITE.input)}


@browser_test
def test_a_denial_with_a_reason_reaches_the_model(page: Page, fake: FakeLLMServer, tmp_path: Path):
    fake.add(Turn.tool_calls(WRITE, text=FIRST, chunks=3))
    fake.add(Turn.text("Understood, I left it alone."))

    page.send("Please write some notes")
    prompt = page.wait_for(".approval")
    prompt.find_element(By.CSS_SELECTOR, "input.reason").send_keys("not today")
    prompt.find_element(By.CSS_SELECTOR, "button.deny").click()
    page.wait_until_state("done")

    assert page.find(".approval").text == "write: denied (not today)"
    assert page.find(".result.error").text == "✗ denied: not today"
    assert page.texts() == [FIRST, "Understood, I left it alone."]
    assert not (tmp_path / "notes.md").exists()
    answer = fake.requests[1].json()["messages"][-1]
    assert answer == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_w1",
                "content": "denied: not today",
                "is_error": True,
            }
        ],
    }


@browser_test
def test_stop_cancels_a_stalled_stream(page: Page, fake: FakeLLMServer):
    turn = Turn.text("one two three four five six", chunks=6)
    (_, a), (sent, b) = text_deltas(turn)[:2]
    handle = fake.add(turn.hang(after_events=sent))  # two deltas, then silence

    page.send("Count slowly")
    page.wait.until(lambda _: page.texts() == [a + b])
    assert page.state() == "running"
    page.find("#stop").click()
    page.wait_until_state("cancelled")
    assert handle.client_disconnected.wait(5)
    assert page.texts() == [a + b]


@browser_test
def test_leaving_the_page_releases_a_waiting_approval(page: Page, fake: FakeLLMServer):
    fake.add(Turn.tool_calls(WRITE))
    page.send("Please write some notes")
    page.wait_for(".approval")
    waiting = [t for t in threading.enumerate() if t.name.startswith(RUN_THREADS)]
    assert {t.name for t in waiting} >= {"tkach-stream", "tkach-approval"}

    page.driver.get("about:blank")  # the page's pagehide beacon cancels the run
    for thread in waiting:
        thread.join(5)
        assert not thread.is_alive(), f"{thread.name} still waits for a page that is gone"
    assert len(fake.requests) == 1


# --- over plain HTTP --------------------------------------------------------------------


def test_a_run_streams_once_as_server_sent_events(live_url: str, fake: FakeLLMServer):
    turn = Turn.text("Hello there", chunks=2)
    (sent, hello), _ = text_deltas(turn)
    handle = fake.add(turn.hang(after_events=sent))
    with requests.Session() as http:
        http.get(live_url + "/").raise_for_status()
        csrf = {"X-CSRFToken": http.cookies["csrftoken"]}
        runs = f"{live_url}/conversations/c1/runs"
        assert http.post(runs, data={"prompt": "hi"}).status_code == 403  # no CSRF token
        assert http.post(runs, data={"prompt": " "}, headers=csrf).status_code == 400
        started = http.post(runs, data={"prompt": "hi"}, headers=csrf)
        assert started.status_code == 201
        run_url = f"{live_url}/runs/{started.json()['run']}"

        with http.get(run_url + "/events", stream=True) as stream:
            assert stream.headers["Content-Type"] == "text/event-stream"
            assert stream.headers["Cache-Control"] == "no-cache"
            events = sse_events(stream.iter_lines(chunk_size=1))
            assert next(events) == ("text", {"text": hello})
            # While it runs: a reconnect does not rerun it, and the conversation is busy.
            assert http.get(run_url + "/events").status_code == 204
            assert http.post(runs, data={"prompt": "more"}, headers=csrf).status_code == 409
            assert http.post(run_url + "/cancel", headers=csrf).status_code == 204
            assert list(events) == [("end", {"outcome": "cancelled"})]
        assert handle.client_disconnected.wait(5)
        assert http.get(run_url + "/events").status_code == 404


def test_a_page_gone_without_its_beacon_is_noticed_at_the_next_keepalive(
    live_url: str, fake: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(app, "KEEPALIVE", 0.05)
    fake.add(Turn.tool_calls(WRITE))
    with requests.Session() as http:
        http.get(live_url + "/").raise_for_status()
        csrf = {"X-CSRFToken": http.cookies["csrftoken"]}
        started = http.post(
            f"{live_url}/conversations/c2/runs", data={"prompt": "hi"}, headers=csrf
        )
        run_url = f"{live_url}/runs/{started.json()['run']}"
        stream = http.get(run_url + "/events", stream=True)
        names = (name for name, _ in sse_events(stream.iter_lines(chunk_size=1)))
        assert next(names) == "tool_use"
        assert next(names) == "approval"
        waiting = [t for t in threading.enumerate() if t.name.startswith(RUN_THREADS)]
        assert {t.name for t in waiting} >= {"tkach-stream", "tkach-approval"}
        stream.close()  # the connection drops: no beacon, no cancel request
    for thread in waiting:
        thread.join(WAIT)
        assert not thread.is_alive(), f"{thread.name} still waits for a page that is gone"
    assert len(fake.requests) == 1


# --- the approval handler alone -----------------------------------------------------------


def _approve_in_thread(approval: Any) -> tuple[threading.Thread, list[ApprovalDecision]]:
    decisions: list[ApprovalDecision] = []
    thread = threading.Thread(
        target=lambda: decisions.append(approval.approve("write", {}, ToolClass.MUTATING))
    )
    thread.start()
    return thread, decisions


def test_the_page_answers_the_announced_call_by_its_id():
    approval = app.BrowserApproval()
    thread, decisions = _approve_in_thread(approval)
    approval.expect("call_1")
    assert approval.answer("call_2", ApprovalDecision.allow()) is False
    assert approval.answer("call_1", ApprovalDecision.deny("no")) is True
    thread.join(5)
    assert decisions == [ApprovalDecision.deny("no")]
    assert approval.answer("call_1", ApprovalDecision.allow()) is False  # answered once


def test_read_only_calls_are_not_asked_about():
    approval = app.BrowserApproval(timeout=0)
    assert approval.approve("read", {}, ToolClass.READ_ONLY) == ApprovalDecision.allow()


def test_closing_denies_what_waits_and_what_comes_later():
    approval = app.BrowserApproval()
    thread, decisions = _approve_in_thread(approval)
    approval.expect("call_1")
    approval.close("the page went away")
    thread.join(5)
    assert not thread.is_alive()
    assert decisions == [ApprovalDecision.deny("the page went away")]
    approval.expect("call_2")
    late = approval.approve("write", {}, ToolClass.MUTATING)
    assert late == ApprovalDecision.deny("the page went away")


def test_an_unanswered_prompt_times_out_as_a_denial():
    approval = app.BrowserApproval(timeout=0.05)
    assert approval.approve("write", {}, ToolClass.MUTATING).allowed is False
    approval.expect("call_1")
    assert approval.approve("write", {}, ToolClass.MUTATING) == ApprovalDecision.deny(
        "nobody answered in time"
    )
