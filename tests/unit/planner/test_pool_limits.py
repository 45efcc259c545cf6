"""When the pool cannot give the nodes, the planner says so and keeps deciding for the rest.

Covered: wishes that fit are granted whole; a short pool keeps each role's running units and
hands out what is left one unit at a time to the role least served; the NodesAvailable
condition is False and names the shortfall in units and nodes; a budget smaller than the pool
(nodes held by other deployments) is honoured; a role that wants fewer units still shrinks.
"""

from __future__ import annotations

from tokenfleet.api import common
from tokenfleet.planner import decide, pool
from tokenfleet.planner import state as st

from . import fleets

ROLES = {r.name: r for r in fleets.planner_config().roles}  # prefill 2 nodes, decode 3 nodes


def test_wishes_that_fit_are_granted_whole() -> None:
    fit = pool.fit({"prefill": 3, "decode": 2}, {"prefill": 1, "decode": 1}, ROLES, 12)
    assert (fit.granted, fit.short, fit.nodes_available) == ({"prefill": 3, "decode": 2}, {}, True)


def test_a_short_pool_shares_what_is_left_unit_by_unit() -> None:
    # 3 prefill (6 nodes) + 2 decode (6 nodes) = 12 > 10. Each keeps its 1 running unit
    # (5 nodes); of the 5 left, prefill (1/3 served) gets a unit, then decode (1/2 served) one
    # of 3 nodes; the 0 left buy nothing more.
    fit = pool.fit({"prefill": 3, "decode": 2}, {"prefill": 1, "decode": 1}, ROLES, 10)
    assert fit.granted == {"prefill": 2, "decode": 2}
    assert fit.short == {"prefill": 1}


def test_a_role_that_wants_fewer_units_shrinks_even_when_the_pool_is_short() -> None:
    fit = pool.fit({"prefill": 1, "decode": 4}, {"prefill": 3, "decode": 1}, ROLES, 8)
    # prefill drops to 1 (2 nodes), decode keeps 1 and may add 2 more within 8: 2 + 9 = 11 > 8,
    # so one more: 2 + 6 = 8.
    assert fit.granted == {"prefill": 1, "decode": 2}
    assert fit.short == {"decode": 2}


def test_the_decision_says_the_pool_is_full_and_still_plans_the_other_role() -> None:
    cfg = fleets.planner_config(
        fleets.deployment(forecast={"enabled": False}), fleets.pool(max_nodes=12)
    )
    observation = st.Observation(
        at=fleets.START,
        roles={"prefill": fleets.seen(2000, 1), "decode": fleets.seen(100, 1)},
    )
    decision, _ = decide.plan(cfg, st.PlannerState(), observation)
    # prefill wants 3 (2500 tok/s), decode 1 (125 tok/s) = 9 nodes: fits in 12.
    assert decision.units == {"prefill": 3, "decode": 1}
    squeezed = st.Observation(
        at=fleets.START,
        roles={"prefill": fleets.seen(6000, 1), "decode": fleets.seen(100, 1)},
        node_budget=9,
    )
    decision, _ = decide.plan(cfg, st.PlannerState(), squeezed)
    # prefill wants 8 units (7500 tok/s) = 16 nodes; 9 - 3 (decode) leaves 6: 3 units.
    assert decision.units == {"prefill": 3, "decode": 1}
    nodes = next(c for c in decision.conditions if c.type == "NodesAvailable")
    assert nodes.status == common.ConditionStatus.FALSE
    assert nodes.reason == "PoolFull"
    assert "prefill 5 units (10 nodes)" in nodes.message
    assert "pool full: 3 of 8 units" in decision.roles["prefill"].reason
