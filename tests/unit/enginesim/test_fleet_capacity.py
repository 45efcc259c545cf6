"""Real engine semantics: pods serve at most their capacity, the rest waits in the queue gauges,
is served when capacity frees, or is dropped after the timeout; late tokens are those
`tokenfleet simulate` and the demo count."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from tokenfleet import clock as clocks
from tokenfleet.demo import late
from tokenfleet.enginesim import demand, exposition, fleet, pods
from tokenfleet.signals import exposition as reading
from tokenfleet.sim import trace as sim_trace

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
CAPACITY = {"prefill": 1000.0, "decode": 100.0, "unified": 100.0}


def simulated(
    rate: demand.Demand,
    counts: dict[str, int],
    clock: clocks.FakeClock,
    timeout: float | None = 600.0,
) -> tuple[fleet.Fleet, list[list[fleet.SimPod]]]:
    """A fleet and a one-element holder of its pods, so a test can swap them."""
    current = [pods.static_pods("ns", "dsv3", counts)]
    sim = fleet.Fleet(
        rate,
        clock,
        START,
        fleet.Settings(capacity=CAPACITY, queue_timeout_seconds=timeout),
        lambda: current[0],
    )
    return sim, current


def of_role(sim: fleet.Fleet, role: str) -> list[fleet.PodState]:
    return [s for s in sim.states() if s.pod.role == role]


def flat(output: float, input_: float = 0.0) -> demand.ConstantDemand:
    return demand.ConstantDemand(demand.Tokens(input=input_, output=output))


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_a_pod_at_twice_its_capacity_serves_capacity_and_queues_the_rest(engine: str) -> None:
    clock = clocks.FakeClock(START)
    # 200 output tokens/s (0.5 requests/s at 400 prompt tokens each) against 100/s.
    sim, _ = simulated(flat(200, 800 * 0.5), {"decode": 1}, clock)
    for _ in range(12):
        clock.advance(10)
        sim.advance()
    (pod,) = sim.states()
    assert pod.generation_tokens == pytest.approx(100 * 120)
    assert pod.backlog_tokens == pytest.approx(100 * 120)
    # Requests wait in proportion: half of the 120 s of arrivals.
    requests = 0.5 * 800 / fleet.Settings(capacity={}).input_tokens_per_request
    assert pod.requests == pytest.approx(requests * 60)
    assert pod.queue_requests == pytest.approx(requests * 60)
    assert pod.load == pytest.approx(1.0)
    assert pod.kv_cache_usage == 1.0
    shown = reading.read(exposition.engine_metrics(pod, exposition.Shape(engine)))
    assert shown.queue_depth == pytest.approx(requests * 60)
    assert shown.generation_tokens == pytest.approx(100 * 120)
    assert shown.finished_requests == pytest.approx(requests * 60)
    assert shown.aborted_requests == 0


def test_pods_share_the_role_and_none_serves_beyond_its_capacity() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = simulated(flat(output=500, input_=9000), {"prefill": 3, "decode": 2}, clock)
    clock.advance(30)
    sim.advance()
    for pod in of_role(sim, "prefill"):
        assert pod.prompt_tokens == pytest.approx(1000 * 30)
        assert pod.backlog_tokens == pytest.approx((9000 - 3000) * 30 / 3)
    for pod in of_role(sim, "decode"):
        assert pod.generation_tokens == pytest.approx(100 * 30)
        assert pod.backlog_tokens == pytest.approx((500 - 200) * 30 / 2)


def test_the_queue_drains_when_demand_falls_and_serves_everything_that_waited() -> None:
    clock = clocks.FakeClock(START)
    # 300/s for a minute, then 50/s, against one pod's 100/s: 12,000 tokens wait, and drain
    # at 50/s in four minutes.
    rate = demand.TraceDemand(
        [0, 60, 3600],
        [demand.Tokens(output=300 * 60), demand.Tokens(output=50 * 3540)] * 1
        + [demand.Tokens(output=50 * 60)],
    )
    sim, _ = simulated(rate, {"decode": 1}, clock)
    backlog = []
    for _ in range(36):
        clock.advance(10)
        sim.advance()
        backlog.append(sim.states()[0].backlog_tokens)
    assert max(backlog) == pytest.approx(12_000)
    assert backlog[5] == pytest.approx(12_000)
    assert backlog[9] == pytest.approx(12_000 - 50 * 40)
    assert backlog[29] == 0 and backlog[-1] == 0
    (pod,) = sim.states()
    assert pod.generation_tokens == pytest.approx(300 * 60 + 50 * 300)
    assert pod.dropped_output_tokens == 0
    assert pod.queue_requests == 0


def test_time_to_first_token_includes_the_wait_in_the_queue() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = simulated(flat(200, 2048), {"decode": 1}, clock)
    clock.advance(10)
    sim.advance()
    early_sum, early_count = sim.states()[0].ttft.sum, sim.states()[0].ttft.count
    for _ in range(29):
        clock.advance(10)
        sim.advance()
    (pod,) = sim.states()
    before_sum, before_count = pod.ttft.sum, pod.ttft.count
    clock.advance(10)
    sim.advance()
    base = fleet.Settings(capacity={}).base_ttft_seconds / (1 - 0.95)
    # Served 300 s in, a request has waited behind a backlog of 150 s of capacity.
    last_mean = (pod.ttft.sum - before_sum) / (pod.ttft.count - before_count)
    assert last_mean == pytest.approx(base + 150, abs=5)
    assert early_sum / early_count < base + 5


def test_requests_that_wait_past_the_timeout_are_dropped_and_counted() -> None:
    clock = clocks.FakeClock(START)
    # Twice the capacity for 20 minutes with a 5-minute timeout: first come, first served,
    # the server reaches each token just as it times out, so the queue holds the last five
    # minutes of arrivals, and half of what arrives is dropped.
    sim, _ = simulated(flat(200, 4096), {"decode": 1}, clock, timeout=300.0)
    for _ in range(120):
        clock.advance(10)
        sim.advance()
    (pod,) = sim.states()
    role = sim.role("ns", "dsv3", "decode")
    assert role is not None
    assert pod.generation_tokens == pytest.approx(100 * 1200)
    assert pod.backlog_tokens == pytest.approx(200 * 300, rel=0.05)
    assert pod.dropped_output_tokens == pytest.approx(200 * 1200 - 100 * 1200 - pod.backlog_tokens)
    assert pod.aborted_requests == pytest.approx(pod.dropped_output_tokens / 100)
    assert pod.dropped_input_tokens == pytest.approx(pod.dropped_output_tokens * 4096 / 200)
    # Nothing is lost: arrived = served + queued + dropped, and dropped <= late.
    assert role.arrived.output == pytest.approx(
        role.served.output + role.queued.output + role.dropped.output
    )
    assert role.dropped.output <= role.late_tokens
    shown = reading.read(exposition.engine_metrics(pod, exposition.Shape("vllm")))
    assert shown.aborted_requests == pytest.approx(pod.aborted_requests)
    assert shown.finished_requests == pytest.approx(pod.requests)
    sglang = reading.read(exposition.engine_metrics(pod, exposition.Shape("sglang")))
    assert sglang.aborted_requests == pytest.approx(pod.aborted_requests)


def test_without_a_timeout_nothing_is_dropped() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = simulated(flat(200, 4096), {"decode": 1}, clock, timeout=None)
    clock.advance(3600)
    sim.advance()
    (pod,) = sim.states()
    assert pod.aborted_requests == 0
    assert pod.backlog_tokens == pytest.approx(100 * 3600)


def test_counters_only_grow_through_overload_drops_and_pods_coming_and_going() -> None:
    clock = clocks.FakeClock(START)
    rows = [demand.Tokens(input=r * 60 * 10, cached=r * 60 * 3, output=r * 60) for r in (50, 400)]
    sim, current = simulated(demand.TraceDemand([0, 60], rows), {"decode": 2}, clock, 120.0)
    counters = (
        "prompt_tokens",
        "generation_tokens",
        "requests",
        "aborted_requests",
        "dropped_output_tokens",
        "late_tokens",
    )
    last: dict[tuple[str, str], float] = {}
    for tick in range(200):
        if tick % 50 == 25:
            current[0] = pods.static_pods("ns", "dsv3", {"decode": 1 + tick % 3})
        clock.advance(7)
        sim.advance()
        # A pod that goes away and comes back is a new engine: it counts from zero.
        names = {pod.pod.name for pod in sim.states()}
        last = {key: value for key, value in last.items() if key[0] in names}
        for pod, name in itertools.product(sim.states(), counters):
            value = getattr(pod, name)
            assert value >= last.get((pod.pod.name, name), 0.0), (tick, pod.pod.name, name)
            last[pod.pod.name, name] = value


def test_work_waits_for_a_pod_when_a_role_has_none_and_a_new_pod_drains_the_backlog() -> None:
    clock = clocks.FakeClock(START)
    sim, current = simulated(flat(100), {"decode": 1}, clock)
    clock.advance(60)
    sim.advance()
    current[0] = []
    clock.advance(60)
    sim.advance()
    role = sim.role("ns", "dsv3", "decode")
    assert role is not None and role.queued.output == pytest.approx(6000)
    current[0] = pods.static_pods("ns", "dsv3", {"decode": 2})
    clock.advance(60)
    sim.advance()
    # Two pods: 200/s against 100/s arriving, so the minute's backlog is served in a minute.
    assert [pod.generation_tokens for pod in sim.states()] == pytest.approx([6000, 6000])
    assert sim.states()[0].backlog_tokens == 0


def test_a_role_without_a_configured_capacity_serves_everything() -> None:
    clock = clocks.FakeClock(START)
    sim, _ = simulated(flat(1e6), {"other": 1}, clock)
    clock.advance(10)
    sim.advance()
    (pod,) = sim.states()
    assert pod.generation_tokens == pytest.approx(1e7)
    assert pod.backlog_tokens == 0 and pod.late_tokens == 0


def test_late_tokens_are_those_the_demo_and_simulate_count() -> None:
    # Per-minute rows; one-pod units; pods change between rows, as units are readied.
    rates = [(800, 50), (2500, 120), (3000, 260), (1200, 90), (400, 30), (2200, 210)]
    rows = [(60.0 * i, 60.0 * inp, 0.0, 60.0 * out) for i, (inp, out) in enumerate(rates)]
    ready = [{"prefill": 1, "decode": 1}, {"prefill": 2, "decode": 1}, {"prefill": 2, "decode": 2}]
    schedule = [ready[0], ready[0], ready[1], ready[2], ready[2], ready[1]]
    clock = clocks.FakeClock(START)
    rate = demand.TraceDemand([r[0] for r in rows], [demand.Tokens(r[1], 0, r[3]) for r in rows])
    sim, current = simulated(rate, schedule[0], clock)
    account = late.LateTokens(sim_trace.build("t", rows), {"prefill": 1000.0, "decode": 100.0})
    for i, units in enumerate(schedule):
        current[0] = pods.static_pods("ns", "dsv3", units)
        sim.advance()
        for _ in range(4):
            clock.advance(15)
            sim.advance()
        account.charge(60.0 * i, 60.0 * (i + 1), units)
    for role in ("prefill", "decode"):
        state = sim.role("ns", "dsv3", role)
        assert state is not None
        assert state.late_tokens == pytest.approx(account.late[role])
        assert state.arrived.input + state.arrived.output > 0
    assert account.late["prefill"] > 0 and account.late["decode"] > 0
    shown = sum(pod.late_tokens for pod in sim.states())
    assert shown == pytest.approx(sum(account.late.values()))


def test_a_gone_pod_shows_its_last_counters_for_the_linger_then_disappears() -> None:
    clock = clocks.FakeClock(START)
    pods = [fleet.SimPod("ns", "a-0", "a", "decode"), fleet.SimPod("ns", "a-1", "a", "decode")]
    current = list(pods)
    sim = fleet.Fleet(
        demand.ConstantDemand(demand.Tokens(output=100.0)),
        clock,
        START,
        fleet.Settings(capacity={"decode": 1000.0}, linger_seconds=60.0),
        lambda: current,
    )
    clock.advance(10)
    sim.advance()
    current.pop()
    clock.advance(30)
    sim.advance()
    shown = {s.pod.name: s.generation_tokens for s in sim.states()}
    assert shown == {"a-0": pytest.approx(500.0 + 3000.0), "a-1": pytest.approx(500.0)}
    clock.advance(59)
    sim.advance()
    assert [s.pod.name for s in sim.states()] == ["a-0", "a-1"], "gone 59 s ago: still shown"
    clock.advance(2)
    sim.advance()
    assert [s.pod.name for s in sim.states()] == ["a-0"]


def test_a_pod_that_left_the_router_serves_nothing_and_shows_idle() -> None:
    clock = clocks.FakeClock(START)
    sim, current = simulated(flat(150), {"decode": 2}, clock)
    clock.advance(10)
    sim.advance()
    assert all(s.running_requests > 0 for s in of_role(sim, "decode"))
    leaving = current[0][1]
    current[0] = [current[0][0], dataclasses.replace(leaving, serving=False)]
    clock.advance(10)
    sim.advance()
    by_name = {s.pod.name: s for s in of_role(sim, "decode")}
    gone = by_name[leaving.name]
    assert (gone.running_requests, gone.queue_requests, gone.load) == (0.0, 0.0, 0.0)
    served = by_name[current[0][0].name]
    assert served.load == pytest.approx(1.0)  # the one left serves its capacity, the rest waits
    assert served.backlog_tokens > 0
