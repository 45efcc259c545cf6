"""The policies a trace is replayed under: ours, the oracle and three baselines.

- `tokenfleet`: the operator's planner with the deployment's own settings, called every
  autoscaling interval of virtual time exactly as the operator's timer calls it.
- `reactive`: the Kubernetes HPA (what KEDA drives) at each role's target utilisation, as
  upstream's replica calculator and default behaviours work (`hpa`): utilisation only, always
  a lead time late. `make bench` also sweeps its target to draw its cost/late-token curve.
- `static`: every role sized for the trace's peak, all day.
- `schedule`: fixed sizes by time of day: DeepSeek's published day/night curve scaled to each
  role's peak, never below the deployment's schedule minimums, started a lead time ahead.
- `oracle`: perfect foresight. Each row gets whole units at the target utilisation, never below
  the deployment's minimums (minUnits and the schedule, which bind every policy alike), each
  unit started a lead time before the first row that needs it and kept through gaps shorter
  than a lead time (restarting would cost more). Nothing that keeps those minimums uses fewer
  node-hours without late tokens.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import math
from collections.abc import Mapping

import numpy as np

from tokenfleet.planner import config, decide, schedule
from tokenfleet.planner import state as planner_state
from tokenfleet.sim import deepseek, hpa, replay
from tokenfleet.sim import trace as tr

NAMES = ("tokenfleet", "oracle", "static", "reactive", "schedule")


class PlannerPolicy:
    """The pure planner driven in virtual time; keeps the state it hands back."""

    def __init__(self, name: str, cfg: config.PlannerConfig) -> None:
        self._name = name
        self._cfg = cfg
        self._state = planner_state.PlannerState()
        self.log: list[decide.Decision] = []
        """Every decision that changed a role's units."""

    @property
    def name(self) -> str:
        return self._name

    @property
    def interval_seconds(self) -> float:
        return float(self._cfg.autoscaling.interval_seconds)

    def decide(
        self, row: int, at: dt.datetime, roles: Mapping[str, planner_state.RoleObservation]
    ) -> Mapping[str, int]:
        observation = planner_state.Observation(at=at, roles=roles)
        decision, self._state = decide.plan(self._cfg, self._state, observation)
        if any(r.units != r.observed.units for r in decision.roles.values()):
            self.log.append(decision)
        return decision.units


@dataclasses.dataclass(frozen=True)
class FixedPolicy:
    """Units per role per row, worked out before the replay."""

    name: str
    units: Mapping[str, tr.Ints]
    interval_seconds: float = 0.0

    def decide(
        self, row: int, at: dt.datetime, roles: Mapping[str, planner_state.RoleObservation]
    ) -> Mapping[str, int]:
        return {name: int(units[row]) for name, units in self.units.items()}


def needed(trace: tr.Trace, role: config.RoleConfig, floor: tr.Ints | None = None) -> tr.Ints:
    """Whole units per row at the role's target utilisation, within its bounds and `floor`."""
    units = np.ceil(trace.demand(role.name) / (role.unit_capacity * role.target_utilization) - 1e-9)
    if floor is not None:
        units = np.maximum(units, floor)
    return np.clip(units, role.min_units, role.max_units).astype(np.int64)


def floors(trace: tr.Trace, cfg: config.PlannerConfig, start: dt.datetime) -> dict[str, tr.Ints]:
    """Per role and row, the deployment's schedule minimum (0 outside every window)."""
    entries = cfg.autoscaling.schedule
    out = {role.name: np.zeros(len(trace), dtype=np.int64) for role in cfg.roles}
    if not entries.entries:
        return out
    memo: dict[int, Mapping[str, int]] = {}
    for row, seconds in enumerate(trace.starts.tolist()):
        minute = int(seconds // 60)
        if minute not in memo:
            memo[minute] = schedule.minimum_units(entries, start + dt.timedelta(minutes=minute))
        for name, units in memo[minute].items():
            if name in out:
                out[name][row] = units
    return out


def ahead(trace: tr.Trace, units: tr.Ints, lead: float) -> tr.Ints:
    """Per row, the most units any row until a lead time later needs (sliding maximum)."""
    ends = np.searchsorted(trace.starts, trace.starts + lead, side="left")
    out = np.empty_like(units)
    window: collections.deque[int] = collections.deque()
    added = 0
    for row in range(len(units)):
        last = min(int(ends[row]), len(units) - 1)
        while added <= last:
            while window and units[window[-1]] <= units[added]:
                window.pop()
            window.append(added)
            added += 1
        while window[0] < row:
            window.popleft()
        out[row] = units[window[0]]
    return out


def oracle(trace: tr.Trace, cfg: config.PlannerConfig, start: dt.datetime) -> FixedPolicy:
    """Perfect foresight within the deployment's bounds and schedule minimums."""
    floor = floors(trace, cfg, start)
    return FixedPolicy(
        "oracle",
        {r.name: ahead(trace, needed(trace, r, floor[r.name]), r.lead_seconds) for r in cfg.roles},
    )


def static(trace: tr.Trace, cfg: config.PlannerConfig) -> FixedPolicy:
    return FixedPolicy(
        "static", {r.name: np.full(len(trace), needed(trace, r).max()) for r in cfg.roles}
    )


def _curve(role: config.RoleConfig, peak: int, when: dt.datetime) -> int:
    units = math.ceil(deepseek.share_at(when) * peak - 1e-9)
    return min(max(units, role.min_units), role.max_units)


def by_schedule(trace: tr.Trace, cfg: config.PlannerConfig, start: dt.datetime) -> FixedPolicy:
    """DeepSeek's day/night curve scaled to each role's peak, never below the deployment's
    schedule minimums, each step started a lead time ahead."""
    floor = floors(trace, cfg, start)
    units = {}
    for role in cfg.roles:
        peak = int(needed(trace, role).max())
        by_time = np.array(
            [_curve(role, peak, start + dt.timedelta(seconds=s)) for s in trace.starts.tolist()],
            dtype=np.int64,
        )
        units[role.name] = ahead(trace, np.maximum(by_time, floor[role.name]), role.lead_seconds)
    return FixedPolicy("schedule", units)


def build(
    name: str, trace: tr.Trace, cfg: config.PlannerConfig, start: dt.datetime
) -> replay.Policy:
    """The policy called `name` (one of NAMES) for this trace and fleet."""
    if name == "tokenfleet":
        return PlannerPolicy(name, cfg)
    if name == "reactive":
        return hpa.HPAPolicy(cfg)
    if name == "oracle":
        return oracle(trace, cfg, start)
    if name == "static":
        return static(trace, cfg)
    if name == "schedule":
        return by_schedule(trace, cfg, start)
    raise ValueError(f"unknown policy {name!r}: choose from {', '.join(NAMES)} or all")
