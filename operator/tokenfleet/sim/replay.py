"""Playing a policy's decisions through time: units start, wait out the lead time, serve.

One step per trace row. At each step whose turn it is (every `interval_seconds` of virtual
time) the policy sees what the operator would see — the demand of the row just past, the units
ready and starting — and says how many units each role should have. More units than the role
holds are started and serve only after the lead time (the pool's provisioning delay plus the
role's warm-up); fewer are removed at once, starting ones first. The pool's maxNodes bounds what
can be started. The fleet is warm at the start: the first decision is ready at row 0.

A row is served by the units ready when it begins. Paid nodes are those of ready and starting
units, because a node is paid from the moment it is asked for.

What the policy sees as demand is a `Signal`: by default the mean over the row just past, which
is what an operator reading its engines every scrape interval of a real cluster sees. A live loop
that reads older or longer-averaged demand (`make demo` on a fast clock: a rate window of a few
real seconds is many clock minutes) is replayed with the same window and delay, so the two
answer the same question.
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


@dataclasses.dataclass(frozen=True)
class Signal:
    """How old and how averaged the demand a policy sees is, in seconds of trace time."""

    window_seconds: float | None = None
    """Demand is averaged over this span; None = the row just past."""
    delay_seconds: float = 0.0
    """...ending this long before the decision (a scrape's age)."""

    def __post_init__(self) -> None:
        if self.window_seconds is not None and self.window_seconds <= 0:
            raise ValueError(f"a signal window must be longer than zero: {self.window_seconds}")
        if self.delay_seconds < 0:
            raise ValueError(f"a signal delay cannot be negative: {self.delay_seconds}")

    def seen(self, starts: tr.Floats, rates: tr.Floats, row: int) -> float:
        """The demand seen at the start of `row`: its window's mean rate. Before the trace the
        first row's rate holds (the fleet starts warm)."""
        if self.window_seconds is None and self.delay_seconds == 0:
            return float(rates[max(0, row - 1)])
        end = float(starts[row]) - self.delay_seconds
        width = self.window_seconds or (
            float(starts[row] - starts[row - 1]) if row > 0 else float(starts[1] - starts[0])
        )
        begin = end - width
        total = 0.0
        if begin < 0:
            total += float(rates[0]) * (min(end, 0.0) - begin)
            begin = 0.0
        first = max(0, int(np.searchsorted(starts, begin, side="right")) - 1)
        for i in range(first, len(starts)):
            lo = float(starts[i])
            if lo >= end:
                break
            hi = float(starts[i + 1]) if i + 1 < len(starts) else end
            total += float(rates[i]) * (min(hi, end) - max(lo, begin))
        return total / width


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
    signal: Signal | None = None,
) -> Timeline:
    """Replay `trace` from wall-clock `start` under `policy`, which sees demand as `signal`."""
    seen_by = signal or Signal()
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
            observed = {
                name: planner_state.RoleObservation(
                    demand=seen_by.seen(trace.starts, demand[name], row),
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
