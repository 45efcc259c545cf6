"""A role's waiting line: served oldest first up to the budget, dropped after the timeout, and
timed so that work behind a backlog waits for it while work meeting an idle server does not."""

from __future__ import annotations

import pytest

from tokenfleet.enginesim import queue

MEASURE = queue.output_tokens


def batch(start: float, end: float, output: float, requests: float = 0.0) -> queue.Batch:
    return queue.Batch(start, end, queue.Work(input=2 * output, output=output, requests=requests))


def test_the_measure_is_prompt_tokens_for_prefill_and_generated_tokens_otherwise() -> None:
    work = queue.Work(input=10, cached=4, output=3, requests=1)
    assert queue.measure_of("prefill")(work) == 10
    assert queue.measure_of("decode")(work) == 3
    assert queue.measure_of("unified")(work) == 3


def test_serving_takes_the_oldest_work_first_up_to_the_budget() -> None:
    waiting = (batch(0, 10, 300, requests=3), batch(10, 20, 500, requests=5))
    rest, served = queue.serve(waiting, 20, 10, 50.0, MEASURE)
    # A budget of 500: all of the first batch, then the oldest 40% of the second.
    assert [part.work.output for part in served] == pytest.approx([300, 200])
    assert served[1].work.requests == pytest.approx(2)
    assert served[1].work.input == pytest.approx(400)
    (left,) = rest
    assert left.start == pytest.approx(14) and left.end == 20
    assert left.work.output == pytest.approx(300)
    assert left.work.requests == pytest.approx(3)


def test_a_queue_smaller_than_the_budget_is_served_whole() -> None:
    rest, served = queue.serve((batch(0, 10, 300),), 10, 10, 50.0, MEASURE)
    assert rest == ()
    assert sum(part.work.output for part in served) == pytest.approx(300)


def test_without_capacity_nothing_is_served() -> None:
    waiting = (batch(0, 10, 300),)
    assert queue.serve(waiting, 10, 10, 0.0, MEASURE) == (waiting, [])


def test_work_that_costs_no_capacity_is_served_at_once() -> None:
    free = queue.Batch(0, 10, queue.Work(input=100, requests=1))
    rest, served = queue.serve((free, batch(0, 10, 1000)), 0, 10, 10.0, MEASURE)
    assert served[0].work.input == 100
    assert served[0].wait_seconds == 0
    assert sum(part.work.output for part in served) == pytest.approx(100)
    assert queue.total(rest).output == pytest.approx(900)


def test_work_meeting_an_idle_server_waits_nothing() -> None:
    _, served = queue.serve((batch(0, 10, 300),), 0, 10, 50.0, MEASURE)
    assert [part.wait_seconds for part in served] == [0.0]


def test_work_arriving_faster_than_served_waits_as_a_fluid_fifo_would() -> None:
    # 200 tokens/s for 10 s at 100/s: the first half arrives over 5 s and is served over 10 s,
    # so a token arriving at u is served at 2u: its mean wait is 2.5 s.
    _, served = queue.serve((batch(0, 10, 2000),), 0, 10, 100.0, MEASURE)
    assert served[0].wait_seconds == pytest.approx(2.5)


def test_work_behind_a_backlog_waits_for_the_backlog() -> None:
    waiting = (batch(0, 10, 1000), batch(10, 20, 100))
    _, served = queue.serve(waiting, 10, 20, 100.0, MEASURE)
    # The backlog takes 10 s from 10; the new batch arrived around 15 and is served around 20.5.
    assert served[1].wait_seconds == pytest.approx(20.5 - 15)


def test_expiry_drops_what_arrived_before_the_cutoff_even_part_of_a_batch() -> None:
    waiting = (batch(0, 10, 100, requests=10), batch(10, 20, 200, requests=20))
    rest, dropped = queue.expire(waiting, 15)
    assert dropped.output == pytest.approx(200)
    assert dropped.requests == pytest.approx(20)
    (left,) = rest
    assert (left.start, left.end) == (15, 20)
    assert left.work.output == pytest.approx(100)


def test_expiry_keeps_everything_younger_than_the_cutoff() -> None:
    waiting = (batch(10, 20, 100),)
    assert queue.expire(waiting, 10) == (waiting, queue.Work())
    assert queue.expire(waiting, 30) == ((), waiting[0].work)
