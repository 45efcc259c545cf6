"""A GPUNodePool's status: node counts, idle cost per hour, conditions.

Covered: counts by state (allocated = ready and busy; nodes given back but still there count
as draining, nodes asked for without a Node yet as provisioning); idle cost from the cost
model; Ready, AtMaximum and Scaling for a pool that is growing, steady, capped and failing;
the status body the controller applies.
"""

from __future__ import annotations

from decimal import Decimal

from tests.unit.nodepools import builders as b

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.nodepools import errors, observe, sizing, status

S = sizing.NodeState


def view(nodes: list[sizing.PoolNode], released: int = 0, pending: int = 0) -> observe.View:
    return observe.View(
        nodes=tuple(nodes),
        demand=sizing.Demand(),
        node_objects={},
        pods_on={},
        unit_pods={},
        live=observe.Liveness([]),
        released=released,
        pending=pending,
    )


def by_type(conds: list[dict[str, object]]) -> dict[object, tuple[object, object]]:
    return {c["type"]: (c["status"], c["reason"]) for c in conds}


def test_counts_split_the_pool_by_state() -> None:
    nodes = [
        *b.ready(3, busy=True),
        *b.ready(2, prefix="idle"),
        b.node("boot", S.PROVISIONING),
        b.node("drain", S.DRAINING),
        b.node("lent", S.LENT),
    ]
    counts = status.counts(view(nodes, released=1, pending=2))
    assert counts == pool_api.NodeCounts(ready=5, allocated=3, provisioning=3, draining=2, lent=1)
    assert status.held(counts) == 11
    assert status.node_use(counts).unallocated == 7


def test_idle_cost_per_hour_prices_nodes_that_serve_no_unit() -> None:
    counts = pool_api.NodeCounts(ready=5, allocated=3, lent=1)
    # 6 held, 4 busy (3 serving + 1 lent): 2 idle nodes x 8 GPUs x $2.
    assert status.idle_cost_per_hour(b.spec(), counts) == Decimal(32)


def test_a_growing_pool_is_not_ready_and_scaling_up() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=4), [], b.T0)
    counts = pool_api.NodeCounts(provisioning=4)
    conds = by_type(status.conditions(plan, counts, 7))
    assert conds == {
        "Ready": ("False", "NodesProvisioning"),
        "AtMaximum": ("False", "BelowMaximum"),
        "Scaling": ("True", "ScalingUp"),
    }
    assert all(c["observedGeneration"] == 7 for c in status.conditions(plan, counts, 7))


def test_a_steady_pool_is_ready_and_stable() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=2), b.ready(2), b.T0)
    conds = by_type(status.conditions(plan, pool_api.NodeCounts(ready=2, allocated=2), 1))
    assert conds["Ready"] == ("True", "NodesReady")
    assert conds["Scaling"] == ("False", "Stable")


def test_demand_above_max_nodes_is_said_with_the_shortfall() -> None:
    plan = sizing.plan(b.spec(maxNodes=10), sizing.Demand(unit_nodes=12), b.ready(10), b.T0)
    conds = status.conditions(plan, pool_api.NodeCounts(ready=10), 1)
    at_max = next(c for c in conds if c["type"] == "AtMaximum")
    assert (at_max["status"], at_max["reason"]) == ("True", "DemandAboveMaximum")
    assert at_max["message"] == "needs 12 nodes, the pool holds at most 10: 2 short"


def test_a_provider_failure_is_a_ready_condition_with_its_reason() -> None:
    failure = errors.TargetNotFound("MachineDeployment gpu/h800: not found")
    conds = status.conditions(None, pool_api.NodeCounts(), 3, failure)
    assert conds == [
        {
            "type": "Ready",
            "status": "False",
            "reason": "TargetNotFound",
            "message": "MachineDeployment gpu/h800: not found",
            "observedGeneration": 3,
        }
    ]


def test_the_status_body_carries_the_printer_column_fields() -> None:
    plan = sizing.plan(b.spec(), sizing.Demand(unit_nodes=2), b.ready(2), b.T0)
    counts = pool_api.NodeCounts(ready=2, allocated=1)
    body = status.body("h800", 4, plan, counts, Decimal("16.004"), [])
    assert body["metadata"] == {"name": "h800"}
    assert body["status"] == {
        "observedGeneration": 4,
        "nodes": {"ready": 2, "allocated": 1, "provisioning": 0, "draining": 0, "lent": 0},
        "idleCostPerHour": 16.0,
        "conditions": [],
        "desiredNodes": 2,
    }
