"""The public surface and the import layering stay as the design says."""

import ast
import importlib
from pathlib import Path

import tkach_sync

PACKAGE = Path(tkach_sync.__file__).parent


def test_all_is_sorted_and_every_name_exists():
    names = [n for n in tkach_sync.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (n[0].islower(), n))
    for name in tkach_sync.__all__:
        assert hasattr(tkach_sync, name), name


def _imports(module: Path) -> set[str]:
    """The tkach_sync modules a file imports, as dotted names relative to the package."""
    package = ".".join(module.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tkach_sync"):
            found.add(node.module or "")
    return {name for name in found if _is_module(name)}


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (type-only imports cost nothing)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def _is_module(dotted: str) -> bool:
    try:
        importlib.import_module(dotted)
    except ImportError:
        return False
    return True


def _module_files(*names: str) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = PACKAGE.joinpath(*name.split("."))
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")])
    return files


def test_the_bottom_layer_imports_nothing_above_it():
    above = {
        "tkach_sync.agent",
        "tkach_sync.streaming",
        "tkach_sync.executor",
        "tkach_sync.providers",
        "tkach_sync.tools",
    }
    for module in _module_files("cancel", "messages", "events", "errors", "tool"):
        assert not {i for i in _imports(module) if any(i.startswith(a) for a in above)}, module


def test_providers_never_import_the_agent_or_the_tools():
    for module in _module_files("providers"):
        imports = _imports(module)
        assert not {
            i
            for i in imports
            if i.startswith(("tkach_sync.agent", "tkach_sync.tools", "tkach_sync.streaming"))
        }, module


def test_the_agent_gets_providers_and_tools_injected():
    for module in _module_files("agent", "streaming", "executor"):
        imports = _imports(module)
        concrete = {
            i
            for i in imports
            if i.startswith("tkach_sync.tools")
            or (i.startswith("tkach_sync.providers") and i != "tkach_sync.providers.base")
        }
        assert not concrete, (module, concrete)


def test_only_the_sub_agent_tool_and_the_cli_import_the_agent():
    allowed = {"__init__.py", "sub_agent.py", "cli.py", "_demo.py"}
    for module in PACKAGE.rglob("*.py"):
        if module.name in allowed or module.parent.name == "testing":
            continue
        assert "tkach_sync.agent" not in _imports(module), module
