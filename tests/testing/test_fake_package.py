"""The public face of tkach_sync.testing: exports, the fixture, no pytest needed."""

import subprocess
import sys

import requests

import tkach_sync.testing as testing
from tkach_sync.testing import FakeLLMServer, Turn


def test_all_is_sorted_and_every_name_resolves():
    assert testing.__all__ == sorted(testing.__all__)
    assert all(getattr(testing, name) is not None for name in testing.__all__)
    public = {n for n in dir(testing) if not n.startswith("_") and n != "TYPE_CHECKING"}
    assert public - {"pytest_plugin"} == set(testing.__all__)


def test_the_fixture_is_a_started_server(fake_llm):
    assert isinstance(fake_llm, FakeLLMServer)
    fake_llm.add(Turn.text("hi"))
    response = requests.post(f"{fake_llm.url}/v1/messages", json={}, timeout=5)
    assert response.json()["content"] == [{"type": "text", "text": "hi"}]
    # Its teardown is checked by the autouse fixture in conftest.py: no thread outlives the test.


def test_the_plugin_module_offers_the_same_fixture():
    from tkach_sync.testing import fake_llm
    from tkach_sync.testing.pytest_plugin import fake_llm as plugged

    assert plugged is fake_llm


def test_the_package_imports_and_serves_without_pytest():
    script = """
import sys
sys.modules["pytest"] = None  # any import of pytest now fails
from tkach_sync.testing import *
with FakeLLMServer() as server:
    server.add(Turn.text("hi"))
try:
    from tkach_sync.testing import fake_llm
except ImportError:
    print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
