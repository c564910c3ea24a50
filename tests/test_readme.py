"""Every Python block of the README runs, in order, so the README cannot rot.

The blocks share one namespace, as a reader going down the page would, and
``from_env()`` finds a fake server in the environment instead of the real API.
"""

import re
from pathlib import Path

import pytest

from tkach_sync.testing import FakeLLMServer, Turn

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks():
    assert len(blocks()) >= 8


def test_every_python_block_of_the_readme_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "README.md").write_text("# A project\n")
    (tmp_path / "STYLEGUIDE.md").write_text("Name things for what they are.\n" * 50)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hello')\n")
    monkeypatch.chdir(tmp_path)
    with FakeLLMServer() as server:
        for _ in range(20):
            server.add(Turn.text("Hello from the fake model.", chunks=3))
        server.batches.end_after_polls(0)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-readme")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-readme")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        namespace: dict[str, object] = {"__name__": "readme"}
        try:
            for number, code in enumerate(blocks(), start=1):
                try:
                    exec(compile(code, f"README.md python block {number}", "exec"), namespace)
                except Exception as exc:
                    pytest.fail(f"README python block {number} failed: {exc!r}\n{code}")
        finally:
            for value in namespace.values():
                if type(value).__name__ in ("Anthropic", "OpenAICompatible"):
                    value.close()
    out = capsys.readouterr().out
    assert "Hello from the fake model." in out
    assert "['C', 'F']" in out
    assert "q-0 Answer to q-0." in out
