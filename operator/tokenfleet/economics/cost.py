"""What GPU time costs: GPU-seconds to money, committed (leased) and on-demand nodes priced apart.

A pool's committed nodes are leased: paid for every second whether they exist, serve or sit idle,
at the committed price (the on-demand price when the pool sets none). Nodes beyond them are
on-demand, paid only while they exist. So the cost of a pool over an interval is the lease of all
committed nodes plus the on-demand time of the nodes above the commitment.

Node counts are floats because they are averages over an interval (DeepSeek's day averages
226.75 nodes); they are turned into Decimal through their shortest repr so that 226.75 stays
226.75 and the day costs exactly $87,072.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tokenfleet.api import gpu_node_pool

SECONDS_PER_HOUR = Decimal(3600)


def exact(value: float | int | Decimal) -> Decimal:
    """A number as the Decimal it reads as (0.1 -> Decimal('0.1'), not its binary expansion)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def gpu_hour_price(cost: gpu_node_pool.GPUCost, *, committed: bool) -> Decimal:
    """Price of one GPU-hour on a committed or an on-demand node."""
    if committed and cost.committed_per_gpu_hour is not None:
        return cost.committed_per_gpu_hour
    return cost.on_demand_per_gpu_hour


def gpu_seconds_cost(
    cost: gpu_node_pool.GPUCost,
    *,
    committed: float | Decimal = 0,
    on_demand: float | Decimal = 0,
) -> Decimal:
    """Cost of GPU-seconds on committed nodes and on on-demand nodes."""
    if exact(committed) < 0 or exact(on_demand) < 0:
        raise ValueError(f"GPU-seconds cannot be negative: {committed}, {on_demand}")
    return (
        exact(committed) * gpu_hour_price(cost, committed=True)
        + exact(on_demand) * gpu_hour_price(cost, committed=False)
    ) / SECONDS_PER_HOUR


def node_cost(
    cost: gpu_node_pool.GPUCost,
    gpus_per_node: int,
    nodes: float | Decimal,
    seconds: float | Decimal,
    *,
    committed: bool = False,
) -> Decimal:
    """Cost of `nodes` nodes, all committed or all on-demand, for `seconds`."""
    gpu_seconds = exact(nodes) * gpus_per_node * exact(seconds)
    if committed:
        return gpu_seconds_cost(cost, committed=gpu_seconds)
    return gpu_seconds_cost(cost, on_demand=gpu_seconds)


def node_hour_price(cost: gpu_node_pool.GPUCost, gpus_per_node: int, *, committed: bool) -> Decimal:
    """Price of one node for an hour ($16 for 8 H800 at $2)."""
    return gpu_hour_price(cost, committed=committed) * gpus_per_node


@dataclass(frozen=True)
class PoolCost:
    """A pool's cost over an interval, by how its nodes are paid."""

    committed: Decimal
    """The lease of every committed node, used or not."""
    on_demand: Decimal
    """Nodes above the commitment, while they existed."""

    @property
    def total(self) -> Decimal:
        return self.committed + self.on_demand


def pool_cost_breakdown(
    cost: gpu_node_pool.GPUCost,
    gpus_per_node: int,
    committed_nodes: int,
    nodes: float,
    seconds: float,
) -> PoolCost:
    """Committed and on-demand cost of a pool that held `nodes` on average for `seconds`."""
    if nodes < 0 or seconds < 0 or committed_nodes < 0 or gpus_per_node < 1:
        raise ValueError(
            f"need nodes, seconds, committed_nodes >= 0 and gpus_per_node >= 1: "
            f"{nodes}, {seconds}, {committed_nodes}, {gpus_per_node}"
        )
    above = max(exact(nodes) - committed_nodes, Decimal(0))
    return PoolCost(
        committed=node_cost(cost, gpus_per_node, committed_nodes, seconds, committed=True),
        on_demand=node_cost(cost, gpus_per_node, above, seconds),
    )


def pool_cost(
    cost: gpu_node_pool.GPUCost,
    gpus_per_node: int,
    committed_nodes: int,
    nodes: float,
    seconds: float,
) -> Decimal:
    """What a pool costs over `seconds` while holding `nodes` nodes on average.

    Committed nodes are paid whether used or not; nodes beyond them at the on-demand price.
    The on-demand part is exact only while the count stays on one side of the commitment: an
    average hides time spent above it, so price a varying pool interval by interval.
    """
    return pool_cost_breakdown(cost, gpus_per_node, committed_nodes, nodes, seconds).total


def pool_cost_of(spec: gpu_node_pool.GPUNodePoolSpec, nodes: float, seconds: float) -> Decimal:
    """`pool_cost` with the price, GPUs per node and commitment read from a GPUNodePool spec."""
    return pool_cost(spec.cost, spec.gpus_per_node, spec.committed_nodes, nodes, seconds)
