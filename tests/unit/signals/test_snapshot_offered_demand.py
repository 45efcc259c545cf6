"""The demand a role is sized by is what is offered to it: served tokens plus, in tokens, the
growth of its queue and the requests aborted. Read from the engine simulator's own metrics, it
sees demand above capacity while the served counters stop at capacity, and follows demand down
while a backlog drains."""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand, exposition, fleet, pods
from tokenfleet.signals import exposition as reading
from tokenfleet.signals import offered, prometheus, promql, snapshot

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
DECODE = snapshot.RoleKey("ns", "dsv3", "decode")
PREFILL = snapshot.RoleKey("ns", "dsv3", "prefill")


def test_a_role_that_keeps_up_is_offered_what_it_serves() -> None:
    assert offered.tokens_per_second(100.0, 0.5, 0.0, 0.0) == 100.0
    assert offered.tokens_per_second(100.0, 0.5, None, None) == 100.0


def test_queue_growth_and_aborted_requests_count_at_the_served_tokens_per_request() -> None:
    # 200 tokens a request; the queue grows by 0.25 requests/s, 0.25 are aborted.
    assert offered.tokens_per_second(100.0, 0.5, 0.25, 0.25) == pytest.approx(200.0)


def test_a_draining_queue_is_offered_less_than_it_serves() -> None:
    assert offered.tokens_per_second(100.0, 0.5, -0.25, 0.0) == pytest.approx(50.0)
    assert offered.tokens_per_second(100.0, 0.5, -5.0, 0.0) == 0.0


def test_without_served_requests_there_is_no_ratio_and_the_served_rate_stands() -> None:
    assert offered.tokens_per_second(100.0, 0.0, 3.0, 0.0) == 100.0
    assert offered.tokens_per_second(100.0, None, 3.0, 0.0) == 100.0
    assert offered.tokens_per_second(None, 0.5, 3.0, 0.0) is None


def test_queue_growth_is_the_change_of_the_roles_sum_and_new_pods_grow_from_zero() -> None:
    # Two pods scraped 10 s apart; a third seen for the first time.
    assert offered.queue_growth([(10.0, 30.0, 10.0), (10.0, 10.0, 10.0)]) == pytest.approx(2.0)
    assert offered.queue_growth(
        [(10.0, 5.0, 10.0), (10.0, 5.0, 10.0), (None, 10.0, None)]
    ) == pytest.approx(0.0)
    assert offered.queue_growth([(None, 10.0, None)]) is None
    assert offered.queue_growth([(1.0, None, 10.0)]) is None


def test_role_signals_convert_requests_to_the_roles_tokens() -> None:
    decode = snapshot.RoleSignals(
        key=DECODE,
        input_tokens_per_second=4096.0,
        output_tokens_per_second=100.0,
        queue_depth=30.0,
        requests_per_second=0.5,
        queue_growth_per_second=0.3,
        aborted_requests_per_second=0.2,
    )
    assert decode.served_tokens_per_second == 100.0
    assert decode.tokens_per_request == pytest.approx(200.0)
    assert decode.queued_tokens == pytest.approx(6000.0)
    assert decode.demand_tokens_per_second == pytest.approx(200.0)
    prefill = snapshot.RoleSignals(
        key=PREFILL,
        input_tokens_per_second=2048.0,
        requests_per_second=1.0,
        queue_growth_per_second=1.0,
    )
    assert prefill.demand_tokens_per_second == pytest.approx(4096.0)


def test_without_queue_readings_demand_is_the_served_rate_as_before() -> None:
    signals = snapshot.RoleSignals(key=DECODE, output_tokens_per_second=120.0, queue_depth=4.0)
    assert signals.demand_tokens_per_second == 120.0
    assert signals.queued_tokens is None


# --- read from the simulator, as a scrape of its pods would ---------------------------------


def readings(sim: fleet.Fleet, shape: exposition.Shape) -> dict[str, reading.PodReading]:
    return {s.pod.name: reading.read(exposition.engine_metrics(s, shape)) for s in sim.states()}


def signals_between(
    key: snapshot.RoleKey,
    before: dict[str, reading.PodReading],
    after: dict[str, reading.PodReading],
    seconds: float,
) -> snapshot.RoleSignals:
    """The role's signals from two readings of every pod, `seconds` apart."""

    def rate(pick: str) -> float:
        total = 0.0
        for name in after.keys() & before.keys():
            now, then = getattr(after[name], pick), getattr(before[name], pick)
            assert isinstance(now, float) and isinstance(then, float)
            total += (now - then) / seconds
        return total

    return snapshot.RoleSignals(
        key=key,
        input_tokens_per_second=rate("prompt_tokens"),
        output_tokens_per_second=rate("generation_tokens"),
        queue_depth=sum(r.queue_depth or 0.0 for r in after.values()),
        requests_per_second=rate("finished_requests"),
        aborted_requests_per_second=rate("aborted_requests"),
        queue_growth_per_second=offered.queue_growth(
            [
                (
                    before[n].queue_depth if n in before else None,
                    r.queue_depth,
                    seconds if n in before else None,
                )
                for n, r in after.items()
            ]
        ),
    )


SHAPES = [exposition.Shape("sglang"), exposition.Shape("vllm", ranks_per_pod=2)]


@pytest.mark.parametrize("shape", SHAPES, ids=["sglang", "vllm"])
@pytest.mark.parametrize("timeout", [600.0, 120.0], ids=["queueing", "dropping"])
def test_the_estimate_sees_the_offered_load_above_capacity(
    shape: exposition.Shape, timeout: float
) -> None:
    # Two decode pods of 100 tokens/s offered 500/s, two prefill pods of 1000/s offered 5000/s.
    clock = clocks.FakeClock(START)
    current = pods.static_pods("ns", "dsv3", {"prefill": 2, "decode": 2})
    sim = fleet.Fleet(
        demand.ConstantDemand(demand.Tokens(input=5000, output=500)),
        clock,
        START,
        fleet.Settings(
            capacity={"prefill": 1000.0, "decode": 100.0}, queue_timeout_seconds=timeout
        ),
        lambda: current,
    )
    window = 60.0
    for _ in range(10):  # past the timeout: requests are being dropped in one case
        clock.advance(window)
        sim.advance()
    for key in (DECODE, PREFILL):
        names = {p.name for p in current if p.role == key.role}
        before = {n: r for n, r in readings(sim, shape).items() if n in names}
        clock.advance(window)
        sim.advance()
        after = {n: r for n, r in readings(sim, shape).items() if n in names}
        signals = signals_between(key, before, after, window)
        capacity = 200.0 if key.role == "decode" else 2000.0
        assert signals.served_tokens_per_second == pytest.approx(capacity)
        assert signals.queue_depth is not None and signals.queue_depth > 0
        assert signals.demand_tokens_per_second == pytest.approx(capacity * 2.5, rel=1e-6)


def test_while_a_backlog_drains_the_estimate_follows_demand_down() -> None:
    clock = clocks.FakeClock(START)
    current = pods.static_pods("ns", "dsv3", {"decode": 1})
    # 300/s for ten minutes against 100/s, then 40/s.
    rate = demand.TraceDemand(
        [0, 600, 7200],
        [demand.Tokens(output=300 * 600), demand.Tokens(output=40 * 6600)] * 1
        + [demand.Tokens(output=40 * 600)],
    )
    sim = fleet.Fleet(
        rate, clock, START, fleet.Settings(capacity={"decode": 100.0}), lambda: current
    )
    clock.advance(660)
    sim.advance()
    shape = exposition.Shape("sglang")
    before = readings(sim, shape)
    clock.advance(60)
    sim.advance()
    signals = signals_between(DECODE, before, readings(sim, shape), 60)
    assert signals.served_tokens_per_second == pytest.approx(100.0)
    assert signals.demand_tokens_per_second == pytest.approx(40.0)


# --- the Prometheus path ----------------------------------------------------------------------


def test_prometheus_answers_feed_the_estimate_in_clock_seconds() -> None:
    # Under a 60x clock, Prometheus's per-real-second answers are 60 times the clock rates.
    results = {
        promql.Reading.OUTPUT_RATE: {DECODE: 6000.0},
        promql.Reading.QUEUE_DEPTH: {DECODE: 120.0},
        promql.Reading.REQUEST_RATE: {DECODE: 30.0},
        promql.Reading.QUEUE_GROWTH: {DECODE: 18.0},
        promql.Reading.ABORTED_RATE: {DECODE: 12.0},
    }
    role = prometheus.assemble(results, START, 1 / 60).role("ns", "dsv3", "decode")
    assert role is not None
    assert role.output_tokens_per_second == pytest.approx(100.0)
    assert role.requests_per_second == pytest.approx(0.5)
    assert role.queue_growth_per_second == pytest.approx(0.3)
    assert role.aborted_requests_per_second == pytest.approx(0.2)
    assert role.queue_depth == 120.0
    assert role.queued_tokens == pytest.approx(24_000.0)
    assert role.demand_tokens_per_second == pytest.approx(200.0)
