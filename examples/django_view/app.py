"""A Django page that streams an agent to the browser and asks before mutating tools.

    pip install -e '.[dev]'      # Django comes with the dev extra
    python examples/django_view/app.py runserver 127.0.0.1:8000

then open http://127.0.0.1:8000/ (the page is page.html, beside this file).
With ``ANTHROPIC_API_KEY`` set (in the environment or in ``.env``) it talks to
Claude; without one, to the built-in fake LLM server, scripted to stream a
sentence slowly and then ask to write ``hello.txt``. The agent works in a
temporary directory.

How a prompt travels:

* ``POST /conversations/<id>/runs`` registers a run for the prompt;
* ``GET /runs/<id>/events`` drives it: a ``StreamingHttpResponse`` iterates
  ``agent.stream(history, cancel=token)`` and sends each event to the page as a
  server-sent event (``text``, ``tool_use``, ``approval``, ``tool_result``, and
  one ``end``);
* a mutating tool call shows Allow / Deny on the page; ``POST
  /runs/<id>/approvals/<call id>`` answers it, and the agent's approval
  handler, which was waiting in its own thread, returns the answer;
* ``POST /runs/<id>/cancel`` is the Stop button: it cancels the run's token;
* while nothing happens (a tool runs, a prompt waits) the stream sends a
  keepalive comment every ``KEEPALIVE`` seconds, so a page that vanished
  without its goodbye beacon is noticed and its run stopped.

Each streaming request holds a server thread for as long as its run lasts, so
serve this with threads (runserver does; gunicorn needs ``--threads``). The
history and the live runs sit in process memory, which is fine for one process
and a demo; a real site keeps the history in its database. Django is needed
by this example only, never by tkach_sync.
"""

from __future__ import annotations

import atexit
import json
import secrets
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))  # the examples' shared _support module

import django  # noqa: E402
from _support import example_provider  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import (  # noqa: E402
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.http import require_GET, require_POST  # noqa: E402

from tkach_sync import (  # noqa: E402
    Agent,
    AgentError,
    AgentStream,
    ApprovalDecision,
    CancellationToken,
    Cancelled,
    ContentDelta,
    Message,
    StreamEvent,
    ToolCallPending,
    ToolClass,
    ToolResult,
    ToolUse,
    tools,
)
from tkach_sync.providers import LlmProvider  # noqa: E402
from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn  # noqa: E402

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),  # nothing signed outlives the process
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [HERE]}],
    )
    django.setup()

SYSTEM = "You are a helpful assistant working in a scratch directory. Keep answers short."
APPROVAL_TIMEOUT = 300.0
"""An approval prompt nobody answers denies the call after this many seconds."""
KEEPALIVE = 15.0
"""Seconds of quiet before the stream sends a comment line. A proxy drops a
connection that stays silent, and the server learns that a page went away
(without its beacon: a lost network, a killed tab) only when it writes."""


# --- the model and the working directory, for the life of the process ----------


@dataclass(frozen=True)
class Backend:
    """What every run uses: a provider, a model and the directory the tools work in."""

    provider: LlmProvider
    model: str
    working_dir: Path
    before_run: Callable[[], None] = lambda: None

    def agent(self, approval: BrowserApproval) -> Agent:
        """An agent per run: cheap to make, and the approval handler is the run's own."""
        return Agent(
            self.provider,
            self.model,
            system=SYSTEM,
            tools=tools.defaults(),
            approval=approval,
            working_dir=self.working_dir,
        )


_backend: Backend | None = None
_backend_lock = threading.Lock()
_process_lifetime = ExitStack()
"""The provider, the fake server and the work dir: a Django process outlives any
request, so they are closed at exit rather than by a ``with`` around one request."""


def backend() -> Backend:
    """The backend in use, made on first use."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = _default_backend()
        return _backend


def use_backend(replacement: Backend | None) -> None:
    """Run against another model or directory (the tests do); ``None`` restores the default."""
    global _backend
    with _backend_lock:
        _backend = replacement


def _default_backend() -> Backend:
    atexit.register(_process_lifetime.close)
    fakes: list[FakeLLMServer] = []  # example_provider hands us the fake server, if it uses one
    provider, model, live = _process_lifetime.enter_context(example_provider(fakes.append))
    workdir = _process_lifetime.enter_context(tempfile.TemporaryDirectory(prefix="tkach-django-"))
    print(f"model: {model} ({'live' if live else 'offline demo'}); files go to {workdir}")

    def queue_demo_when_empty() -> None:
        for server in fakes:
            if server.pending == 0:
                queue_demo(server)

    return Backend(provider, model, Path(workdir), before_run=queue_demo_when_empty)


def queue_demo(server: FakeLLMServer) -> None:
    """The offline model's answer to any prompt: slow text, a file to write, a last word."""
    hello = ToolCallSpec("write", {"file_path": "hello.txt", "content": "Hello from Django.\n"})
    text = "This is the offline demo model, streaming slowly. Next I ask to write hello.txt."
    server.add(Turn.tool_calls(hello, text=text, chunks=24).drip(0.08))
    server.add(Turn.text("That was all: the line above says whether I wrote it.", chunks=8))


# --- approvals: the agent's handler waits for the page --------------------------


_UNANSWERED = ApprovalDecision.deny("unanswered")


@dataclass
class _Ask:
    call_id: str
    decision: ApprovalDecision = _UNANSWERED
    answered: threading.Event = field(default_factory=threading.Event)


class BrowserApproval:
    """One run's approval handler: a mutating call waits until the page answers it.

    The handler is called with a tool's name and input, not its call id; but the
    run's stream always delivers ``ToolCallPending`` (which has the id) first.
    So the stream announces each id with ``expect``, the handler takes the
    announced calls in order, and the page answers by id. ``close`` denies
    whatever still waits, so an ended, cancelled or abandoned run never leaves
    a handler thread behind.
    """

    def __init__(self, timeout: float = APPROVAL_TIMEOUT) -> None:
        self.timeout = timeout
        self._lock = threading.Condition()
        self._announced: deque[_Ask] = deque()
        self._unanswered: dict[str, _Ask] = {}
        self._closed_because: str | None = None

    def expect(self, call_id: str) -> None:
        """The stream saw this call pending: the page is about to be asked."""
        with self._lock:
            if self._closed_because is None:
                ask = _Ask(call_id)
                self._announced.append(ask)
                self._unanswered[call_id] = ask
                self._lock.notify_all()

    def approve(
        self, tool_name: str, input: dict[str, Any], tool_class: ToolClass
    ) -> ApprovalDecision:
        if tool_class is not ToolClass.MUTATING:
            return ApprovalDecision.allow()
        with self._lock:
            self._lock.wait_for(lambda: self._announced or self._closed_because, self.timeout)
            if not self._announced:
                return ApprovalDecision.deny(self._closed_because or "the page never showed it")
            ask = self._announced.popleft()
        if not ask.answered.wait(self.timeout):
            self.answer(ask.call_id, ApprovalDecision.deny("nobody answered in time"))
        return ask.decision

    def answer(self, call_id: str, decision: ApprovalDecision) -> bool:
        """The page's answer; False if no such call is waiting."""
        with self._lock:
            ask = self._unanswered.pop(call_id, None)
            if ask is None:
                return False
            ask.decision = decision
            ask.answered.set()
            return True

    def close(self, reason: str) -> None:
        """Deny every call still waiting, and any that would come later."""
        with self._lock:
            self._closed_because = self._closed_because or reason
            for call_id in list(self._unanswered):
                self.answer(call_id, ApprovalDecision.deny(reason))
            self._lock.notify_all()


# --- runs and conversations ----------------------------------------------------


@dataclass
class Run:
    """One prompt's run: registered by a POST, driven by the GET that streams it."""

    id: str
    conversation: str
    prompt: Message
    token: CancellationToken = field(default_factory=CancellationToken)
    approval: BrowserApproval = field(default_factory=BrowserApproval)
    streaming: bool = False


_lock = threading.Lock()
_histories: dict[str, list[dict[str, Any]]] = {}
"""Each conversation's history, as JSON-able messages."""
_runs: dict[str, Run] = {}


def _find_run(run_id: str) -> Run:
    with _lock:
        run = _runs.get(run_id)
    if run is None:
        raise Http404("no such run (it may have ended)")
    return run


def run_events(run: Run) -> Iterator[str]:
    """The run as server-sent events; closing this generator stops the run."""
    with _lock:
        history = [Message.model_validate(m) for m in _histories.get(run.conversation, [])]
    stream = backend().agent(run.approval).stream([*history, run.prompt], cancel=run.token)
    try:
        yield ": the run started\n\n"  # sends the headers now, so the page knows it is connected
        for event in stream.events(idle=KEEPALIVE):
            frame = ": keepalive\n\n" if event is None else _frame_for(event, run.approval)
            if frame:
                yield frame
    except AgentError:
        pass  # _settle reports it, from stream.result()
    finally:
        # Also reached when the page went away (the server closes the generator).
        run.approval.close("the run ended before anyone answered")
        stream.close()
        end = _settle(run, stream)
    yield sse("end", end)


def _frame_for(event: StreamEvent, approval: BrowserApproval) -> str | None:
    if isinstance(event, ContentDelta):
        return sse("text", {"text": event.text})
    if isinstance(event, ToolUse):
        return sse("tool_use", {"id": event.id, "name": event.name, "input": event.input})
    if isinstance(event, ToolCallPending) and event.tool_class is ToolClass.MUTATING:
        approval.expect(event.id)  # before the page can answer it
        return sse("approval", {"id": event.id, "name": event.name, "input": event.input})
    if isinstance(event, ToolResult):
        result = {"id": event.tool_use_id, "content": event.content, "is_error": event.is_error}
        return sse("tool_result", result)
    return None


def _settle(run: Run, stream: AgentStream) -> dict[str, Any]:
    """Add what the run appended to the conversation; describe its end for the page."""
    try:
        result = stream.result()
    except Cancelled as exc:
        added, end = exc.partial.new_messages, {"outcome": "cancelled"}
    except AgentError as exc:
        added, end = exc.partial.new_messages, {"outcome": "failed", "message": str(exc)}
    else:
        added, end = result.new_messages, {"outcome": "done"}
    with _lock:
        _runs.pop(run.id, None)
        if added or end["outcome"] != "failed":  # a failure with nothing to show drops the prompt
            _histories.setdefault(run.conversation, []).extend(
                m.model_dump(mode="json", exclude_none=True) for m in [run.prompt, *added]
            )
    return end


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event; ``json.dumps`` never puts a newline inside ``data``."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


# --- views ------------------------------------------------------------------------


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html", {"conversation": secrets.token_urlsafe(12)})


@require_POST
def start_run(request: HttpRequest, conversation: str) -> HttpResponse:
    prompt = request.POST.get("prompt", "").strip()
    if not prompt:
        return JsonResponse({"error": "the prompt is empty"}, status=400)
    with _lock:
        mine = [r for r in _runs.values() if r.conversation == conversation]
        if any(r.streaming for r in mine):
            return JsonResponse({"error": "this conversation has a run going"}, status=409)
        for unstreamed in mine:  # registered but never opened: replaced
            del _runs[unstreamed.id]
        run = Run(secrets.token_urlsafe(12), conversation, Message.user_text(prompt))
        _runs[run.id] = run
    backend().before_run()
    return JsonResponse({"run": run.id}, status=201)


@require_GET
def stream_run(request: HttpRequest, run_id: str) -> HttpResponse:
    run = _find_run(run_id)
    with _lock:
        if run.streaming:  # an EventSource reconnecting: 204 tells it to stop, not to rerun
            return HttpResponse(status=204)
        run.streaming = True
    response = StreamingHttpResponse(run_events(run), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies such as nginx would otherwise buffer
    return response


@require_POST
def answer_approval(request: HttpRequest, run_id: str, call_id: str) -> HttpResponse:
    run = _find_run(run_id)
    choice = request.POST.get("decision")
    if choice not in ("allow", "deny"):
        return JsonResponse({"error": "decision must be allow or deny"}, status=400)
    reason = request.POST.get("reason", "").strip() or "the user said no"
    decision = ApprovalDecision.allow() if choice == "allow" else ApprovalDecision.deny(reason)
    if not run.approval.answer(call_id, decision):
        return JsonResponse({"error": "that tool call is not waiting for approval"}, status=409)
    return HttpResponse(status=204)


@require_POST
def cancel_run(request: HttpRequest, run_id: str) -> HttpResponse:
    run = _find_run(run_id)
    run.token.cancel()
    run.approval.close("the run was stopped")
    return HttpResponse(status=204)


urlpatterns = [
    path("", page),
    path("conversations/<str:conversation>/runs", start_run),
    path("runs/<str:run_id>/events", stream_run),
    path("runs/<str:run_id>/approvals/<str:call_id>", answer_approval),
    path("runs/<str:run_id>/cancel", cancel_run),
]

application = get_wsgi_application()

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
