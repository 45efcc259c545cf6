"""The planner's inputs and its memory: plain frozen values, so a decision can be replayed.

`Observation` is what the operator's timer (or the simulator) hands in at each run: the instant,
per role the demand it measured (None when the signal is missing) and the units ready and still
starting. `PlannerState` is what the planner learned so far; `decide.plan` returns a new one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from tokenfleet.planner import history, margin, stabilize


@dataclasses.dataclass(frozen=True)
class RoleObservation:
    """One role at one instant."""

    demand: float | None
    """Tokens per second arriving: input tokens for prefill, output tokens otherwise. None when
    the signal could not be read; never a guessed 0."""
    ready_units: int = 0
    """Units whose every pod serves."""
    starting_units: int = 0
    """Units asked for and not serving yet: capacity on its way."""

    def __post_init__(self) -> None:
        if self.ready_units < 0 or self.starting_units < 0:
            raise ValueError(f"unit counts cannot be negative: {self}")

    @property
    def units(self) -> int:
        return self.ready_units + self.starting_units


@dataclasses.dataclass(frozen=True)
class Observation:
    """Everything the planner is told at one run."""

    at: dt.datetime
    roles: Mapping[str, RoleObservation]
    node_budget: int | None = None
    """Nodes this deployment may hold in all (the pool's maxNodes less what other deployments
    hold, or less when the provider reports it cannot add nodes); maxNodes when None."""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"observation instant must be timezone-aware, got {self.at}")


@dataclasses.dataclass(frozen=True)
class RoleMemory:
    """What the planner remembers of one role."""

    samples: tuple[history.Sample, ...] = ()
    forecasts: tuple[history.Sample, ...] = ()
    """(when made, baseline expected one lead time later), to measure surprises."""
    surprises: margin.Surprises = dataclasses.field(default_factory=margin.Surprises)
    profile: history.Profile = dataclasses.field(default_factory=history.Profile)
    recommendations: tuple[stabilize.Recommendation, ...] = ()
    """Units demand now asks for at the target utilisation, for the stabilization windows."""
    planned: tuple[stabilize.Recommendation, ...] = ()
    """Units forecast and margin ask for, for the scale-up stabilization window."""
    stable_demand: int | None = None
    """The last stabilized units demand now asks for."""
    stable: int | None = None
    """The last units sizing asked for, before minimums and the pool."""
    desired: int | None = None
    """The last decision."""


@dataclasses.dataclass(frozen=True)
class PlannerState:
    """Per role memory; empty at start-up."""

    roles: Mapping[str, RoleMemory] = dataclasses.field(default_factory=dict)

    def role(self, name: str) -> RoleMemory:
        return self.roles.get(name) or RoleMemory()
