"""The late-token account of a live run: pure.

A token is late when it arrives while its role's serving capacity (at 100%, counting only units
that are up) is below that role's demand; the late fraction is the excess over all tokens,
counted by the function `tokenfleet simulate` counts with (`sim.late`). The demo samples the
deployment's ready units every half second of real time and charges each span the trace's
tokens for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from tokenfleet.sim import late as late_mod
from tokenfleet.sim import trace as trace_mod


@dataclasses.dataclass
class LateTokens:
    """Tokens that arrived and tokens that arrived late, per role, over a live run."""

    trace: trace_mod.Trace
    unit_capacity: Mapping[str, float]
    """Tokens/s one ready unit of each role serves at 100%."""
    arrived: dict[str, float] = dataclasses.field(default_factory=dict)
    late: dict[str, float] = dataclasses.field(default_factory=dict)

    def pieces(self, role: str, t0: float, t1: float) -> tuple[trace_mod.Floats, trace_mod.Floats]:
        """The tokens of `role` arriving in each trace row's part of [t0, t1), and each
        part's seconds (rows are flat)."""
        starts, durations = self.trace.starts, self.trace.durations
        seconds = np.clip(np.minimum(starts + durations, t1) - np.maximum(starts, t0), 0.0, None)
        return self.trace.demand(role) * seconds, seconds

    def charge(self, t0: float, t1: float, ready_units: Mapping[str, int]) -> None:
        """Account the span [t0, t1) of the trace, during which `ready_units` served: each row's
        part of it is a span of constant demand and capacity (`sim.late`)."""
        if t1 <= t0:
            return
        for role, per_unit in self.unit_capacity.items():
            arrived, seconds = self.pieces(role, t0, t1)
            capacity = per_unit * ready_units.get(role, 0)
            late = late_mod.late_tokens(arrived, capacity, seconds)
            self.arrived[role] = self.arrived.get(role, 0.0) + float(arrived.sum())
            self.late[role] = self.late.get(role, 0.0) + float(late.sum())

    @property
    def fraction(self) -> float:
        arrived = sum(self.arrived.values())
        return sum(self.late.values()) / arrived if arrived else 0.0
