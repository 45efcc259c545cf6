"""What nodes and units that serve nothing cost: the money a better plan could save.

A pool's cost (see `cost`) is split over what its nodes did. Serving nodes take the committed
(leased) slots first, then nodes lent to training, then the idle ones; so an idle node is priced
as the node one would release, at the on-demand price once the commitment is used up. Leased
nodes the pool does not hold at all are idle too: their lease runs anyway.

Idle, by reason:
- unallocated: nodes that run no unit's pod (ready, draining or provisioning for no unit);
- warming: nodes of units still starting (boot, weight load, warm-up) that serve no token yet;
- blocked: nodes of units that cannot serve because members are missing (an expert-parallel
  unit with a hole serves nothing, so its partly filled nodes are idle);
- unused commitment: leased nodes the pool does not hold.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from decimal import Decimal

from tokenfleet.api import gpu_node_pool
from tokenfleet.economics import cost as cost_model


class IdleReason(enum.StrEnum):
    UNALLOCATED = "unallocated"
    WARMING = "warming"
    BLOCKED = "blocked"
    UNUSED_COMMITMENT = "unused_commitment"


@dataclass(frozen=True)
class NodeUse:
    """Nodes a pool held over an interval (averages), by what they did. The order of the fields
    is the order in which they take the committed slots."""

    serving: float | Decimal = 0
    lent: float | Decimal = 0
    warming: float | Decimal = 0
    blocked: float | Decimal = 0
    unallocated: float | Decimal = 0

    def __post_init__(self) -> None:
        if any(getattr(self, f.name) < 0 for f in fields(self)):
            raise ValueError(f"node counts cannot be negative: {self}")

    @property
    def held(self) -> Decimal:
        """Every node the pool held."""
        return sum((cost_model.exact(getattr(self, f.name)) for f in fields(self)), Decimal(0))


@dataclass(frozen=True)
class IdleCost:
    """Cost of idle nodes over an interval, by reason."""

    unallocated: Decimal = Decimal(0)
    warming: Decimal = Decimal(0)
    blocked: Decimal = Decimal(0)
    unused_commitment: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.unallocated + self.warming + self.blocked + self.unused_commitment

    def by_reason(self) -> dict[IdleReason, Decimal]:
        """For a metric labelled by reason: every reason, zero included."""
        return {reason: getattr(self, reason.value) for reason in IdleReason}


def attribute(
    cost: gpu_node_pool.GPUCost,
    gpus_per_node: int,
    committed_nodes: int,
    use: NodeUse,
    seconds: float,
) -> dict[str, Decimal]:
    """The pool's cost over `seconds` split by `NodeUse` field, plus `unused_commitment`.

    The parts add up to `cost.pool_cost(..., use.held, seconds)`.
    """
    free_slots = Decimal(committed_nodes)
    parts: dict[str, Decimal] = {}
    for field in fields(use):
        nodes = cost_model.exact(getattr(use, field.name))
        leased = min(nodes, free_slots)
        free_slots -= leased
        parts[field.name] = cost_model.node_cost(
            cost, gpus_per_node, leased, seconds, committed=True
        ) + cost_model.node_cost(cost, gpus_per_node, nodes - leased, seconds)
    parts["unused_commitment"] = cost_model.node_cost(
        cost, gpus_per_node, free_slots, seconds, committed=True
    )
    return parts


def idle_breakdown(
    cost: gpu_node_pool.GPUCost,
    gpus_per_node: int,
    committed_nodes: int,
    use: NodeUse,
    seconds: float,
) -> IdleCost:
    """Cost of the nodes that served nothing over `seconds`, by reason."""
    parts = attribute(cost, gpus_per_node, committed_nodes, use, seconds)
    return IdleCost(**{reason.value: parts[reason.value] for reason in IdleReason})


def idle_cost(
    cost: gpu_node_pool.GPUCost,
    gpus_per_node: int,
    committed_nodes: int,
    nodes: float,
    busy_nodes: float,
    seconds: float,
) -> Decimal:
    """Cost over `seconds` of a pool's nodes that serve nothing and of leases it does not use.

    `nodes` is what the pool holds, `busy_nodes` those serving a unit or lent to training.
    """
    if not 0 <= busy_nodes <= nodes:
        raise ValueError(f"busy nodes ({busy_nodes}) must be within 0..nodes ({nodes})")
    use = NodeUse(
        serving=busy_nodes, unallocated=cost_model.exact(nodes) - cost_model.exact(busy_nodes)
    )
    return idle_breakdown(cost, gpus_per_node, committed_nodes, use, seconds).total


def idle_cost_per_hour(
    spec: gpu_node_pool.GPUNodePoolSpec, nodes: float, busy_nodes: float
) -> Decimal:
    """`idle_cost` for an hour at the current counts, from a GPUNodePool spec (for its status)."""
    return idle_cost(spec.cost, spec.gpus_per_node, spec.committed_nodes, nodes, busy_nodes, 3600)


def unit_idle_cost(
    cost: gpu_node_pool.GPUCost, gpus_per_node: int, nodes_held: float, seconds: float
) -> Decimal:
    """What a unit that serves nothing (warming or blocked) costs while holding `nodes_held`
    nodes: the on-demand price, what releasing them would save."""
    return cost_model.node_cost(cost, gpus_per_node, nodes_held, seconds)
