"""The Kubernetes HorizontalPodAutoscaler, as upstream writes it, scaling whole units: the peer.

What KEDA drives and what most platform teams run first, so the planner is measured against
it. Per role, every `SYNC_SECONDS`:

1. The replica calculator (`replica_calculator.go`, `GetResourceReplicas`): the ready units'
   utilisation is the role's demand over their capacity; its ratio to the target is
   `usage_ratio`. Within `TOLERANCE` of 1 nothing changes. Units still starting count as 0%
   used when the ratio asks to scale up (so a scale-up already on its way is not asked for
   twice), and if that turns the direction around or lands within the tolerance, nothing
   changes. Else the recommendation is `ceil(ratio x units counted)`.
2. The behaviours (`horizontal.go`, defaults): a scale-down takes the largest recommendation
   of the last `SCALE_DOWN_STABILIZATION_SECONDS`; a scale-up is immediate but at most
   max(+`SCALE_UP_PODS`, +`SCALE_UP_PERCENT`%) per `SCALE_UP_PERIOD_SECONDS`; the result stays
   within minReplicas and maxReplicas (the role's minUnits and maxUnits).

Demand includes what queues, so utilisation may exceed 100% (a custom metric such as KV-cache
pressure or queue length does): that only lets the HPA scale up faster than a capped CPU
metric would, so the comparison favours it.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import math
from collections.abc import Mapping

from tokenfleet.planner import config
from tokenfleet.planner import state as planner_state

TOLERANCE = 0.1
SYNC_SECONDS = 60.0
SCALE_DOWN_STABILIZATION_SECONDS = 300.0
SCALE_UP_PODS = 4
SCALE_UP_PERCENT = 100
SCALE_UP_PERIOD_SECONDS = 15.0


def recommend(
    demand: float, ready: int, starting: int, unit_capacity: float, target: float
) -> int | None:
    """The replica calculator's recommendation for a role holding `ready + starting` units;
    None when it has nothing to go on (no unit ready to measure)."""
    current = ready + starting
    if ready == 0:
        return None
    usage_ratio = demand / (ready * unit_capacity) / target
    if not (starting > 0 and usage_ratio > 1.0):
        if abs(1.0 - usage_ratio) <= TOLERANCE:
            return current
        return math.ceil(usage_ratio * ready)
    # Units still starting count as used 0%.
    new_ratio = demand / (current * unit_capacity) / target
    if abs(1.0 - new_ratio) <= TOLERANCE or new_ratio < 1.0:
        return current
    return max(current, math.ceil(new_ratio * current))


@dataclasses.dataclass
class _Role:
    recommendations: collections.deque[tuple[float, int]] = dataclasses.field(
        default_factory=collections.deque
    )
    """(when, raw recommendation) over the stabilization window."""


class HPAPolicy:
    """One HPA per role at `target` utilisation (each role's own target when None); a
    `replay.Policy`."""

    def __init__(
        self, cfg: config.PlannerConfig, target: float | None = None, name: str | None = None
    ) -> None:
        if target is not None and not 0.0 < target <= 1.0:
            raise ValueError(f"an HPA target utilisation is in (0, 1]: {target}")
        self._cfg = cfg
        self.target = target
        self._name = name or ("reactive" if target is None else f"hpa@{target:.2f}")
        self._roles = {role.name: _Role() for role in cfg.roles}

    @property
    def name(self) -> str:
        return self._name

    @property
    def interval_seconds(self) -> float:
        return SYNC_SECONDS

    def decide(
        self, row: int, at: dt.datetime, roles: Mapping[str, planner_state.RoleObservation]
    ) -> Mapping[str, int]:
        now = at.timestamp()
        out: dict[str, int] = {}
        for role in self._cfg.roles:
            seen = roles.get(role.name) or planner_state.RoleObservation(demand=None)
            target = self.target or role.target_utilization
            current = seen.ready_units + seen.starting_units
            if current == 0:  # created: sized for what it sees, as a fresh HPA would settle
                demand = seen.demand or 0.0
                first = math.ceil(demand / (role.unit_capacity * target))
                out[role.name] = min(max(first, role.min_units), role.max_units)
                continue
            raw = None
            if seen.demand is not None:
                raw = recommend(
                    seen.demand,
                    seen.ready_units,
                    seen.starting_units,
                    role.unit_capacity,
                    target,
                )
            if raw is None:
                out[role.name] = current
                continue
            raw = min(max(raw, role.min_units), role.max_units)
            out[role.name] = self._behave(self._roles[role.name], role, now, raw, current)
        return out

    @staticmethod
    def _behave(memory: _Role, role: config.RoleConfig, now: float, raw: int, current: int) -> int:
        """Stabilise the recommendation, then limit the rate of a scale-up."""
        window = memory.recommendations
        window.append((now, raw))
        while window and window[0][0] <= now - SCALE_DOWN_STABILIZATION_SECONDS:
            window.popleft()
        down = max(r for _, r in window)
        wanted = min(max(current, raw), down)
        # With a sync period longer than the rate period, every step starts a new period.
        limit = max(current + SCALE_UP_PODS, current * (100 + SCALE_UP_PERCENT) // 100)
        wanted = min(wanted, limit, role.max_units)
        return max(wanted, role.min_units)
