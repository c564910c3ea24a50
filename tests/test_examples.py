"""Every runnable example, run as a user would: a script in a subprocess, offline.

Each example asserts its own invariants and exits non-zero when one fails, so
exit code 0 is the test. The API keys are taken out of the environment, and
blanked so a ``.env`` file cannot bring them back: every example then talks to
its scripted fake model on 127.0.0.1 and never to the internet.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
TIMEOUT = 60  # seconds per example; each takes a few offline
PUBLIC_MODULES = {"tkach_sync", "tkach_sync.providers", "tkach_sync.tools", "tkach_sync.testing"}

by_name = pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["ANTHROPIC_API_KEY"] = env["OPENAI_API_KEY"] = ""  # an empty key shadows .env's
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_example(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", str(path)],
        capture_output=True,
        text=True,
        env=offline_env(),
        cwd=ROOT,
        timeout=TIMEOUT,
    )


@by_name
def test_the_example_runs_offline_and_holds_its_invariants(example: Path) -> None:
    done = run_example(example)
    output = f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == 0, f"{example.name} exited with {done.returncode}\n{output}"
    assert done.stdout.strip(), f"{example.name} printed nothing\n{output}"
    assert "Traceback" not in done.stderr, output


@by_name
def test_the_example_says_what_it_shows_and_how_to_run_it(example: Path) -> None:
    docstring = ast.get_docstring(ast.parse(example.read_text(encoding="utf-8")))
    assert docstring, f"{example.name} has no module docstring"
    assert f"python examples/{example.name}" in docstring, "the docstring says how to run it"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_the_example_uses_only_the_public_api(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    modules += [
        a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
    ]
    ours = [m for m in modules if m and m.split(".")[0] == "tkach_sync"]
    assert set(ours) <= PUBLIC_MODULES, f"private imports: {set(ours) - PUBLIC_MODULES}"


def test_the_examples_are_all_found() -> None:
    names = {p.stem for p in EXAMPLES}
    expected = {
        "basic",
        "streaming",
        "streaming_multi_tool",
        "streaming_subagent",
        "streaming_openai_tools",
        "streaming_cancel",
        "streaming_resilience",
        "approval_flow",
        "deferred_approval",
        "parallel_tools",
        "custom_tool",
        "anthropic_caching",
        "anthropic_caching_streaming",
    }
    assert expected <= names, f"missing examples: {sorted(expected - names)}"
