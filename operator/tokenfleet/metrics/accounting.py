"""One reconcile's worth of bookkeeping for a deployment, posted to the exporter in one call.

What a deployment's units hold and serve is read from the spec the same way everywhere (the
operator's controllers, the integration tests, `tokenfleet report` replaying a simulation):
each unit holds `nodesPerUnit` nodes from the moment it is asked for, ready or not; ready units
serve `nodesPerUnit x capacityPerNode` tokens per second at 100%; tokens are priced under the
deployment's plan. Only what was observed is passed in: tokens served per role since the last
call, and units per role now.

This is the one bookkeeping path: the operator's autoscaling loop (`controllers.accounting`,
which turns status and counter rounds into these arguments), `tokenfleet report` and the tests
all post through `post`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from tokenfleet.api import gpu_node_pool, inference_deployment, pricing_plan
from tokenfleet.economics import idle, tokens
from tokenfleet.metrics import exporter


@dataclasses.dataclass(frozen=True)
class Units:
    """One role's units now."""

    desired: int
    ready: int
    starting: int = 0
    degraded: int = 0
    """Units with a member missing: they hold nodes and serve nothing."""

    @property
    def held(self) -> int:
        return self.ready + self.starting + self.degraded


@dataclasses.dataclass(frozen=True)
class Deployment:
    """The objects a deployment's bookkeeping reads."""

    namespace: str
    name: str
    spec: inference_deployment.InferenceDeploymentSpec
    pool_name: str
    pool: gpu_node_pool.GPUNodePoolSpec
    plan_name: str | None = None
    plan: pricing_plan.PricingPlanSpec | None = None

    @property
    def model(self) -> str:
        """The name prices and metrics know the model by: the served name, else the model."""
        return self.spec.model.served_name or self.spec.model.name


def post(
    fleet: exporter.FleetLedger,
    deployment: Deployment,
    served: Mapping[str, tokens.TokenCounts],
    units: Mapping[str, Units],
    since: dt.datetime,
    at: dt.datetime,
    *,
    committed: Mapping[str, float] | None = None,
    served_since: Mapping[str, dt.datetime] | None = None,
) -> None:
    """Post tokens served in [since, at), the nodes the units held over it, and units now.

    `committed` gives, per role, how many of its nodes sit on the pool's leased slots.
    `served_since` gives, per role, when its tokens were last read, where that is before
    `since`: a step that could not read the counters books nothing, and the next reading's
    tokens are priced over the whole time they were served in (price windows split by time).
    """
    seconds = (at - since).total_seconds()
    if seconds < 0:
        raise ValueError(f"an interval must end after it starts: {since} .. {at}")
    ns, name = deployment.namespace, deployment.name
    for role, spec in deployment.spec.roles.items():
        counts = served.get(role)
        if counts is not None:
            fleet.observe_tokens(
                ns,
                name,
                deployment.model,
                role,
                counts,
                at,
                since=min(since, (served_since or {}).get(role, since)),
                plan=deployment.plan,
                plan_name=deployment.plan_name,
            )
        now = units.get(role)
        if now is None:
            continue
        nodes = now.held * spec.nodes_per_unit
        fleet.observe_nodes(
            ns,
            name,
            role,
            deployment.pool_name,
            deployment.pool,
            nodes,
            seconds,
            at,
            committed=min(float(nodes), (committed or {}).get(role, 0.0)),
        )
        fleet.set_units(
            ns,
            name,
            role,
            desired=now.desired,
            ready=now.ready,
            starting=now.starting,
            degraded=now.degraded,
            capacity=now.ready * spec.nodes_per_unit * spec.capacity_per_node,
        )


def node_use(
    deployment: inference_deployment.InferenceDeploymentSpec,
    units: Mapping[str, Units],
    pool_nodes: float | None = None,
) -> idle.NodeUse:
    """What a pool's nodes did for one deployment: ready units serve, starting ones warm,
    degraded ones are blocked; nodes beyond those (`pool_nodes`) are unallocated."""
    per_unit: dict[str, int] = {role: s.nodes_per_unit for role, s in deployment.roles.items()}

    def nodes(pick: str) -> int:
        return sum(getattr(u, pick) * per_unit.get(role, 0) for role, u in units.items())

    serving, warming, blocked = nodes("ready"), nodes("starting"), nodes("degraded")
    held = serving + warming + blocked
    spare = 0.0 if pool_nodes is None else max(0.0, pool_nodes - held)
    return idle.NodeUse(serving=serving, warming=warming, blocked=blocked, unallocated=spare)
