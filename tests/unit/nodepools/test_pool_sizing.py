"""Pool sizing: how many nodes, and which ones move.

Covered: the target from units' nodes plus other GPU pods, clamped to minNodes/maxNodes, the
committed floor of pools that release nodes, raised by the demand expected one lead time ahead;
growth keeps draining nodes first, then reclaims lent ones (lending), then adds; additions and
removals rate-limited over a sliding minute; the scale-down delay; nodes above maxNodes go at
once; nodes asked for but not yet joined are cancelled first; busy nodes never move; lending
cannot grow past its set. Two whole decision sequences are pinned step by step.
"""

from __future__ import annotations

import pytest
from tests.unit.nodepools import builders as b

from tokenfleet.nodepools import sizing

S = sizing.NodeState


def test_an_empty_pool_grows_to_the_nodes_its_units_need() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=40), [], b.T0)
    assert (plan.target, plan.add, plan.held, plan.drain) == (40, 40, 40, ())
    assert plan.memory.changes == (sizing.Change(b.T0, added=40),)
    assert "adding 40" in plan.reason


def test_gpu_pods_outside_units_add_to_the_demand() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=8, other_nodes=2), b.ready(4), b.T0)
    assert (plan.target, plan.add) == (10, 6)
    assert "units 8, other GPU pods 2" in plan.reason


@pytest.mark.parametrize(
    ("needed", "target", "short", "at_max"),
    [(0, 3, 0, False), (50, 50, 0, False), (100, 100, 0, True), (500, 100, 400, True)],
)
def test_the_target_never_leaves_min_and_max(
    needed: int, target: int, short: int, at_max: bool
) -> None:
    plan = sizing.plan(b.spec(minNodes=3), sizing.Demand(unit_nodes=needed), [], b.T0)
    assert (plan.target, plan.short, plan.at_maximum) == (target, short, at_max)


def test_committed_nodes_are_a_floor_for_pools_that_release_them_but_not_for_lending() -> None:
    demand = sizing.Demand(unit_nodes=2)
    releasing = sizing.plan(b.spec(committedNodes=5), demand, b.ready(8), b.T0)
    lending = sizing.plan(b.lending_spec(committedNodes=5), demand, b.ready(8), b.T0)
    assert releasing.target == 5  # a leased node costs the same held or released
    assert len(releasing.drain) == 3
    assert lending.target == 2
    assert len(lending.drain) == 6


def test_demand_expected_one_lead_time_ahead_raises_the_target() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=10, expected_nodes=30), b.ready(10), b.T0)
    assert (plan.target, plan.add) == (30, 20)
    assert "30 expected one lead time ahead" in plan.reason


def test_the_lead_is_the_provisioning_delay_plus_the_reclaim_lead_when_lending() -> None:
    assert sizing.lead_seconds(b.spec(provisioningDelaySeconds=600)) == 600
    lending = b.lending_spec(provisioningDelaySeconds=600)
    assert sizing.lead_seconds(lending) == 600 + 1800


def test_nodes_added_are_rate_limited_over_a_sliding_minute() -> None:
    spec = b.spec(scaling={"maxNodesAddedPerMinute": 10})
    demand = sizing.Demand(unit_nodes=25)
    # t=0: 10 of 25, the rest deferred.
    p0 = sizing.plan(spec, demand, [], b.at(0))
    assert (p0.add, p0.deferred) == (10, 15)
    held = b.ready(10, state=S.PROVISIONING)
    # t=30: the minute since t=0 is not over: nothing more.
    p1 = sizing.plan(spec, demand, held, b.at(30), p0.memory)
    assert (p1.add, p1.deferred) == (0, 15)
    assert "15 more after the limit of 10/min" in p1.reason
    # t=60: the t=0 change has left the window: 10 more.
    p2 = sizing.plan(spec, demand, held, b.at(60), p1.memory)
    assert (p2.add, p2.deferred) == (10, 5)
    assert [c.at for c in p2.memory.changes] == [b.at(60)]


def test_scale_down_waits_for_the_delay_then_drains_on_demand_nodes_first() -> None:
    spec = b.spec(committedNodes=2, scaling={"scaleDownDelaySeconds": 300})
    held = [
        b.node("leased-a", committed=True),
        b.node("leased-b", committed=True),
        b.node("od-old", age=500),
        b.node("od-new", age=10),
    ]
    demand = sizing.Demand(unit_nodes=2)
    p0 = sizing.plan(spec, demand, held, b.at(0))
    assert p0.drain == () and p0.memory.surplus_since == b.at(0)
    p1 = sizing.plan(spec, demand, held, b.at(299), p0.memory)
    assert p1.drain == ()
    assert "2 more than needed for 299s, releasing after 300s" in p1.reason
    p2 = sizing.plan(spec, demand, held, b.at(300), p1.memory)
    assert p2.drain == ("od-new", "od-old")  # on-demand, newest first; leased ones stay
    assert p2.memory.surplus_since is None
    assert p2.held == 4  # draining nodes are still held until released


def test_busy_nodes_are_never_drained() -> None:
    held = [b.node("a", busy=True), b.node("b", busy=True), b.node("c")]
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=0), held, b.T0)
    assert plan.drain == ("c",)
    assert "2 more serve live units" in plan.reason
    assert plan.memory.surplus_since == b.T0  # released at once when the units leave


def test_nodes_removed_are_rate_limited() -> None:
    spec = b.spec(scaling={"maxNodesRemovedPerMinute": 2})
    plan = sizing.plan(spec, sizing.Demand(), b.ready(5), b.T0)
    assert len(plan.drain) == 2
    assert "3 more after the limit of 2/min" in plan.reason
    later = sizing.plan(spec, sizing.Demand(), b.ready(3), b.at(30), plan.memory)
    assert later.drain == ()


def test_nodes_above_max_nodes_go_without_waiting_for_the_delay() -> None:
    spec = b.spec(maxNodes=3, scaling={"scaleDownDelaySeconds": 3600})
    plan = sizing.plan(spec, sizing.Demand(unit_nodes=10), b.ready(5), b.T0)
    assert (plan.target, len(plan.drain), plan.short) == (3, 2, 7)


def test_nodes_asked_for_without_a_node_are_cancelled_before_any_is_drained() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=2), b.ready(3), b.T0, pending=3)
    assert (plan.cancel, len(plan.drain), plan.held) == (3, 1, 3)


def test_provisioning_nodes_are_drained_before_ready_ones_and_empty_before_occupied() -> None:
    held = [
        b.node("ready-occupied", occupied=True),
        b.node("ready-empty"),
        b.node("booting", S.PROVISIONING),
    ]
    plan = sizing.plan(b.spec(), sizing.Demand(), held, b.T0)
    assert plan.drain == ("booting", "ready-empty", "ready-occupied")


def test_draining_nodes_are_kept_before_new_nodes_are_asked_for() -> None:
    held = [*b.ready(2), b.node("d1", S.DRAINING), b.node("d2", S.DRAINING, committed=True)]
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=5), held, b.T0)
    assert plan.keep == ("d2", "d1")  # the leased one first
    assert plan.add == 1
    assert plan.memory.changes == (sizing.Change(b.T0, added=1),)  # kept nodes are free


def test_lending_cannot_grow_past_its_fixed_set() -> None:
    held = [*b.ready(2), *b.ready(4, prefix="lent", state=S.LENT)]
    plan = sizing.plan(b.lending_spec(), sizing.Demand(unit_nodes=10), held, b.T0)
    assert (plan.target, plan.cap, plan.short, plan.add) == (6, 6, 4, 0)
    assert len(plan.reclaim) == 4


def test_lending_lends_committed_nodes_first_and_brings_back_idle_on_demand_ones_first() -> None:
    spec = b.lending_spec(committedNodes=2)
    held = [
        b.node("od-1"),
        b.node("leased-1", committed=True),
        b.node("od-2"),
        b.node("leased-2", committed=True),
    ]
    night = sizing.plan(spec, sizing.Demand(unit_nodes=1), held, b.T0)
    assert night.drain == ("leased-1", "leased-2", "od-1")
    lent = [
        b.node("leased-1", S.LENT, committed=True),
        b.node("od-1", S.LENT, occupied=True),
        b.node("od-2", S.LENT),
        b.node("leased-2", S.LENT, committed=True, occupied=True),
        b.node("serving", busy=True),
    ]
    morning = sizing.plan(spec, sizing.Demand(unit_nodes=1, expected_nodes=4), lent, b.T0)
    # Idle before busy with training, then on-demand before leased.
    assert morning.reclaim == ("od-2", "leased-1", "od-1")


def test_a_kwok_pool_follows_a_day_step_by_step() -> None:
    """A whole sequence: 4 nodes of demand, a ramp to 10 under a 4/min limit, a dip, the delay."""
    spec = b.spec(scaling={"maxNodesAddedPerMinute": 4, "scaleDownDelaySeconds": 120})
    mem = sizing.Memory()
    nodes = b.ready(4)

    def step(seconds: float, units: int) -> sizing.Plan:
        nonlocal mem
        plan = sizing.plan(spec, sizing.Demand(unit_nodes=units), nodes, b.at(seconds), mem)
        mem = plan.memory
        return plan

    # t=0: holds what it needs.
    assert step(0, 4).changed is False
    # t=30: the ramp: 6 more wanted, 4 allowed this minute.
    p = step(30, 10)
    assert (p.add, p.deferred) == (4, 2)
    nodes += b.ready(4, prefix="m", state=S.PROVISIONING)
    # t=60: still within the minute of t=30.
    assert step(60, 10).add == 0
    # t=90: the window has passed: the last 2.
    assert step(90, 10).add == 2
    nodes += b.ready(2, prefix="l")
    # t=120: demand drops to 7: the surplus of 3 starts its 120 s wait.
    p = step(120, 7)
    assert p.drain == () and mem.surplus_since == b.at(120)
    # t=200: demand back to 10 before the delay ran out: nothing released, the wait forgotten.
    assert step(200, 10).changed is False
    assert mem.surplus_since is None
    # t=300 and t=420: demand 7 again: waits the full delay once more, then drains 3.
    assert step(300, 7).drain == ()
    assert step(419, 7).drain == ()
    assert step(420, 7).drain == ("m0", "m1", "m2")  # still provisioning: cheapest to drop
