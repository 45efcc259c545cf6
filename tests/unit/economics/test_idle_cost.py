"""Idle cost: what nodes and units that serve nothing cost, and unused leases.

Covered: idle nodes priced as the nodes one would release (on demand once the lease is used by
serving nodes); unused leases; the split by reason (unallocated, warming, blocked, unused
commitment) adds up with the serving and lent share to the pool's cost; a warming unit; the
hourly figure a GPUNodePool's status shows.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenfleet.api import gpu_node_pool
from tokenfleet.economics import cost, idle

HOUR = 3600
ON_DEMAND = gpu_node_pool.GPUCost(on_demand_per_gpu_hour=Decimal(2))  # $16 a node-hour
LEASED = gpu_node_pool.GPUCost(
    on_demand_per_gpu_hour=Decimal(2), committed_per_gpu_hour=Decimal(1)
)  # $8 a leased node-hour


@pytest.mark.parametrize(
    ("price", "committed", "nodes", "busy", "expected"),
    [
        (ON_DEMAND, 0, 10, 10, Decimal(0)),
        (ON_DEMAND, 0, 10, 7, Decimal(48)),  # 3 idle nodes at $16
        (LEASED, 8, 10, 7, Decimal(40)),  # 1 idle leased ($8) + 2 idle on demand ($32)
        (LEASED, 12, 10, 7, Decimal(40)),  # 3 idle leased ($24) + 2 leases unheld ($16)
        (LEASED, 12, 0, 0, Decimal(96)),  # an empty pool still pays its lease
        (LEASED, 4, 10, 7, Decimal(48)),  # busy nodes fill the lease; idle ones on demand
        (ON_DEMAND, 0, 10.5, 3.25, Decimal(116)),  # averages: 7.25 idle nodes
    ],
)
def test_idle_nodes_cost_what_releasing_them_would_save_plus_unused_leases(
    price: gpu_node_pool.GPUCost, committed: int, nodes: float, busy: float, expected: Decimal
) -> None:
    assert idle.idle_cost(price, 8, committed, nodes, busy, HOUR) == expected


USES = [
    idle.NodeUse(serving=5, lent=2, warming=4, blocked=3, unallocated=1),
    idle.NodeUse(serving=20),
    idle.NodeUse(unallocated=2.5),
    idle.NodeUse(),
]


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("committed", [0, 6, 14, 30])
def test_the_parts_add_up_to_the_pools_cost(use: idle.NodeUse, committed: int) -> None:
    parts = idle.attribute(LEASED, 8, committed, use, HOUR)
    whole = cost.pool_cost(LEASED, 8, committed, float(use.held), HOUR)
    assert sum(parts.values()) == whole
    breakdown = idle.idle_breakdown(LEASED, 8, committed, use, HOUR)
    assert breakdown.total == whole - parts["serving"] - parts["lent"]


def test_idle_cost_by_reason() -> None:
    use = idle.NodeUse(serving=5, lent=2, warming=4, blocked=3, unallocated=1)
    # 10 leased slots: 5 serving, 2 lent, 3 of the 4 warming; the rest on demand
    breakdown = idle.idle_breakdown(LEASED, 8, 10, use, HOUR)
    assert breakdown.by_reason() == {
        idle.IdleReason.UNALLOCATED: Decimal(16),
        idle.IdleReason.WARMING: Decimal(3 * 8 + 16),
        idle.IdleReason.BLOCKED: Decimal(3 * 16),
        idle.IdleReason.UNUSED_COMMITMENT: Decimal(0),
    }
    unheld = idle.idle_breakdown(LEASED, 8, 25, use, HOUR)
    assert unheld.unused_commitment == Decimal(10 * 8)


def test_a_warming_decode_unit_costs_its_nodes_at_the_on_demand_price() -> None:
    # 18 nodes for a 10-minute cold start at $16 a node-hour
    assert idle.unit_idle_cost(LEASED, 8, 18, 600) == Decimal(48)


def test_the_pool_status_shows_the_hourly_idle_cost() -> None:
    spec = gpu_node_pool.GPUNodePoolSpec(max_nodes=20, committed_nodes=8, cost=LEASED)
    assert idle.idle_cost_per_hour(spec, nodes=10, busy_nodes=7) == Decimal(40)


@pytest.mark.parametrize(("nodes", "busy"), [(5, 6), (5, -1)])
def test_busy_nodes_must_be_among_the_pools_nodes(nodes: float, busy: float) -> None:
    with pytest.raises(ValueError, match="busy nodes"):
        idle.idle_cost(ON_DEMAND, 8, 0, nodes, busy, HOUR)
