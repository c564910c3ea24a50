"""``bash``: run a shell command in the working directory, killable as a whole.

The command runs in a session of its own, so bash and everything it starts
share one process group. A cancel signals that group from the cancelling
thread; the group is always killed when the command ends, so background jobs
never outlive it; and bash is always reaped.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from enum import Enum
from typing import IO, Any

from pydantic import Field

from ..cancel import CancellationToken
from ..errors import ToolCancelled
from ..tool import Tool, ToolClass, ToolContext, ToolOutput
from ._common import Params

__all__ = ["Bash"]

MAX_TIMEOUT_MS = 600_000
OUTPUT_LIMIT = 30_000
"""Bytes of output kept: the first and the last half of it."""
EXIT_GRACE = 0.5
"""Seconds background jobs may hold the output open after bash itself exited."""
KILL_GRACE = 0.5
"""Seconds between SIGTERM and SIGKILL when the group is stopped."""
TICK = 0.1
"""How often the read loop looks at the clock, the token and bash's exit."""


class BashInput(Params):
    command: str = Field(min_length=1, description="The command line, run with `bash -c`.")
    timeout_ms: int = Field(
        120_000,
        ge=1,
        description=f"Kill the command after this many milliseconds (at most {MAX_TIMEOUT_MS}).",
    )


class Bash(Tool):
    name = "bash"
    description = (
        "Run a command with `bash -c` in the working directory and return its output. stdout "
        "and stderr are merged into one stream, in the order they were written; stdin is "
        "empty. Each call is a new shell: `cd` and variables do not carry over. A non-zero "
        "exit status comes back as an error with the exit code and the output. After "
        f"timeout_ms (default 120000, at most {MAX_TIMEOUT_MS}) the command and everything it "
        "started are killed and the output so far is returned. Background jobs do not outlive "
        "the command: when bash exits, whatever it started is killed (one still writing to "
        f"the output gets {EXIT_GRACE} s first). Output over {OUTPUT_LIMIT} bytes keeps its "
        "start and its end."
    )
    tool_class = ToolClass.MUTATING
    params = BashInput

    def execute(self, input: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        ctx.cancel.raise_if_cancelled()
        timeout_ms = min(input["timeout_ms"], MAX_TIMEOUT_MS)
        try:
            proc = subprocess.Popen(
                ["bash", "-c", input["command"]],
                cwd=ctx.working_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return ToolOutput.error(f"cannot start bash in {ctx.working_dir}: {exc}")
        with proc:
            group = _ProcessGroup(proc)
            assert proc.stdout is not None
            output = _Output(proc.stdout)
            with ctx.cancel.on_cancel(group.terminate):
                try:
                    ending = _wait(proc, output, timeout_ms / 1000, ctx.cancel)
                finally:
                    group.stop()
                output.drain()
        if ctx.cancel.is_cancelled:
            raise ToolCancelled("the command was cancelled and killed")
        return _result(proc.returncode, output.text(), ending, timeout_ms)


class _Ending(Enum):
    FINISHED = "finished"
    TIMED_OUT = "timed out"
    CANCELLED = "cancelled"
    BACKGROUND = "background jobs held the output open"


def _wait(
    proc: subprocess.Popen[bytes], output: _Output, timeout: float, cancel: CancellationToken
) -> _Ending:
    """Read the output until bash has exited and the output is closed, or something ends it."""
    deadline = time.monotonic() + timeout
    exited_at: float | None = None
    while True:
        if cancel.is_cancelled:
            return _Ending.CANCELLED
        now = time.monotonic()
        if now >= deadline:
            return _Ending.TIMED_OUT
        if proc.poll() is not None:
            if output.closed:
                return _Ending.FINISHED
            exited_at = now if exited_at is None else exited_at
            if now - exited_at >= EXIT_GRACE:
                return _Ending.BACKGROUND
        step = min(TICK, deadline - now)
        if not output.closed:
            output.read(step)
            continue
        _wait_for_exit(proc, step)  # bash closed its output (`exec >log`, say) but runs on


def _wait_for_exit(proc: subprocess.Popen[bytes], timeout: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout)


class _Output:
    """The merged output, read from the pipe: its first and last ``OUTPUT_LIMIT // 2`` bytes."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._fd = pipe.fileno()
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLIN)
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0
        self.closed = False

    def read(self, timeout: float) -> bool:
        """Read one chunk if it arrives within ``timeout`` seconds; say whether it did."""
        if self.closed or not self._poll.poll(timeout * 1000):
            return False
        chunk = os.read(self._fd, 65536)
        self.closed = not chunk
        self._keep(chunk)
        return True

    def drain(self) -> None:
        """Read what the pipe still holds, without waiting; bounded, in case a writer escaped."""
        for _ in range(64):
            if not self.read(0):
                return

    def text(self) -> str:
        cut = self._total - len(self._head) - len(self._tail)
        if not cut:
            return (self._head + self._tail).decode("utf-8", "replace")
        head = self._head.decode("utf-8", "replace")
        tail = self._tail.decode("utf-8", "replace")
        return f"{head}\n[… {cut} bytes of output cut …]\n{tail}"

    def _keep(self, chunk: bytes) -> None:
        half = OUTPUT_LIMIT // 2
        self._total += len(chunk)
        room = half - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        self._tail += chunk
        del self._tail[:-half]


class _ProcessGroup:
    """bash and all it started, signalled as one, and never again once ``stop`` reaped bash."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self._lock = threading.Lock()
        self._reaped = False

    def terminate(self) -> None:
        """The cancel callback: runs in the cancelling thread and returns at once."""
        self._signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM the group, give bash a grace period, SIGKILL what is left, reap bash."""
        self._signal(signal.SIGTERM)
        _wait_for_exit(self._proc, KILL_GRACE)
        self._signal(signal.SIGKILL)
        with self._lock:
            self._proc.wait()
            self._reaped = True

    def _signal(self, sig: signal.Signals) -> None:
        with self._lock:
            if self._reaped:
                return
            with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
                os.killpg(self._proc.pid, sig)


def _result(code: int, output: str, ending: _Ending, timeout_ms: int) -> ToolOutput:
    body = output or "(no output)"
    if ending is _Ending.TIMED_OUT:
        return ToolOutput.error(
            f"the command timed out after {timeout_ms} ms and was killed; output so far:\n{body}"
        )
    if ending is _Ending.BACKGROUND:
        body += "\n[bash exited, but processes it started kept the output open; they were killed]"
    if code == 0:
        return ToolOutput.text(body)
    if code < 0:
        return ToolOutput.error(f"the command was killed by {signal.Signals(-code).name}\n{body}")
    return ToolOutput.error(f"exit code {code}\n{body}")
