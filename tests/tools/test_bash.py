import os
import threading
import time
from pathlib import Path

import pytest

from tkach_sync.cancel import CancellationToken
from tkach_sync.errors import ToolCancelled
from tkach_sync.tool import ToolContext
from tkach_sync.tools.bash import Bash

bash = Bash()


def run(ctx, command, timeout_ms=120_000):
    return bash.execute({"command": command, "timeout_ms": timeout_ms}, ctx)


def wait_until(predicate, timeout):
    """Poll ``predicate`` on a short Event wait until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            return False
        tick.wait(0.01)
    return True


def is_dead(pid):
    """Gone, or a zombie: an orphan waits there for init, which may reap it late."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    if not Path("/proc/self/stat").exists():
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def was_reaped(pid):
    """Our own child is fully gone only once we waited for it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def pids_from(path):
    return [int(word) for word in path.read_text().split()]


def test_output_of_a_successful_command(ctx):
    out = run(ctx, "echo hello")
    assert (out.content, out.is_error) == ("hello\n", False)


def test_stdout_and_stderr_are_merged_in_order(ctx):
    out = run(ctx, "echo one; echo two >&2; echo three")
    assert out.content == "one\ntwo\nthree\n"


def test_a_non_zero_exit_is_an_error_with_the_code_and_the_output(ctx):
    out = run(ctx, "echo partial; echo oops >&2; exit 3")
    assert out.is_error
    assert "exit code 3" in out.content
    assert "partial" in out.content and "oops" in out.content


def test_the_command_runs_in_the_working_dir_with_empty_stdin(ctx, tmp_path):
    out = run(ctx, "pwd; cat; echo end")
    assert out.content == f"{tmp_path}\nend\n"


def test_no_output_is_said_plainly(ctx):
    assert run(ctx, "true").content == "(no output)"


def test_a_command_that_closes_its_output_still_runs_to_the_end(ctx, tmp_path):
    out = run(ctx, "exec >log 2>&1; sleep 0.2; echo late; exit 4")
    assert out.is_error and "exit code 4" in out.content
    assert (tmp_path / "log").read_text() == "late\n"


def test_a_timeout_kills_the_command_quickly_and_keeps_the_partial_output(ctx):
    started = time.monotonic()
    out = run(ctx, "echo started; sleep 30", timeout_ms=300)
    assert time.monotonic() - started < 5
    assert out.is_error
    assert "timed out after 300 ms" in out.content
    assert "started" in out.content


def test_cancel_kills_bash_its_child_and_its_grandchild_within_a_second(ctx, tmp_path, in_thread):
    # bash runs sh, which runs sleep: bash is our child, sleep its grandchild.
    command = (
        "echo $$ > pids.tmp; "
        "sh -c 'echo $$ >> pids.tmp; sleep 30 & echo $! >> pids.tmp; mv pids.tmp pids; wait'"
    )
    call = in_thread(lambda: run(ctx, command))
    assert wait_until((tmp_path / "pids").exists, timeout=10), "the command never started"
    bash_pid, sh_pid, sleep_pid = pids_from(tmp_path / "pids")

    cancelled_at = time.monotonic()
    ctx.cancel.cancel()
    assert call.join(timeout=5)
    assert time.monotonic() - cancelled_at < 1
    assert isinstance(call.error, ToolCancelled)
    assert was_reaped(bash_pid), "bash was left a zombie"
    assert wait_until(lambda: is_dead(sh_pid) and is_dead(sleep_pid), timeout=1)


def test_cancel_escalates_to_sigkill_when_sigterm_is_ignored(ctx, tmp_path, in_thread):
    command = "trap '' TERM; sleep 30 & echo $! > pid.tmp; mv pid.tmp pid; wait"
    call = in_thread(lambda: run(ctx, command))
    assert wait_until((tmp_path / "pid").exists, timeout=10)
    (sleep_pid,) = pids_from(tmp_path / "pid")
    ctx.cancel.cancel()
    assert call.join(timeout=5)
    assert isinstance(call.error, ToolCancelled)
    assert wait_until(lambda: is_dead(sleep_pid), timeout=1)


def test_a_cancelled_token_stops_the_command_before_it_starts(ctx, tmp_path):
    ctx.cancel.cancel()
    with pytest.raises(ToolCancelled):
        run(ctx, "touch ran")
    assert not (tmp_path / "ran").exists()


def test_background_jobs_holding_the_output_do_not_hang_the_call_and_are_killed(ctx):
    started = time.monotonic()
    out = run(ctx, "sleep 30 & echo $!; echo done")
    assert time.monotonic() - started < 5
    assert not out.is_error
    pid = int(out.content.split()[0])
    assert "done" in out.content
    assert "were killed" in out.content
    assert wait_until(lambda: is_dead(pid), timeout=1)


def test_quiet_background_jobs_do_not_outlive_the_command(ctx):
    out = run(ctx, "sleep 30 >/dev/null 2>&1 & echo $!")
    pid = int(out.content)
    assert wait_until(lambda: is_dead(pid), timeout=1)


def test_long_output_keeps_its_start_and_end(ctx):
    out = run(ctx, "seq 1 100000")
    assert out.content.startswith("1\n2\n3\n")
    assert out.content.endswith("99999\n100000\n")
    assert "bytes of output cut" in out.content
    assert len(out.content) < 31_000


def test_a_missing_working_dir_is_an_error(tmp_path):
    ctx = ToolContext(working_dir=tmp_path / "gone", cancel=CancellationToken())
    out = run(ctx, "true")
    assert out.is_error and "cannot start bash" in out.content
