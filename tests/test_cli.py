"""The command-line agent, end to end in a subprocess against the fake LLM server."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tkach_sync.testing import FakeLLMServer, ToolCallSpec, Turn

TIMEOUT = 60


@pytest.fixture
def server():
    with FakeLLMServer() as fake:
        yield fake


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.pop("ANTHROPIC_BASE_URL", None)
    env.pop("OPENAI_BASE_URL", None)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def tkach(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "tkach_sync", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env or cli_env(),
        cwd=cwd,
    )


def against(server: FakeLLMServer, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    args = [
        "--provider",
        "anthropic",
        "--base-url",
        server.url,
        "--model",
        "fake",
        "--working-dir",
        str(tmp_path),
    ]
    return args, cli_env(ANTHROPIC_API_KEY="sk-fake")


def test_the_demo_runs_the_whole_loop_offline():
    done = tkach("--demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in [
        "⏺ glob(",
        "⏺ read(",
        "⏺ write(",
        "⏺ bash(",
        "exit code 1",
        "NOTES.md written",
    ]:
        assert expected in out


def test_without_a_key_it_says_so_and_offers_the_demo():
    done = tkach("run", "hello")
    assert done.returncode != 0
    assert "API key" in done.stderr and "--demo" in done.stderr


def test_one_shot_prints_the_answer_or_json_and_fails_loudly(server, tmp_path):
    args, env = against(server, tmp_path)
    server.add(Turn.text("The answer is 42.", chunks=3))
    done = tkach(*args, "run", "what is the answer?", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "The answer is 42."

    server.add(Turn.text("forty-two"))
    done = tkach(*args, "run", "again", "--json", env=env)
    result = json.loads(done.stdout)
    assert result["text"] == "forty-two" and result["stop_reason"] == "end_turn"
    assert result["new_messages"][0]["role"] == "assistant"

    server.add(Turn.error(400, "max_tokens: too large"))
    done = tkach(*args, "run", "fail", env=env)
    assert done.returncode == 1
    assert "max_tokens: too large" in done.stderr


def test_a_chat_keeps_its_session_and_resumes_it(server, tmp_path):
    args, env = against(server, tmp_path)
    session = tmp_path / "session.json"
    server.add(Turn.text("Hi! I am a fake model.", chunks=4))
    done = tkach(*args, "--session", str(session), stdin="hello there\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "Hi! I am a fake model." in done.stdout
    saved = json.loads(session.read_text())
    assert [m["role"] for m in saved] == ["user", "assistant"]

    server.add(Turn.text("You said hello."))
    tkach(*args, "--session", str(session), stdin="what did I say?\n", env=env)
    sent = server.requests[1].json()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert "hello there" in json.dumps(sent[0])


def test_an_approval_answered_no_with_a_reason_reaches_the_model(server, tmp_path):
    args, env = against(server, tmp_path)
    server.add(Turn.tool_calls(ToolCallSpec("write", {"file_path": "x.txt", "content": "x"})))
    server.add(Turn.text("OK, I will not write it."))
    done = tkach(*args, stdin="write x.txt\nn not today\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "Allow write" in done.stdout
    assert not (tmp_path / "x.txt").exists()
    tool_result = server.requests[1].json()["messages"][-1]["content"][0]
    assert tool_result["is_error"] is True and "not today" in tool_result["content"]


def test_always_allows_a_tool_for_the_rest_of_the_session(server, tmp_path):
    args, env = against(server, tmp_path)
    server.add(Turn.tool_calls(ToolCallSpec("write", {"file_path": "a.txt", "content": "a"})))
    server.add(Turn.tool_calls(ToolCallSpec("write", {"file_path": "b.txt", "content": "b"})))
    server.add(Turn.text("Both written."))
    done = tkach(*args, stdin="write two files\na\n", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Allow write") == 1
    assert (tmp_path / "a.txt").exists() and (tmp_path / "b.txt").exists()


def test_ctrl_c_cancels_the_turn_kills_bash_and_returns_to_the_prompt(server, tmp_path):
    args, env = against(server, tmp_path)
    pid_file = tmp_path / "pids"
    command = f"sleep 30 & echo $! > {pid_file}; wait"
    server.add(Turn.tool_calls(ToolCallSpec("bash", {"command": command})))
    server.add(Turn.text("never sent"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tkach_sync", *args, "--yes"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write("run something slow\n")
        proc.stdin.flush()
        deadline = time.monotonic() + TIMEOUT
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline, "bash never started"
            threading.Event().wait(0.02)
        sleeper = int(pid_file.read_text())
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 2
        while _alive(sleeper) and time.monotonic() < deadline:
            threading.Event().wait(0.02)
        assert not _alive(sleeper), "the bash grandchild outlived the cancel"
        out, err = proc.communicate("", timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "[cancelled]" in out
    assert len(server.requests) == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for init to reap it is as good as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
