"""GPU cost: committed (leased) nodes are paid whether used or not, nodes beyond them on demand.

Covered: a pool below, at and above its commitment; a committed price that is unset (the
on-demand price then applies); GPU-seconds priced by kind; per-node prices; reading a
GPUNodePool spec; refusing negative inputs.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenfleet.api import gpu_node_pool
from tokenfleet.economics import cost

DAY = 24 * 3600
ON_DEMAND = gpu_node_pool.GPUCost(on_demand_per_gpu_hour=Decimal(2))
LEASED = gpu_node_pool.GPUCost(
    on_demand_per_gpu_hour=Decimal(2), committed_per_gpu_hour=Decimal("1.5")
)


@pytest.mark.parametrize(
    ("price", "committed", "nodes", "seconds", "expected"),
    [
        (ON_DEMAND, 0, 226.75, DAY, Decimal(87_072)),  # DeepSeek's day, all on demand
        (ON_DEMAND, 0, 0, DAY, Decimal(0)),
        (ON_DEMAND, 0, 1, 3600, Decimal(16)),  # one 8-GPU node-hour
        (ON_DEMAND, 0, 1, 60, Decimal(16) / 60),
        # 100 leased at $1.5 ($28,800) + 126.75 on demand at $2 ($48,672)
        (LEASED, 100, 226.75, DAY, Decimal(77_472)),
        # 300 leased and only 226.75 held: the whole lease is paid, nothing on demand
        (LEASED, 300, 226.75, DAY, Decimal(86_400)),
        (LEASED, 300, 0, DAY, Decimal(86_400)),
        (LEASED, 100, 100, DAY, Decimal(28_800)),
        # a lease without its own price costs the on-demand price, and is paid when unused
        (ON_DEMAND, 100, 226.75, DAY, Decimal(87_072)),
        (ON_DEMAND, 300, 226.75, DAY, Decimal(115_200)),
    ],
)
def test_pool_cost_pays_the_whole_lease_and_on_demand_beyond_it(
    price: gpu_node_pool.GPUCost, committed: int, nodes: float, seconds: int, expected: Decimal
) -> None:
    assert cost.pool_cost(price, 8, committed, nodes, seconds) == expected


def test_the_breakdown_tells_lease_from_on_demand() -> None:
    breakdown = cost.pool_cost_breakdown(LEASED, 8, 100, 226.75, DAY)
    assert breakdown == cost.PoolCost(committed=Decimal(28_800), on_demand=Decimal(48_672))
    assert breakdown.total == Decimal(77_472)


def test_gpu_seconds_are_priced_by_the_kind_of_node_they_ran_on() -> None:
    hour = 3600
    assert cost.gpu_seconds_cost(LEASED, committed=8 * hour) == Decimal(12)
    assert cost.gpu_seconds_cost(LEASED, on_demand=8 * hour) == Decimal(16)
    assert cost.gpu_seconds_cost(LEASED, committed=hour, on_demand=hour) == Decimal("3.5")
    assert cost.gpu_seconds_cost(ON_DEMAND, committed=hour) == Decimal(2)


def test_node_prices_are_gpu_prices_times_gpus_per_node() -> None:
    assert cost.node_hour_price(LEASED, 8, committed=True) == Decimal(12)
    assert cost.node_hour_price(LEASED, 8, committed=False) == Decimal(16)
    assert cost.node_cost(LEASED, 8, 278, DAY) == Decimal(106_752)  # peak-sized all day


def test_a_pool_spec_supplies_price_gpus_and_commitment() -> None:
    spec = gpu_node_pool.GPUNodePoolSpec(
        max_nodes=300, committed_nodes=100, gpus_per_node=8, cost=LEASED
    )
    assert cost.pool_cost_of(spec, 226.75, DAY) == Decimal(77_472)


@pytest.mark.parametrize(
    ("committed", "nodes", "seconds"), [(-1, 1.0, 1.0), (0, -1.0, 1.0), (0, 1.0, -1.0)]
)
def test_negative_inputs_are_refused(committed: int, nodes: float, seconds: float) -> None:
    with pytest.raises(ValueError):
        cost.pool_cost(ON_DEMAND, 8, committed, nodes, seconds)
