import logging
import threading

import pytest

from tkach_sync import CancellationToken, ToolCancelled


def test_a_new_token_is_not_cancelled_and_wait_times_out():
    token = CancellationToken()
    assert not token.is_cancelled
    assert token.wait(0.01) is False
    token.raise_if_cancelled()


def test_cancel_from_another_thread_wakes_a_waiter():
    token = CancellationToken()
    waiting = threading.Event()
    woke: list[bool] = []

    def waiter() -> None:
        waiting.set()
        woke.append(token.wait(10))

    thread = threading.Thread(target=waiter)
    thread.start()
    waiting.wait(5)
    token.cancel()
    thread.join(5)
    assert woke == [True]


def test_cancellation_is_level_triggered():
    token = CancellationToken()
    token.cancel()
    token.cancel()
    assert token.is_cancelled
    assert token.wait(0) is True
    for _ in range(2):
        with pytest.raises(ToolCancelled):
            token.raise_if_cancelled()


def test_callbacks_run_once_in_the_cancelling_thread():
    token = CancellationToken()
    seen: list[str] = []
    token.on_cancel(lambda: seen.append(threading.current_thread().name))

    thread = threading.Thread(target=token.cancel, name="canceller")
    thread.start()
    thread.join(5)
    token.cancel()
    assert seen == ["canceller"]


def test_a_callback_registered_after_cancel_runs_at_once():
    token = CancellationToken()
    token.cancel()
    seen: list[int] = []
    token.on_cancel(lambda: seen.append(1))
    assert seen == [1]


def test_a_removed_callback_does_not_run_and_the_handle_is_a_context_manager():
    token = CancellationToken()
    seen: list[str] = []
    token.on_cancel(lambda: seen.append("removed")).remove()
    with token.on_cancel(lambda: seen.append("scoped")):
        pass
    token.on_cancel(lambda: seen.append("kept"))
    token.cancel()
    assert seen == ["kept"]


def test_a_failing_callback_is_logged_and_never_stops_the_others(caplog):
    token = CancellationToken()
    seen: list[int] = []

    def boom() -> None:
        raise RuntimeError("boom")

    token.on_cancel(lambda: seen.append(1))
    token.on_cancel(boom)
    token.on_cancel(lambda: seen.append(2))
    with caplog.at_level(logging.ERROR, logger="tkach_sync.cancel"):
        token.cancel()
    assert seen == [1, 2]
    assert "boom" in caplog.text


def test_a_child_follows_its_parent_but_not_the_other_way_round():
    parent = CancellationToken()
    child = parent.child()
    grandchild = child.child()
    child.cancel()
    assert grandchild.is_cancelled and not parent.is_cancelled

    other = parent.child()
    parent.cancel()
    assert other.is_cancelled


def test_releasing_a_child_unlinks_it_from_a_long_lived_parent():
    parent = CancellationToken()
    children = [parent.child() for _ in range(100)]
    for child in children:
        child._release()
    assert parent._callbacks == {}
    parent.cancel()
    assert not any(c.is_cancelled for c in children)
