"""``agent``: delegate a task to a nested agent that shares the parent's executor.

Sharing the executor is the point (tkach's "Model 3"): one registry, one
policy and one approval handler gate the whole tree, with no re-plumbing. The
child runs on a child token (a parent cancel stops it) one level deeper, and is
refused past ``max_depth``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..agent import Agent
from ..errors import AgentError, Cancelled, MaxTurnsReached, ToolCancelled
from ..messages import Message
from ..providers.base import LlmProvider
from ..tool import Tool, ToolClass, ToolContext, ToolOutput

__all__ = ["SubAgent"]


class _Params(BaseModel):
    prompt: str = Field(description="The whole task for the sub-agent: it sees nothing else.")
    system: str | None = Field(None, description="An optional system prompt for the sub-agent.")


class SubAgent(Tool):
    """A tool that runs a nested agent on its own model, gated like every other tool."""

    name = "agent"
    description = (
        "Delegate a self-contained task to a sub-agent that has the same tools. It sees only "
        "the prompt you give it (and the optional system prompt) and answers with its final "
        "text. Use it for work that splits cleanly, such as researching one question."
    )
    tool_class = ToolClass.MUTATING
    params = _Params

    def __init__(
        self,
        provider: LlmProvider,
        model: str,
        *,
        system: str | None = None,
        max_turns: int = 25,
        max_tokens: int = 16384,
        temperature: float | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.system = system
        self.max_turns = max_turns
        self.max_tokens = max_tokens
        self.temperature = temperature

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        if ctx.depth >= ctx.max_depth:
            return ToolOutput.error(
                f"a sub-agent at depth {ctx.depth + 1} would exceed max_depth={ctx.max_depth}; "
                "do this task yourself"
            )
        if ctx.executor is None:
            return ToolOutput.error("a sub-agent needs the parent's executor, and none was given")
        child = Agent(
            provider=self.provider,
            model=self.model,
            system=input["system"] or self.system,
            executor=ctx.executor,
            max_turns=self.max_turns,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            working_dir=ctx.working_dir,
            max_depth=ctx.max_depth,
            confine_to_working_dir=ctx.confine_to_working_dir,
            depth=ctx.depth + 1,
        )
        token = ctx.cancel.child()
        try:
            result = child.run([Message.user_text(input["prompt"])], cancel=token)
        except Cancelled:
            raise ToolCancelled("the sub-agent was cancelled") from None
        except MaxTurnsReached as exc:
            return _failed(f"the sub-agent stopped after {exc.turns} turns", exc)
        except AgentError as exc:
            return _failed(f"the sub-agent failed: {exc.__cause__ or exc}", exc)
        finally:
            token._release()
        return ToolOutput.text(result.text)


def _failed(reason: str, exc: AgentError) -> ToolOutput:
    partial = exc.partial.text
    return ToolOutput.error(f"{reason}; its last words: {partial}" if partial else reason)
