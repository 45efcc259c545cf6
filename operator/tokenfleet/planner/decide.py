"""`plan`: one planner run. Pure: the same config, state and observation give the same result.

Per role: learn from the demand just measured, size for a lead time ahead (`forecast`), round up
to whole units, apply hysteresis and stabilization (`sized`), then the role's bounds and the
schedule's minimum (now, and a lead time ahead so scheduled units are ready on time). Then all
roles are fit into the pool's node budget together. A role whose signal is missing or absurd
holds its last decision while the others go on being planned.

Units still starting count as capacity on its way: the result is the total a role should have,
ready and starting together, so a slow cold start never orders a second unit for the same demand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from tokenfleet import clock as clocks
from tokenfleet.api import common, inference_deployment
from tokenfleet.planner import config, forecast, history, pool, reasons, schedule, stabilize
from tokenfleet.planner import state as st


@dataclasses.dataclass(frozen=True)
class RoleDecision:
    """What one role should have, and why."""

    role: str
    units: int
    """Total units, ready and starting together."""
    nodes: int
    observed: st.RoleObservation
    reason: str
    outlook: forecast.Outlook | None = None
    """The sizing behind the decision; None when the role held for want of a signal."""

    @property
    def start(self) -> int:
        """Units to start now."""
        return max(0, self.units - self.observed.units)

    @property
    def remove(self) -> int:
        """Units to remove now (starting ones first)."""
        return max(0, self.observed.units - self.units)


@dataclasses.dataclass(frozen=True)
class Decision:
    """The planner's answer for one run."""

    at: dt.datetime
    roles: dict[str, RoleDecision]
    conditions: tuple[common.Condition, ...]

    @property
    def units(self) -> dict[str, int]:
        return {name: role.units for name, role in self.roles.items()}

    @property
    def reason(self) -> str:
        return "; ".join(role.reason for role in self.roles.values())

    def to_status(self) -> inference_deployment.Decision:
        """The decision as status.lastDecision shows it."""
        return inference_deployment.Decision(
            time=clocks.rfc3339(self.at),
            units=self.units,
            reason=self.reason,
        )


def usable(demand: float | None, role: config.RoleConfig, factor: float) -> bool:
    """Whether a demand reading can be planned on: present, finite, non-negative, not absurd."""
    if demand is None or not math.isfinite(demand) or demand < 0:
        return False
    return demand <= factor * role.max_units * role.unit_capacity


def learn(
    cfg: config.PlannerConfig,
    role: config.RoleConfig,
    memory: st.RoleMemory,
    t: float,
    level: float,
) -> st.RoleMemory:
    """`memory` after seeing `level` tokens/s at `t`: samples, daily profile and surprises."""
    tuning = cfg.tuning
    surprises = memory.surprises
    ratio = forecast.surprise_ratio(
        memory.forecasts, t, role.lead_seconds, level, tuning.max_surprise
    )
    if ratio is not None:
        # A ratio stands for the time since the last reading, at most one interval, so a
        # reading after a gap does not count for the whole gap.
        every = float(cfg.autoscaling.interval_seconds)
        since = t - memory.samples[-1][0] if memory.samples else every
        surprises = surprises.add(t, ratio, min(since, every), tuning.surprise_window_seconds)
    keep = max(tuning.baseline_window_seconds, tuning.trend_window_seconds)
    return dataclasses.replace(
        memory,
        samples=history.recent(memory.samples, t, level, keep),
        profile=memory.profile.add(t, level, cfg.autoscaling.forecast.lookback_days),
        surprises=surprises,
    )


def bars(cfg: config.PlannerConfig, observation: st.Observation) -> dict[str, float]:
    """Per role, the share of its capacity a margin unit must expect to be used.

    `Tuning.margin_use` is the bar for a node serving the fleet's average tokens per node (all
    demand now over the nodes it needs at 100%); a role whose nodes serve more tokens keeps
    more from being late per node, so its bar is lower in proportion, and the other way round.
    With one role, or no demand to weigh by, the bar is `margin_use` itself.
    """
    served = nodes = 0.0
    for role in cfg.roles:
        seen = observation.roles.get(role.name)
        demand = None if seen is None else seen.demand
        if demand is not None and demand > 0 and usable(demand, role, cfg.tuning.absurd_factor):
            served += demand
            nodes += demand / role.capacity_per_node
    per_node = served / nodes if nodes > 0 else None
    return {
        role.name: cfg.tuning.margin_use
        * (1.0 if per_node is None else per_node / role.capacity_per_node)
        for role in cfg.roles
    }


def sized(
    cfg: config.PlannerConfig,
    role: config.RoleConfig,
    memory: st.RoleMemory,
    out: forecast.Outlook,
    t: float,
) -> tuple[int, int, st.RoleMemory]:
    """(units, units before stabilization, memory) for `out`.

    Demand now at the target utilisation is stabilized as the HPA does: it must stay high
    through the scale-up window to add a unit and low through the scale-down window to remove
    one. What the forecast and the margin ask for on top is about the lead time ahead and
    already remembers recent bursts, so it waits out the scale-up window only: holding it
    through the scale-down window too would keep a margin after its own window has calmed.
    Both go through the hysteresis, so demand or a forecast hovering at a unit boundary does
    not flap a multi-node unit.
    """
    auto, spare = cfg.autoscaling, 1 + cfg.tuning.hysteresis
    at_target = out.level / role.target_utilization
    now = stabilize.with_hysteresis(
        role.units_for(at_target), role.units_for(at_target * spare), memory.stable_demand
    )
    ahead = stabilize.with_hysteresis(
        max(role.units_for(out.firm), out.margin_units),
        max(role.units_for(out.firm * spare), out.margin_units),
        memory.stable,
    )
    held, recommendations = stabilize.stabilize(
        memory.recommendations,
        t,
        now,
        memory.stable_demand,
        auto.scale_up_stabilization_seconds,
        auto.scale_down_stabilization_seconds,
    )
    planned, plans = stabilize.stabilize(
        memory.planned, t, ahead, memory.stable, auto.scale_up_stabilization_seconds, 0
    )
    units = max(held, planned)
    memory = dataclasses.replace(
        memory,
        recommendations=recommendations,
        planned=plans,
        stable_demand=held,
        stable=units,
        forecasts=forecast.keep_forecasts(memory.forecasts, t, out.expected, role.lead_seconds),
    )
    return units, max(now, ahead), memory


def seed(
    cfg: config.PlannerConfig, samples: dict[str, list[tuple[dt.datetime, float]]]
) -> st.PlannerState:
    """A state that has seen `samples` (per role, in time order): for a restart, from history.
    Readings `plan` would not use (negative, absurd) are skipped as it skips them."""
    memories = {}
    for role in cfg.roles:
        memory = st.RoleMemory()
        for at, level in samples.get(role.name, []):
            if usable(level, role, cfg.tuning.absurd_factor):
                memory = learn(cfg, role, memory, at.timestamp(), level)
        memories[role.name] = memory
    return st.PlannerState(roles=memories)


def _floor(cfg: config.PlannerConfig, role: config.RoleConfig, at: dt.datetime) -> tuple[int, str]:
    """The lowest the role may go now: minUnits, or the schedule now or a lead time ahead."""
    floor, why = role.min_units, "minUnits"
    sched = cfg.autoscaling.schedule
    for when in (at, at + dt.timedelta(seconds=role.lead_seconds)):
        for entry in schedule.open_entries(sched, when):
            units = entry.min_units.get(role.name, 0)
            if units > floor:
                floor, why = units, f"schedule {schedule.describe(entry)}"
    return floor, why


def plan(
    cfg: config.PlannerConfig, state: st.PlannerState, observation: st.Observation
) -> tuple[Decision, st.PlannerState]:
    """Desired units per role for `observation`, and the state to pass to the next run."""
    t = observation.at.timestamp()
    auto = cfg.autoscaling
    roles = {role.name: role for role in cfg.roles}
    wanted: dict[str, int] = {}
    notes: dict[str, reasons.Notes] = {}
    memories: dict[str, st.RoleMemory] = {}
    missing: list[str] = []
    bar = bars(cfg, observation)
    for role in cfg.roles:
        seen = observation.roles.get(role.name) or st.RoleObservation(demand=None)
        memory = state.role(role.name)
        floor, floor_why = _floor(cfg, role, observation.at)
        note = reasons.Notes(role=role, observed=seen, floor=floor, floor_why=floor_why)
        if not auto.enabled:
            units = role.min_units
            note = dataclasses.replace(note, disabled=True)
        elif not usable(seen.demand, role, cfg.tuning.absurd_factor):
            missing.append(role.name)
            units = memory.desired if memory.desired is not None else seen.units
            note = dataclasses.replace(note, held_for=seen.demand, held=units)
        else:
            assert seen.demand is not None
            memory = learn(cfg, role, memory, t, seen.demand)
            out = forecast.outlook(
                role,
                auto.forecast,
                memory,
                t=t,
                level=seen.demand,
                tuning=cfg.tuning,
                bar=bar[role.name],
                late_budget=auto.slo.late_token_budget,
            )
            units, raw, memory = sized(cfg, role, memory, out, t)
            note = dataclasses.replace(note, outlook=out, raw=raw, stable=units)
        wanted[role.name] = min(max(units, floor), role.max_units)
        notes[role.name] = note
        memories[role.name] = memory
    budget = cfg.max_nodes if observation.node_budget is None else observation.node_budget
    held = {name: note.observed.units for name, note in notes.items()}
    fitted = pool.fit(wanted, held, roles, budget)
    decisions = {}
    for name, note in notes.items():
        units = fitted.granted[name]
        decisions[name] = RoleDecision(
            role=name,
            units=units,
            nodes=units * roles[name].nodes_per_unit,
            observed=note.observed,
            reason=reasons.explain(note, wanted[name], units, memories[name].desired, auto),
            outlook=note.outlook,
        )
        memories[name] = dataclasses.replace(memories[name], desired=units)
    conditions = reasons.conditions(cfg, fitted, missing, observation.at)
    decision = Decision(at=observation.at, roles=decisions, conditions=conditions)
    return decision, st.PlannerState(roles=memories)
