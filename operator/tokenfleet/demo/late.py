"""The late-token account of a live run: pure.

A token is late when it arrives while its role's serving capacity (at 100%, counting only units
that are up) is below that role's demand; the late fraction is the excess over all tokens, the
same definition `tokenfleet simulate` uses. The demo samples the deployment's ready units every
half second of real time and charges each span the trace's tokens for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tokenfleet.sim import trace as trace_mod


@dataclasses.dataclass
class LateTokens:
    """Tokens that arrived and tokens that arrived late, per role, over a live run."""

    trace: trace_mod.Trace
    unit_capacity: Mapping[str, float]
    """Tokens/s one ready unit of each role serves at 100%."""
    arrived: dict[str, float] = dataclasses.field(default_factory=dict)
    late: dict[str, float] = dataclasses.field(default_factory=dict)

    def tokens_between(self, role: str, t0: float, t1: float) -> float:
        """Tokens of `role` that arrive between trace seconds t0 and t1 (rows are flat)."""
        total = 0.0
        rates = self.trace.demand(role)
        for start, duration, rate in zip(
            self.trace.starts, self.trace.durations, rates, strict=True
        ):
            end = start + duration
            if end <= t0:
                continue
            if start >= t1:
                break
            total += float(rate) * (min(end, t1) - max(start, t0))
        return total

    def charge(self, t0: float, t1: float, ready_units: Mapping[str, int]) -> None:
        """Account the span [t0, t1) of the trace, during which `ready_units` served."""
        if t1 <= t0:
            return
        for role, per_unit in self.unit_capacity.items():
            tokens = self.tokens_between(role, t0, t1)
            capacity = per_unit * ready_units.get(role, 0) * (t1 - t0)
            self.arrived[role] = self.arrived.get(role, 0.0) + tokens
            self.late[role] = self.late.get(role, 0.0) + max(0.0, tokens - capacity)

    @property
    def fraction(self) -> float:
        arrived = sum(self.arrived.values())
        return sum(self.late.values()) / arrived if arrived else 0.0
