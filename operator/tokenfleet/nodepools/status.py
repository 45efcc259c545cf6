"""A GPUNodePool's status from one reconcile: node counts, idle cost and conditions.

Pure. Conditions (metav1 shape, with observedGeneration):
- Ready: the pool holds at least the ready nodes it aims for and its provider answers;
- AtMaximum: the demand reaches maxNodes (or the lending set): the pool can give no more;
- Scaling: nodes are being asked for, provisioned, drained, lent or brought back, or a
  surplus is sitting out the scale-down delay.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.economics import idle
from tokenfleet.nodepools import errors, observe, sizing


def counts(view: observe.View) -> pool_api.NodeCounts:
    ready = [n for n in view.nodes if n.state is sizing.NodeState.READY]
    return pool_api.NodeCounts(
        ready=len(ready),
        allocated=sum(1 for n in ready if n.busy),
        provisioning=view.count(sizing.NodeState.PROVISIONING) + view.pending,
        draining=view.count(sizing.NodeState.DRAINING) + view.released,
        lent=view.count(sizing.NodeState.LENT),
    )


def held(c: pool_api.NodeCounts) -> int:
    """Every node the pool holds (and pays for), lent ones included."""
    return c.ready + c.provisioning + c.draining + c.lent


def node_use(c: pool_api.NodeCounts) -> idle.NodeUse:
    """What the pool's nodes are doing, for the cost model."""
    return idle.NodeUse(
        serving=c.allocated, lent=c.lent, unallocated=held(c) - c.allocated - c.lent
    )


def idle_cost_per_hour(spec: pool_api.GPUNodePoolSpec, c: pool_api.NodeCounts) -> Decimal:
    """Hourly cost of nodes that serve no unit and of leases the pool does not use."""
    return idle.idle_cost_per_hour(spec, held(c), c.allocated + c.lent)


def _condition(type_: str, ok: bool, reason: str, message: str, gen: int | None) -> dict[str, Any]:
    return {
        "type": type_,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message[:1024],
        "observedGeneration": gen,
    }


def conditions(
    plan: sizing.Plan | None,
    c: pool_api.NodeCounts,
    generation: int | None,
    failure: errors.ProviderError | None = None,
) -> list[dict[str, Any]]:
    """Ready, AtMaximum and Scaling for this reconcile (lastTransitionTime is the caller's)."""
    out = []
    if failure is not None:
        out.append(_condition("Ready", False, failure.reason, str(failure), generation))
    elif plan is not None:
        ok = c.ready >= plan.target
        reason = "NodesReady" if ok else "NodesProvisioning"
        message = f"{c.ready} of {plan.target} nodes ready, {c.provisioning} provisioning"
        out.append(_condition("Ready", ok, reason, message, generation))
    if plan is None:
        return out
    if plan.short:
        out.append(
            _condition(
                "AtMaximum",
                True,
                "DemandAboveMaximum",
                f"needs {plan.wanted} nodes, the pool holds at most {plan.cap}: {plan.short} short",
                generation,
            )
        )
    else:
        at = plan.at_maximum
        words = f"wants {plan.wanted} of at most {plan.cap} nodes"
        out.append(
            _condition("AtMaximum", at, "AtMaximum" if at else "BelowMaximum", words, generation)
        )
    waiting = plan.memory.surplus_since is not None  # a surplus sitting out the delay
    moving = plan.changed or plan.deferred or c.provisioning or c.draining or waiting
    if not moving:
        reason = "Stable"
    elif plan.drain or plan.cancel or ((c.draining or waiting) and not (plan.add or plan.reclaim)):
        reason = "ScalingDown"
    else:
        reason = "ScalingUp"
    out.append(_condition("Scaling", bool(moving), reason, plan.reason, generation))
    return out


def body(
    name: str,
    generation: int | None,
    plan: sizing.Plan | None,
    c: pool_api.NodeCounts,
    idle_per_hour: Decimal,
    merged_conditions: list[dict[str, Any]],
) -> dict[str, Any]:
    """The status subresource to apply."""
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "nodes": c.to_wire(),
        "idleCostPerHour": float(round(idle_per_hour, 2)),
        "conditions": merged_conditions,
    }
    if plan is not None:
        status["desiredNodes"] = plan.target
    return {
        "apiVersion": common.API_VERSION,
        "kind": "GPUNodePool",
        "metadata": {"name": name},
        "status": status,
    }
