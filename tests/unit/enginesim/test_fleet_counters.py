"""The simulated fleet: within capacity, counters are demand integrated over clock time, split
across a role's pods; gauges follow load, and demand above capacity builds a queue that drains
later (test_fleet_capacity.py goes further)."""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand, fleet, pods
from tokenfleet.enginesim import queue as queues

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
SETTINGS = fleet.Settings(capacity={"prefill": 1000.0, "decode": 100.0, "unified": 100.0})


def make(
    rate: demand.Tokens, counts: dict[str, int], clock: clocks.FakeClock
) -> tuple[fleet.Fleet, list[fleet.SimPod]]:
    current = pods.static_pods("ns", "dsv3", counts)
    sim = fleet.Fleet(demand.ConstantDemand(rate), clock, START, SETTINGS, lambda: current)
    return sim, current


def test_prefill_pods_share_prompt_and_cached_tokens_evenly() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = make(demand.Tokens(1200, 300, 90), {"prefill": 3, "decode": 2}, clock)
    clock.advance(10)
    sim.advance()
    prefill = [s for s in sim.states() if s.pod.role == "prefill"]
    assert [s.prompt_tokens for s in prefill] == [pytest.approx(4000)] * 3
    assert [s.cached_tokens for s in prefill] == [pytest.approx(1000)] * 3
    assert all(s.generation_tokens == 0 for s in prefill)


def test_decode_pods_count_prompts_and_generated_tokens() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = make(demand.Tokens(1200, 300, 90), {"prefill": 3, "decode": 2}, clock)
    clock.advance(10)
    sim.advance()
    decode = [s for s in sim.states() if s.pod.role == "decode"]
    assert sum(s.generation_tokens for s in decode) == pytest.approx(900)
    assert sum(s.prompt_tokens for s in decode) == pytest.approx(12000)
    assert all(s.cached_tokens == 0 for s in decode)


def test_load_and_kv_usage_are_per_pod_demand_over_capacity() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = make(demand.Tokens(1200, 0, 90), {"prefill": 3, "decode": 2}, clock)
    clock.advance(10)
    sim.advance()
    by_role = {s.pod.role: s for s in sim.states()}
    assert by_role["prefill"].load == pytest.approx(0.4)
    assert by_role["decode"].kv_cache_usage == pytest.approx(0.45)
    assert by_role["decode"].queue_requests == 0
    assert by_role["decode"].running_requests == pytest.approx(0.45 * 256)


def test_demand_above_capacity_builds_a_queue_that_drains_when_it_falls() -> None:
    clock = clocks.FakeClock(START)
    # 150 output tokens/s for 100 s against a capacity of 100, then 50/s for 200 s.
    rate = demand.TraceDemand(
        [0, 100, 200],
        [demand.Tokens(0, 0, 150 * 100), *[demand.Tokens(0, 0, 50 * 100)] * 2],
    )
    current = pods.static_pods("ns", "dsv3", {"decode": 1})
    sim = fleet.Fleet(rate, clock, START, SETTINGS, lambda: current)
    clock.advance(100)
    sim.advance()
    (state,) = sim.states()
    assert state.kv_cache_usage == 1.0
    assert state.backlog_tokens == pytest.approx(5000)
    assert state.waiting.output == pytest.approx(5000)  # by kind: what decode will still serve
    assert state.queue_requests > 0
    queued_ttft = state.ttft.sum / state.ttft.count
    clock.advance(60)
    sim.advance()
    assert state.backlog_tokens == pytest.approx(2000)
    clock.advance(60)
    sim.advance()
    assert state.backlog_tokens == 0
    assert state.waiting == queues.Work()
    assert state.queue_requests == 0
    assert queued_ttft > SETTINGS.base_ttft_seconds * 10


def test_a_pod_that_appears_starts_from_zero_and_takes_its_share() -> None:
    clock = clocks.FakeClock(START)
    current = pods.static_pods("ns", "dsv3", {"decode": 1})
    sim = fleet.Fleet(
        demand.ConstantDemand(demand.Tokens(0, 0, 100)), clock, START, SETTINGS, lambda: current
    )
    clock.advance(10)
    sim.advance()
    current = pods.static_pods("ns", "dsv3", {"decode": 2})
    clock.advance(10)
    sim.advance()
    first, second = sim.states()
    assert first.generation_tokens == pytest.approx(1000 + 500)
    assert second.generation_tokens == pytest.approx(500)


def test_a_pod_that_goes_away_is_forgotten() -> None:
    clock = clocks.FakeClock(START)
    current = pods.static_pods("ns", "dsv3", {"decode": 2})
    sim = fleet.Fleet(
        demand.ConstantDemand(demand.Tokens(0, 0, 100)), clock, START, SETTINGS, lambda: current
    )
    sim.advance()
    current = current[:1]
    sim.advance()
    assert sim.state("ns", "dsv3-decode-1-0") is None
    assert sim.state("ns", "dsv3-decode-0-0") is not None


def test_counters_follow_the_clock_from_the_trace_start() -> None:
    # The clock starts an hour into the trace: counters see only what arrives from then on.
    clock = clocks.FakeClock(START + dt.timedelta(hours=1))
    rate = demand.TraceDemand([0, 3600], [demand.Tokens(0, 0, 0), demand.Tokens(0, 0, 36000)])
    current = pods.static_pods("ns", "dsv3", {"decode": 1})
    sim = fleet.Fleet(rate, clock, START, SETTINGS, lambda: current)
    clock.advance(30)
    sim.advance()
    assert sim.states()[0].generation_tokens == pytest.approx(300)


def test_pods_are_grouped_into_units() -> None:
    names = [(p.name, p.unit) for p in pods.static_pods("ns", "d", {"decode": 3}, nodes_per_unit=2)]
    assert names == [("d-decode-0-0", "0"), ("d-decode-0-1", "0"), ("d-decode-1-0", "1")]


@pytest.mark.parametrize("bad", ["prefill", "prefill=x", "=3"])
def test_pod_counts_must_be_role_equals_number(bad: str) -> None:
    with pytest.raises(ValueError, match="ROLE=COUNT"):
        pods.parse_counts(bad)
