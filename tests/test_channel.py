"""The producer/consumer hand-off under AgentStream: no lost wake-up, order kept, bound held."""

import queue
import random
import threading
import time

import pytest

from tkach_sync.streaming import QUEUE_SIZE, _Channel

N = 100_000


def test_every_item_arrives_in_order_whoever_is_faster():
    channel = _Channel()
    most_waiting = 0
    rng = random.Random(7)

    def produce() -> None:
        nonlocal most_waiting
        for i in range(N):
            channel.put(i)
            most_waiting = max(most_waiting, len(channel._items))
            if rng.random() < 0.001:
                threading.Event().wait(0.001)  # let the consumer run dry, then race it

    producer = threading.Thread(target=produce)
    received: list[object] = []

    def consume() -> None:
        for n in range(N):
            received.append(channel.get())
            if n % 5000 == 0:
                threading.Event().wait(0.002)  # let the producer fill up and park

    consumer = threading.Thread(target=consume)
    producer.start()
    consumer.start()
    producer.join(30)
    consumer.join(30)
    assert not producer.is_alive() and not consumer.is_alive(), "a wake-up was lost"
    assert received == list(range(N))
    assert most_waiting <= QUEUE_SIZE


def test_a_parked_producer_gives_up_once_the_consumer_left():
    channel = _Channel()
    for i in range(QUEUE_SIZE):
        channel.put(i)
    parked = threading.Thread(target=channel.put, args=("one too many",))
    parked.start()
    channel.closed.set()
    parked.join(5)
    assert not parked.is_alive()


def test_a_timed_get_gives_up_when_nothing_came_and_wakes_when_something_does():
    channel = _Channel()
    with pytest.raises(queue.Empty):
        channel.get(0)
    started = time.monotonic()
    with pytest.raises(queue.Empty):
        channel.get(0.05)
    assert time.monotonic() - started >= 0.05

    got: list[object] = []
    waiting = threading.Thread(target=lambda: got.append(channel.get(30)))
    waiting.start()
    channel.put("late")  # asleep in the timed wait or about to be: either way it must see it
    waiting.join(5)
    assert got == ["late"]
