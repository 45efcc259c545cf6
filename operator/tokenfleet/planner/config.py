"""What the planner needs from the custom resources, read once into plain frozen values.

The planner never looks at pydantic models in its hot loop: `from_resources` takes an
InferenceDeployment spec and its GPUNodePool spec and keeps the numbers that matter, so a
replay of a week calls nothing but arithmetic.
"""

from __future__ import annotations

import dataclasses
import math

from tokenfleet.api import gpu_node_pool, inference_deployment
from tokenfleet.planner import settings


@dataclasses.dataclass(frozen=True)
class RoleConfig:
    """One role: how big a unit is, what it serves and how long it takes to start."""

    name: str
    nodes_per_unit: int
    capacity_per_node: float
    target_utilization: float
    min_units: int
    max_units: int
    lead_seconds: float
    """Seconds from deciding to start a unit to it serving: the pool's provisioning delay plus
    the role's warm-up. Scale-up is decided this far ahead."""

    @property
    def unit_capacity(self) -> float:
        """Tokens per second one unit serves at 100%."""
        return self.nodes_per_unit * self.capacity_per_node

    def units_for(self, tokens_per_second: float) -> int:
        """Whole units whose capacity at 100% covers `tokens_per_second`."""
        if tokens_per_second <= 0:
            return 0
        # The small tolerance keeps an exact fit (e.g. 2.0000000001 units) from costing a unit.
        return max(0, math.ceil(tokens_per_second / self.unit_capacity - 1e-9))


@dataclasses.dataclass(frozen=True)
class PlannerConfig:
    """Everything `decide.plan` reads besides the observation and its own state."""

    pool: str
    max_nodes: int
    roles: tuple[RoleConfig, ...]
    autoscaling: inference_deployment.AutoscalingSpec
    tuning: settings.Tuning = settings.DEFAULT

    def role(self, name: str) -> RoleConfig:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(f"no role {name!r}; roles are {', '.join(r.name for r in self.roles)}")

    @property
    def forecasting(self) -> bool:
        return self.autoscaling.forecast.enabled


def from_resources(
    deployment: inference_deployment.InferenceDeploymentSpec,
    pool_name: str,
    pool: gpu_node_pool.GPUNodePoolSpec,
    *,
    tuning: settings.Tuning = settings.DEFAULT,
) -> PlannerConfig:
    """The planner's view of a deployment on its pool."""
    roles = tuple(
        RoleConfig(
            name=name,
            nodes_per_unit=spec.nodes_per_unit,
            capacity_per_node=spec.capacity_per_node,
            target_utilization=spec.target_utilization,
            min_units=spec.min_units,
            max_units=spec.max_units,
            lead_seconds=float(pool.provisioning_delay_seconds + spec.warmup_seconds),
        )
        for name, spec in deployment.roles.items()
    )
    return PlannerConfig(
        pool=pool_name,
        max_nodes=pool.max_nodes,
        roles=roles,
        autoscaling=deployment.autoscaling,
        tuning=tuning,
    )
