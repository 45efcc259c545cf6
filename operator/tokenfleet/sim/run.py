"""One trace, one fleet, several policies: replay each and report them side by side.

The oracle is always replayed (it is cheap) so every policy's node-hours can be given as a
ratio to it. `timelines` are kept for plotting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from tokenfleet.planner import config
from tokenfleet.sim import fleet as fl
from tokenfleet.sim import policies, replay, report
from tokenfleet.sim import trace as tr

DEFAULT_START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
"""A Monday midnight UTC: timestamp 0 of a trace unless told otherwise."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Results and timelines, in the order the policies were asked for."""

    trace: tr.Trace
    cfg: config.PlannerConfig
    results: list[report.Result]
    timelines: dict[str, replay.Timeline]


def expand(names: list[str]) -> list[str]:
    """Policy names as given (`all` meaning every policy), in order, without repeats."""
    out: list[str] = []
    for name in names:
        for one in policies.NAMES if name == "all" else (name,):
            if one not in policies.NAMES:
                raise ValueError(
                    f"unknown policy {one!r}: choose from {', '.join(policies.NAMES)} or all"
                )
            if one not in out:
                out.append(one)
    return out


def simulate(
    trace: tr.Trace,
    fleet: fl.Fleet,
    names: list[str],
    *,
    start: dt.datetime = DEFAULT_START,
    progress: replay.Progress | None = None,
    signal: replay.Signal | None = None,
) -> Outcome:
    """Replay `trace` under each policy in `names` (seeing demand as `signal`; the oracle
    always sees the future) and report each."""
    cfg = config.from_resources(fleet.deployment, fleet.pool_name, fleet.pool)
    wanted = expand(names)
    order = ["oracle", *(n for n in wanted if n != "oracle")]
    rows = len(trace)
    timelines: dict[str, replay.Timeline] = {}
    for done, name in enumerate(order):

        def step(row: int, _: int, done: int = done) -> None:
            if progress is not None:
                progress(done * rows + row, len(order) * rows)

        policy = policies.build(name, trace, cfg, start)
        seen = None if name == "oracle" else signal
        timelines[name] = replay.replay(policy, trace, cfg, start, step, seen)
    money = report.earned(trace, fleet, start)
    oracle = report.summarise(timelines["oracle"], trace, fleet, cfg, money)
    results = [
        report.summarise(timelines[name], trace, fleet, cfg, money, oracle.node_hours)
        for name in wanted
    ]
    return Outcome(trace, cfg, results, {name: timelines[name] for name in wanted})
