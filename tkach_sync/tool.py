"""The tool API: ``Tool``, ``ToolClass``, ``ToolContext``, ``ToolOutput`` and ``@tool``.

A tool is a name, a description, a JSON schema and an ``execute`` method. Its
class says whether it may run beside others: read-only calls of one batch run
in parallel, mutating ones one by one, in the model's order.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .cancel import CancellationToken
from .errors import InvalidInput, ToolError

if TYPE_CHECKING:
    from .executor import ToolExecutor

__all__ = ["Tool", "ToolClass", "ToolContext", "ToolOutput", "tool"]


class ToolClass(StrEnum):
    READ_ONLY = "read_only"
    """Safe to run beside other read-only calls: it changes nothing."""
    MUTATING = "mutating"
    """Runs alone, in order. The default, so an unclassified tool is never run in parallel."""


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What a running tool may know about its run."""

    working_dir: Path
    cancel: CancellationToken
    depth: int = 0
    max_depth: int = 3
    executor: ToolExecutor | None = None
    confine_to_working_dir: bool = False
    """File tools refuse paths that lead outside the working dir (``bash`` is not confined)."""
    tool_use_id: str = ""
    """The id of the call the tool is serving (the executor sets it for each call)."""

    def resolve(self, path: str | Path) -> Path:
        """A path from the model, relative paths taken against the working dir.

        When confined, a path that leads outside the working dir, once ``..``
        and symbolic links are resolved, raises a ``ToolError`` the model sees.
        """
        p = Path(path).expanduser()
        p = p if p.is_absolute() else self.working_dir / p
        if self.confine_to_working_dir and not self.contains(p):
            raise ToolError(
                f"{path} is outside the working directory {self.working_dir}, "
                "and this agent is confined to it"
            )
        return p

    def contains(self, path: Path) -> bool:
        """Whether ``path``, with ``..`` and links resolved, lies inside the working dir."""
        return path.resolve().is_relative_to(self.working_dir.resolve())

    def may_touch(self, path: Path) -> bool:
        """False for a path a confined tool must skip (say, a link found while walking)."""
        return not self.confine_to_working_dir or self.contains(path)


@dataclass(frozen=True, slots=True)
class ToolOutput:
    content: str
    is_error: bool = False

    @classmethod
    def text(cls, content: str) -> ToolOutput:
        return cls(content)

    @classmethod
    def error(cls, content: str) -> ToolOutput:
        return cls(content, is_error=True)


class Tool:
    """Base class for tools. Set the class attributes, implement ``execute``.

    A tool may set ``params`` to a pydantic model: its JSON schema becomes the
    ``input_schema`` and the executor validates the model's input against it
    (filling defaults) before the approval gate runs.
    """

    name: str = ""
    description: str = ""
    input_schema: dict[str, Any] = {"type": "object", "properties": {}}
    tool_class: ToolClass = ToolClass.MUTATING
    params: ClassVar[type[BaseModel] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.params is not None and "input_schema" not in cls.__dict__:
            cls.input_schema = json_schema(cls.params)

    def validate_input(self, input: dict[str, Any]) -> dict[str, Any]:
        """Check the model's input; raise ``InvalidInput`` with a message the model can act on."""
        if self.params is None:
            missing = [k for k in self.input_schema.get("required", ()) if k not in input]
            if missing:
                raise InvalidInput(f"missing required field(s): {', '.join(missing)}")
            return input
        return validate_with(self.params, input)

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput | str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} tool {self.name!r} ({self.tool_class.value})>"


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema without pydantic's ``title`` noise."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema


def validate_with(model: type[BaseModel], input: dict[str, Any]) -> dict[str, Any]:
    try:
        return model.model_validate(input).model_dump()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInput(f"invalid input: {problems}") from None


# --- @tool -------------------------------------------------------------------


class FunctionTool(Tool):
    """A tool made from a typed function by ``@tool``; calling it calls the function."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        description: str,
        params: type[BaseModel],
        tool_class: ToolClass,
        ctx_param: str | None,
    ) -> None:
        self.fn = fn
        self.name = name
        self.description = description
        self._params = params
        self.input_schema = json_schema(params)
        self.tool_class = tool_class
        self._ctx_param = ctx_param

    def validate_input(self, input: dict[str, Any]) -> dict[str, Any]:
        return validate_with(self._params, input)

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput | str:
        kwargs = dict(input)
        if self._ctx_param:
            kwargs[self._ctx_param] = ctx
        return _as_output(self.fn(**kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


def _as_output(value: object) -> ToolOutput | str:
    if isinstance(value, ToolOutput | str):
        return value
    if value is None:
        return ""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


@overload
def tool(fn: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(
    *, read_only: bool = False, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    read_only: bool = False,
    name: str | None = None,
    description: str | None = None,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Turn a typed function into a ``Tool``.

    The schema comes from the signature and the docstring (its first paragraph
    is the description; ``Args:`` or ``:param x:`` lines describe parameters).
    A parameter annotated ``ToolContext`` receives the context.

        @tool(read_only=True)
        def weather(city: str, unit: Literal["C", "F"] = "C") -> str:
            '''Current weather in a city.

            Args:
                city: The city name.
            '''
    """

    def build(f: Callable[..., Any]) -> FunctionTool:
        return _function_tool(f, read_only=read_only, name=name, description=description)

    return build if fn is None else build(fn)


def _function_tool(
    fn: Callable[..., Any], *, read_only: bool, name: str | None, description: str | None
) -> FunctionTool:
    hints = get_type_hints(fn)
    doc = inspect.getdoc(fn) or ""
    summary, param_docs = _parse_docstring(doc)
    fields: dict[str, Any] = {}
    ctx_param = None
    for pname, param in inspect.signature(fn).parameters.items():
        annotation = hints.get(pname, Any)
        if annotation is ToolContext or pname == "ctx":
            ctx_param = pname
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"@tool cannot describe *{pname} or **{pname} to a model")
        default = ... if param.default is param.empty else param.default
        fields[pname] = (annotation, _field(default, param_docs.get(pname)))
    tool_name = name or fn.__name__
    params = create_model(f"{tool_name}_input", __config__=ConfigDict(extra="forbid"), **fields)
    return FunctionTool(
        fn,
        name=tool_name,
        description=description or summary or tool_name,
        params=params,
        tool_class=ToolClass.READ_ONLY if read_only else ToolClass.MUTATING,
        ctx_param=ctx_param,
    )


def _field(default: Any, doc: str | None) -> Any:
    return Field(default, description=doc) if doc else Field(default)


_PARAM_LINE = re.compile(r"^\s*(?::param\s+)?(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary paragraph and per-parameter descriptions of a docstring."""
    summary = doc.split("\n\n", 1)[0].strip()
    params: dict[str, str] = {}
    in_args = False
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped in ("Args:", "Arguments:", "Parameters:"):
            in_args = True
            continue
        if stripped.startswith(":param") or in_args:
            match = _PARAM_LINE.match(stripped)
            if match:
                params[match.group(1)] = match.group(2).strip()
            elif in_args and (not stripped or stripped.endswith(":")):
                in_args = False
    return summary, params
