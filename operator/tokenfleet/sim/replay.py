"""Playing a policy's decisions through time: units start, wait out the lead time, serve.

One step per trace row. At each step whose turn it is (every `interval_seconds` of virtual
time) the policy sees what the operator would see — the demand of the row just past, the units
ready and starting — and says how many units each role should have. More units than the role
holds are started and serve only after the lead time (the pool's provisioning delay plus the
role's warm-up); fewer are removed at once, starting ones first. The pool's maxNodes bounds what
can be started. The fleet is warm at the start: the first decision is ready at row 0.

A row is served by the units ready when it begins. Paid nodes are those of ready and starting
units, because a node is paid from the moment it is asked for.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np

from tokenfleet.planner import config
from tokenfleet.planner import state as planner_state
from tokenfleet.sim import trace as tr

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) now and then during a replay."""


class Policy(Protocol):
    """Decides units per role; `interval_seconds` of virtual time apart (0: every row)."""

    @property
    def name(self) -> str: ...

    @property
    def interval_seconds(self) -> float: ...

    def decide(
        self, row: int, at: dt.datetime, roles: Mapping[str, planner_state.RoleObservation]
    ) -> Mapping[str, int]: ...


@dataclasses.dataclass(frozen=True, eq=False)
class Timeline:
    """Per row: units ready and starting per role, and the nodes paid for."""

    policy: str
    ready: dict[str, tr.Ints]
    starting: dict[str, tr.Ints]
    nodes: tr.Ints
    decisions: int


def replay(
    policy: Policy,
    trace: tr.Trace,
    cfg: config.PlannerConfig,
    start: dt.datetime,
    progress: Progress | None = None,
) -> Timeline:
    """Replay `trace` from wall-clock `start` under `policy`."""
    rows = len(trace)
    names = [role.name for role in cfg.roles]
    roles = {role.name: role for role in cfg.roles}
    demand = {name: trace.demand(name) for name in names}
    ready = {name: 0 for name in names}
    pending: dict[str, collections.deque[float]] = {name: collections.deque() for name in names}
    ready_out = {name: np.zeros(rows, dtype=np.int64) for name in names}
    starting_out = {name: np.zeros(rows, dtype=np.int64) for name in names}
    nodes_out = np.zeros(rows, dtype=np.int64)
    next_turn = float("-inf")
    decisions = 0
    every = max(1, rows // 200)
    for row in range(rows):
        now = float(trace.starts[row])
        for name in names:
            queue = pending[name]
            while queue and queue[0] <= now:
                queue.popleft()
                ready[name] += 1
        if now >= next_turn:
            next_turn = now + policy.interval_seconds
            decisions += 1
            seen_row = max(0, row - 1)
            observed = {
                name: planner_state.RoleObservation(
                    demand=float(demand[name][seen_row]),
                    ready_units=ready[name],
                    starting_units=len(pending[name]),
                )
                for name in names
            }
            wanted = policy.decide(row, start + dt.timedelta(seconds=now), observed)
            if row == 0:
                for name in names:
                    ready[name] = wanted[name]
            else:
                _apply(wanted, ready, pending, roles, cfg.max_nodes, now)
        total = 0
        for name in names:
            ready_out[name][row] = ready[name]
            starting_out[name][row] = len(pending[name])
            total += (ready[name] + len(pending[name])) * roles[name].nodes_per_unit
        nodes_out[row] = total
        if progress is not None and (row % every == 0 or row == rows - 1):
            progress(row + 1, rows)
    return Timeline(policy.name, ready_out, starting_out, nodes_out, decisions)


def _apply(
    wanted: Mapping[str, int],
    ready: dict[str, int],
    pending: dict[str, collections.deque[float]],
    roles: Mapping[str, config.RoleConfig],
    max_nodes: int,
    now: float,
) -> None:
    """Start or remove units so each role holds `wanted`, within the pool's maxNodes."""
    # Removals first: they free nodes the other roles may start on in the same step.
    for name, units in wanted.items():
        excess = ready[name] + len(pending[name]) - units
        while excess > 0 and pending[name]:
            pending[name].pop()
            excess -= 1
        if excess > 0:
            ready[name] -= excess
    held = sum((ready[n] + len(pending[n])) * roles[n].nodes_per_unit for n in ready)
    for name, units in wanted.items():
        role = roles[name]
        more = units - ready[name] - len(pending[name])
        fits = max(0, (max_nodes - held) // role.nodes_per_unit)
        for _ in range(min(more, fits)):
            pending[name].append(now + role.lead_seconds)
            held += role.nodes_per_unit
