"""Fitting the roles' wishes into the nodes the pool can give.

When the pool cannot give every role what it wants, the planner does not stall: each role keeps
the units it already has (or fewer, if it wants fewer), and the nodes left are handed out one
unit at a time to the role furthest from its wish, so prefill and decode grow together instead
of one starving the other. The caller turns the shortfall into a NodesAvailable condition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tokenfleet.planner import config


@dataclasses.dataclass(frozen=True)
class Fit:
    """Units granted per role and, where short, how many units each did not get."""

    granted: Mapping[str, int]
    short: Mapping[str, int]
    budget: int

    @property
    def nodes_available(self) -> bool:
        return not self.short


def fit(
    wanted: Mapping[str, int],
    held: Mapping[str, int],
    roles: Mapping[str, config.RoleConfig],
    budget: int,
) -> Fit:
    """Grant `wanted` units per role within `budget` nodes; `held` is ready + starting units."""
    need = sum(wanted[name] * roles[name].nodes_per_unit for name in wanted)
    if need <= budget:
        return Fit(granted=dict(wanted), short={}, budget=budget)
    granted = {name: min(wanted[name], held.get(name, 0)) for name in wanted}
    free = budget - sum(granted[name] * roles[name].nodes_per_unit for name in granted)
    while True:
        hungry = [
            name
            for name in wanted
            if granted[name] < wanted[name] and roles[name].nodes_per_unit <= free
        ]
        if not hungry:
            break
        # The role whose wish is least met gets the next unit; ties go to the smaller unit.
        name = min(
            hungry,
            key=lambda n: (granted[n] / wanted[n], roles[n].nodes_per_unit, n),
        )
        granted[name] += 1
        free -= roles[name].nodes_per_unit
    short = {name: wanted[name] - granted[name] for name in wanted if granted[name] < wanted[name]}
    return Fit(granted=granted, short=short, budget=budget)
