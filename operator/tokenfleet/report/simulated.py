"""A report from a simulation: the trace replayed under a policy, posted to the exporter's books.

The simulator (`sim`) decides units row by row; each row is then posted to a `FleetLedger` on a
fake clock exactly as the operator posts a reconcile (`metrics.accounting`): the row's tokens
(input to the prefilling role, output to the decoding one), the nodes its ready and starting
units held, the pool's nodes and what they did, the prices in force, and the planner's
decisions that changed units. Samples of every metric are taken along the way, and the panels
are computed from them (`frames`), so the pictures show what the live dashboards would have
shown had the operator run this day.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from decimal import Decimal

from prometheus_client import CollectorRegistry

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool
from tokenfleet.dashboards import catalog
from tokenfleet.economics import tokens
from tokenfleet.metrics import accounting, collector, exporter, names
from tokenfleet.planner import config
from tokenfleet.report import data, frames, summary
from tokenfleet.sim import fleet as fl
from tokenfleet.sim import policies, replay
from tokenfleet.sim import trace as tr

NAMESPACE = "simulation"
SNAPSHOTS = 480
"""About how many samples of the exporter a report draws from (one every few trace rows)."""


@dataclasses.dataclass(frozen=True)
class Run:
    """What the replay left: the books' samples over time and the ledger itself."""

    frames: frames.Frames
    ledger: exporter.FleetLedger
    peak_nodes: int


def _served(row: int, trace: tr.Trace, roles: list[str]) -> dict[str, tokens.TokenCounts]:
    counts = tokens.TokenCounts.of(
        input=int(trace.input_tokens[row]),
        cached_input=int(trace.cached_input_tokens[row]),
        output=int(trace.output_tokens[row]),
    )
    if "unified" in roles:
        return {"unified": counts}
    return {
        "prefill": tokens.TokenCounts.of(input=counts.input, cached_input=counts.input_cache_hit),
        "decode": tokens.TokenCounts(output=counts.output),
    }


def _snapshot(ledger: exporter.FleetLedger, at: dt.datetime) -> frames.Snapshot:
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for name, labels, value in collector.samples(ledger.collector):
        samples.setdefault(name, []).append((labels, value))
    return frames.Snapshot(at, samples)


def run(
    trace: tr.Trace,
    fleet: fl.Fleet,
    policy: str,
    start: dt.datetime,
    window_seconds: float = 3600.0,
) -> Run:
    """Replay `trace` under `policy` from `start` and post every row to a ledger."""
    cfg = config.from_resources(fleet.deployment, fleet.pool_name, fleet.pool)
    chosen = policies.build(policy, trace, cfg, start)
    timeline = replay.replay(chosen, trace, cfg, start)
    log = chosen.log if isinstance(chosen, policies.PlannerPolicy) else []
    decided_at = [(d.at - start).total_seconds() for d in log]
    clock = clocks.FakeClock(start)
    ledger = exporter.FleetLedger(clock, CollectorRegistry())
    deployment = accounting.Deployment(
        NAMESPACE,
        fleet.deployment_name,
        fleet.deployment,
        fleet.pool_name,
        fleet.pool,
        fleet.plan_name,
        fleet.plan,
    )
    roles = {role.name: role for role in cfg.roles}
    every = max(1, len(trace) // SNAPSHOTS)
    snapshots = [_snapshot(ledger, start)]
    next_decision = 0
    for row in range(len(trace)):
        opened = start + dt.timedelta(seconds=float(trace.starts[row]))
        closed = opened + dt.timedelta(seconds=float(trace.durations[row]))
        clock.set(closed)
        units = {
            name: accounting.Units(
                desired=int(timeline.ready[name][row] + timeline.starting[name][row]),
                ready=int(timeline.ready[name][row]),
                starting=int(timeline.starting[name][row]),
            )
            for name in roles
        }
        if fleet.plan is not None:
            ledger.observe_prices(NAMESPACE, fleet.plan_name or "", fleet.plan, opened)
        accounting.post(ledger, deployment, _served(row, trace, list(roles)), units, opened, closed)
        last = bisect.bisect_left(decided_at, float(trace.starts[row] + trace.durations[row]))
        for decision in log[next_decision:last]:
            ledger.observe_plan(NAMESPACE, fleet.deployment_name, decision)
        next_decision = last
        ready = sum(u.ready * roles[n].nodes_per_unit for n, u in units.items())
        starting = sum(u.starting * roles[n].nodes_per_unit for n, u in units.items())
        ledger.observe_pool(
            fleet.pool_name,
            fleet.pool,
            gpu_node_pool.NodeCounts(ready=ready, allocated=ready, provisioning=starting),
            desired=ready + starting,
            use=accounting.node_use(fleet.deployment, units),
            seconds=float(trace.durations[row]),
        )
        if row % every == every - 1 or row == len(trace) - 1:
            snapshots.append(_snapshot(ledger, closed))
    return Run(frames.Frames(snapshots, window_seconds), ledger, int(timeline.nodes.max()))


def _sum(snapshot: frames.Snapshot, name: str, **where: str) -> float:
    return sum(
        value
        for labels, value in snapshot.samples.get(name, [])
        if all(labels.get(k) == v for k, v in where.items())
    )


def totals(result: Run, fleet: fl.Fleet) -> summary.Totals:
    """The summary figures: the books at the end (they started empty)."""
    end = result.frames.snapshots[-1]
    first = result.frames.snapshots[0]
    book = result.ledger.books.deployment(NAMESPACE, fleet.deployment_name)
    served = tokens.TokenCounts()
    for (_, _, token_class), count in book.tokens.items():
        served += tokens.TokenCounts(**{token_class.value: count})
    cost_by_role: dict[str, Decimal] = {}
    for (role, _, _), amount in book.cost.items():
        cost_by_role[role] = cost_by_role.get(role, Decimal(0)) + amount
    pool = result.ledger.books.pools[fleet.pool_name]
    revenue = {kind: Decimal(0) for kind in names.RevenueKind}
    for (_, _, kind, _), amount in book.revenue.items():
        revenue[kind] += amount
    has_plan = fleet.plan is not None
    decisions = names.SCALE_DECISIONS.exported
    return summary.Totals(
        hours=(end.at - first.at).total_seconds() / 3600,
        currency=fleet.pool.cost.currency,
        served=served,
        cost_by_role=cost_by_role,
        pool_cost=pool.cost,
        idle_cost=sum(pool.idle.values(), Decimal(0)),
        revenue_realised=revenue[names.RevenueKind.REALISED] if has_plan else None,
        revenue_theoretical=revenue[names.RevenueKind.THEORETICAL] if has_plan else None,
        gpu_hours=float(sum(book.gpu_seconds.values(), Decimal(0))) / 3600,
        peak_nodes=float(result.peak_nodes),
        scale_ups=int(_sum(end, decisions, direction="up")),
        scale_downs=int(_sum(end, decisions, direction="down")),
    )


def report(
    trace: tr.Trace,
    fleet: fl.Fleet,
    policy: str,
    start: dt.datetime,
    window_seconds: float = 3600.0,
) -> data.Report:
    """Every dashboard of the catalog drawn from a replay of `trace` under `policy`."""
    result = run(trace, fleet, policy, start, window_seconds)
    boards = tuple(
        data.BoardData(board, tuple(frames.panel(result.frames, p) for p in board.panels()))
        for board in catalog.ALL
    )
    end = start + dt.timedelta(seconds=trace.seconds)
    return data.Report(
        title=f"{fleet.deployment_name} on {trace.name}, policy {policy}",
        source=f"simulation of trace {trace.name} ({len(trace)} rows), policy {policy}",
        start=start,
        end=end,
        boards=boards,
        summary=summary.rows(totals(result, fleet)),
        variables={"window": frames.window_text(window_seconds)},
    )
