"""A loopback fake LLM server that speaks the real Anthropic and OpenAI wire protocols.

Script the model's answers as ``Turn``s, point a client at ``server.url``
(Anthropic) or ``server.openai_url`` (OpenAI), and inspect what it sent::

    from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

    with FakeLLMServer() as server:
        server.add(Turn.tool_calls(ToolCallSpec("read", {"file_path": "a.txt"})))
        server.add(Turn.text("Done.", chunks=3).drip(0.01))
        ...  # run the agent against server.url
        assert server.requests[0].json()["model"] == "my-model"

Every fault a real server or network produces can be scripted: error statuses,
mid-stream errors, cut connections, truncated streams, garbage lines, odd
chunk boundaries, slow drips, hangs and huge blasts (see ``Turn``).

The Message Batches endpoints are there too; ``server.batches`` scripts each
request's outcome, when a batch ends and the faults of the batch endpoints::

    server.batches.set_outcome("req-2", Turn.error(400, "max_tokens: too large"))
    server.batches.end_after_polls(1)

With pytest, the ``fake_llm`` fixture hands each test a started server. Enable
it in a ``conftest.py`` with ``pytest_plugins = ["tkach_sync.testing.pytest_plugin"]``
(or ``from tkach_sync.testing import fake_llm``). This package imports without
pytest installed; only the fixture needs it.
"""

from typing import TYPE_CHECKING

from ._batches import FakeBatches as FakeBatches
from ._records import RecordedRequest as RecordedRequest
from ._records import TurnHandle as TurnHandle
from ._render import render_anthropic_json as render_anthropic_json
from ._render import render_anthropic_sse as render_anthropic_sse
from ._render import render_openai_json as render_openai_json
from ._render import render_openai_sse as render_openai_sse
from ._server import FakeLLMServer as FakeLLMServer
from ._turns import ErrorSpec as ErrorSpec
from ._turns import Faults as Faults
from ._turns import ToolCallSpec as ToolCallSpec
from ._turns import Turn as Turn

__all__ = [
    "ErrorSpec",
    "FakeBatches",
    "FakeLLMServer",
    "Faults",
    "RecordedRequest",
    "ToolCallSpec",
    "Turn",
    "TurnHandle",
    "render_anthropic_json",
    "render_anthropic_sse",
    "render_openai_json",
    "render_openai_sse",
]
# ``fake_llm`` is public too, but stays out of __all__: a star import must not need pytest.

if TYPE_CHECKING:
    from ._pytest import fake_llm as fake_llm
else:

    def __getattr__(name: str) -> object:
        # The fixture is loaded on first use, so the package works without pytest.
        if name == "fake_llm":
            from ._pytest import fake_llm

            return fake_llm
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
