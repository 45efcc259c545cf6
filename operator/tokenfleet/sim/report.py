"""What a replay cost and earned: node-hours, late tokens, money, as a table or JSON.

A token is late when it arrives in a row where its role's serving capacity (at 100%, counting
only units that are up) is below the role's demand; the late tokens of a row are the excess
(`late.late_tokens`).
`late_token_fraction` is all roles' late tokens over all tokens. Revenue does not depend on the
policy (late tokens are served, only late), so it is worked out once per trace.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np

from tokenfleet.economics import cost as cost_model
from tokenfleet.economics import pricing, revenue, tokens, unit_economics
from tokenfleet.planner import config
from tokenfleet.sim import fleet as fl
from tokenfleet.sim import late as late_mod
from tokenfleet.sim import replay
from tokenfleet.sim import trace as tr


@dataclasses.dataclass(frozen=True)
class RoleResult:
    node_hours: float
    mean_units: float
    peak_units: int
    late_tokens: float
    tokens: int


@dataclasses.dataclass(frozen=True)
class Result:
    """One policy on one trace."""

    policy: str
    trace: str
    hours: float
    node_hours: float
    mean_nodes: float
    peak_nodes: int
    late_tokens: float
    late_token_fraction: float
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    cost: Decimal
    currency: str
    earned: revenue.Revenue | None
    roles: dict[str, RoleResult]
    oracle_node_hours: float | None = None
    late_budget: float | None = None
    """The fleet's `autoscaling.slo.lateTokenBudget`, if it sets one."""
    worst_day_late_fraction: float = 0.0
    """The late-token fraction of the trace's worst day (each 24 h from its start; a shorter
    trace is one day)."""

    @property
    def budget_held(self) -> bool | None:
        """Whether every day stayed within the late-token budget; None without a budget."""
        if self.late_budget is None:
            return None
        return self.worst_day_late_fraction <= self.late_budget

    @property
    def margin(self) -> Decimal | None:
        if self.earned is None:
            return None
        return unit_economics.margin(self.earned.realised, self.cost)

    @property
    def vs_oracle(self) -> float | None:
        if not self.oracle_node_hours:
            return None
        return self.node_hours / self.oracle_node_hours

    def to_json(self) -> dict[str, Any]:
        """The object `tokenfleet simulate --json` prints."""
        margin = self.margin
        return {
            "policy": self.policy,
            "trace": self.trace,
            "hours": round(self.hours, 4),
            "node_hours": round(self.node_hours, 3),
            "node_hours_vs_oracle": None if self.vs_oracle is None else round(self.vs_oracle, 4),
            "mean_nodes": round(self.mean_nodes, 3),
            "peak_nodes": self.peak_nodes,
            "late_tokens": round(self.late_tokens),
            "late_token_fraction": self.late_token_fraction,
            "worst_day_late_token_fraction": self.worst_day_late_fraction,
            "late_token_budget": self.late_budget,
            "budget_held": self.budget_held,
            "currency": self.currency,
            "cost": _money(self.cost),
            "revenue": None if self.earned is None else _money(self.earned.realised),
            "revenue_theoretical": None if self.earned is None else _money(self.earned.theoretical),
            "margin": None if margin is None else round(float(margin), 4),
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "output_tokens": self.output_tokens,
            "roles": {
                name: {
                    "node_hours": round(role.node_hours, 3),
                    "mean_units": round(role.mean_units, 3),
                    "peak_units": role.peak_units,
                    "late_tokens": round(role.late_tokens),
                    "late_token_fraction": role.late_tokens / role.tokens if role.tokens else 0.0,
                }
                for name, role in self.roles.items()
            },
        }


def _money(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01")))


def pool_cost(timeline: replay.Timeline, trace: tr.Trace, fleet: fl.Fleet) -> Decimal:
    """What the pool's nodes cost over the replay, priced row by row (committed vs on-demand)."""
    seconds_at: collections.Counter[int] = collections.Counter()
    for nodes, seconds in zip(timeline.nodes.tolist(), trace.durations.tolist(), strict=True):
        seconds_at[nodes] += seconds
    pool = fleet.pool
    return sum(
        (
            cost_model.pool_cost(pool.cost, pool.gpus_per_node, pool.committed_nodes, n, s)
            for n, s in sorted(seconds_at.items())
        ),
        Decimal(0),
    )


def _counts(trace: tr.Trace, rows: tr.Ints | slice | int) -> tokens.TokenCounts:
    return tokens.TokenCounts.of(
        input=int(np.sum(trace.input_tokens[rows])),
        cached_input=int(np.sum(trace.cached_input_tokens[rows])),
        output=int(np.sum(trace.output_tokens[rows])),
    )


def earned(trace: tr.Trace, fleet: fl.Fleet, start: dt.datetime) -> revenue.Revenue | None:
    """What the trace's tokens earn under the fleet's plan; None without a plan.

    Rows are summed within each span of constant prices and priced once per span; a row that
    straddles a price change is split by time.
    """
    plan = fleet.plan
    if plan is None:
        return None
    ends = trace.starts + trace.durations
    spans = list(
        pricing.segments(plan, fleet.model, start, start + dt.timedelta(seconds=float(ends[-1])))
    )
    opens = np.array([(opened - start).total_seconds() for opened, _, _ in spans])
    first = np.searchsorted(opens, trace.starts, side="right") - 1
    last = np.searchsorted(opens, ends, side="left") - 1
    total = revenue.Revenue()
    for index, (opened, _, _) in enumerate(spans):
        rows = np.flatnonzero((first == index) & (last == index))
        if len(rows):
            total += revenue.revenue(plan, fleet.model, _counts(trace, rows), opened)
    for row in np.flatnonzero(first != last).tolist():
        row_start = start + dt.timedelta(seconds=float(trace.starts[row]))
        row_end = row_start + dt.timedelta(seconds=float(trace.durations[row]))
        total += revenue.revenue_between(plan, fleet.model, _counts(trace, row), row_start, row_end)
    return total


def summarise(
    timeline: replay.Timeline,
    trace: tr.Trace,
    fleet: fl.Fleet,
    cfg: config.PlannerConfig,
    money: revenue.Revenue | None,
    oracle_node_hours: float | None = None,
) -> Result:
    """The figures of one replay."""
    hours = trace.seconds / 3600
    roles: dict[str, RoleResult] = {}
    late_rows = np.zeros(len(trace), dtype=np.float64)
    for role in cfg.roles:
        ready = timeline.ready[role.name]
        paid = ready + timeline.starting[role.name]
        capacity = ready * role.unit_capacity
        arrived = trace.demand(role.name) * trace.durations
        late = late_mod.late_tokens(arrived, capacity.astype(np.float64), trace.durations)
        late_rows += late
        roles[role.name] = RoleResult(
            node_hours=float((paid * role.nodes_per_unit * trace.durations).sum() / 3600),
            mean_units=float((paid * trace.durations).sum() / trace.seconds),
            peak_units=int(paid.max()),
            late_tokens=float(late.sum()),
            tokens=int(trace.tokens(role.name).sum()),
        )
    node_hours = float((timeline.nodes * trace.durations).sum() / 3600)
    late_tokens = sum(role.late_tokens for role in roles.values())
    all_tokens = int(trace.input_tokens.sum() + trace.output_tokens.sum())
    return Result(
        policy=timeline.policy,
        trace=trace.name,
        hours=hours,
        node_hours=node_hours,
        mean_nodes=node_hours / hours,
        peak_nodes=int(timeline.nodes.max()),
        late_tokens=late_tokens,
        late_token_fraction=late_tokens / all_tokens if all_tokens else 0.0,
        input_tokens=int(trace.input_tokens.sum()),
        cached_input_tokens=int(trace.cached_input_tokens.sum()),
        output_tokens=int(trace.output_tokens.sum()),
        cost=pool_cost(timeline, trace, fleet),
        currency=fleet.pool.cost.currency,
        earned=money,
        roles=roles,
        oracle_node_hours=oracle_node_hours,
        late_budget=cfg.autoscaling.slo.late_token_budget,
        worst_day_late_fraction=worst_day(trace, late_rows),
    )


def worst_day(trace: tr.Trace, late_rows: tr.Floats) -> float:
    """The largest late-token fraction of any day of the trace (24 h from its start; rows go
    to the day they start in)."""
    days = (trace.starts // 86_400).astype(np.int64)
    tokens = (trace.input_tokens + trace.output_tokens).astype(np.float64)
    late = np.bincount(days, weights=late_rows)
    arrived = np.bincount(days, weights=tokens)
    shares = np.divide(late, arrived, out=np.zeros_like(late), where=arrived > 0)
    return float(shares.max()) if len(shares) else 0.0
