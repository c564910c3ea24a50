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
"""

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
