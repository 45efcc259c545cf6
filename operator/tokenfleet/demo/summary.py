"""The demo's final figures, read back from Prometheus: what the operator exported, not what the
driver believes.

Each counter is read as of the counted day's first and last clock instants, and the day's
figure is the difference. The operator books in steps: a deployment's cost up to
`tokenfleet_cost_as_of_seconds`, its tokens up to `tokenfleet_books_as_of_seconds`, a pool's
cost up to `tokenfleet_pool_cost_as_of_seconds`, and each scrape carries a counter beside its
as-of. A counter's value at a clock instant is interpolated between the two scrapes whose
as-of instants bracket it, so the figures cover the day exactly even when a step ran late,
the operator was starved at the start, or a pool step finished after the replay ended.

The day's cost is what the deployment's pool cost, idle nodes included (as `tokenfleet
simulate` prices it), with the idle part beside it: the deployment's own cost counts only the
nodes its units held, and would hide the nodes the pool kept for nothing. Cost per million
input and output tokens splits the pool's cost by the units' prefill share of cost.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Sequence
from decimal import Decimal

from tokenfleet.metrics import figures as figures_mod

SeriesFn = Callable[[str], Sequence[tuple[float, float]]]
"""A PromQL expression's samples over the demo's run: (real Unix time, value), oldest first."""

Booked = Sequence[tuple[float, float]]
"""A counter's readings against its as-of instants: (clock Unix time, value), oldest first."""


@dataclasses.dataclass(frozen=True)
class Summary:
    node_hours: float
    mean_nodes: float
    peak_nodes: float
    cost: float
    revenue_realised: float
    revenue_theoretical: float
    input_tokens: float
    output_tokens: float
    cost_per_million_input: float | None
    cost_per_million_output: float | None
    late_token_fraction: float
    scale_ups: int
    scale_downs: int
    currency: str
    idle_cost: float = 0.0
    """The part of `cost` spent on nodes that served nothing."""
    units_cost: float = 0.0
    """What the nodes the deployment's units held cost (`cost` less the pool's idle nodes)."""
    short: tuple[str, ...] = ()
    """The books whose newest scrape did not reach the day's end: their figures stop short."""

    @property
    def idle_share(self) -> float | None:
        return self.idle_cost / self.cost if self.cost else None

    @property
    def margin(self) -> float | None:
        return (self.revenue_realised - self.cost) / self.cost if self.cost else None

    @property
    def theoretical_margin(self) -> float | None:
        return (self.revenue_theoretical - self.cost) / self.cost if self.cost else None


@dataclasses.dataclass(frozen=True)
class Query:
    """A counter of the day and the as-of instant its books reach."""

    expr: str
    as_of: str
    books: str
    """Which books: "cost", "tokens" or "pool"."""


def queries(namespace: str, deployment: str, gpus_per_node: int) -> dict[str, Query]:
    sel = f'namespace="{namespace}",deployment="{deployment}"'
    # The pools the deployment's units ran on: those its cost series name.
    on_pools = f"and on (pool) tokenfleet_cost_total{{{sel}}}"
    as_of = {
        "cost": f"max(tokenfleet_cost_as_of_seconds{{{sel}}})",
        "tokens": f"max(tokenfleet_books_as_of_seconds{{{sel}}})",
        "pool": f"max(tokenfleet_pool_cost_as_of_seconds {on_pools})",
    }
    exprs = {
        "node_hours": (
            "cost",
            f"sum(tokenfleet_gpu_seconds_total{{{sel}}}) / 3600 / {gpus_per_node}",
        ),
        "cost": ("pool", f"sum(tokenfleet_pool_cost_total {on_pools})"),
        "idle_cost": ("pool", f"sum(tokenfleet_idle_cost_total {on_pools})"),
        "units_cost": ("cost", f"sum(tokenfleet_cost_total{{{sel}}})"),
        "cost_prefill": ("cost", f'sum(tokenfleet_cost_total{{{sel},role="prefill"}})'),
        "cost_decode": ("cost", f'sum(tokenfleet_cost_total{{{sel},role="decode"}})'),
        "cost_unified": ("cost", f'sum(tokenfleet_cost_total{{{sel},role="unified"}})'),
        "revenue_realised": ("tokens", f'sum(tokenfleet_revenue_total{{{sel},kind="realised"}})'),
        "revenue_theoretical": (
            "tokens",
            f'sum(tokenfleet_revenue_total{{{sel},kind="theoretical"}})',
        ),
        "input_tokens": ("tokens", f'sum(tokenfleet_tokens_total{{{sel},token_class=~"input.*"}})'),
        "output_tokens": ("tokens", f'sum(tokenfleet_tokens_total{{{sel},token_class="output"}})'),
        "scale_ups": ("cost", f'sum(tokenfleet_scale_decisions_total{{{sel},direction="up"}})'),
        "scale_downs": ("cost", f'sum(tokenfleet_scale_decisions_total{{{sel},direction="down"}})'),
    }
    return {name: Query(expr, as_of[books], books) for name, (books, expr) in exprs.items()}


def booked(values: Sequence[tuple[float, float]], as_of: Sequence[tuple[float, float]]) -> Booked:
    """A counter's scrapes beside its as-of's at the same instants: (as-of, value), oldest
    first. A scrape whose as-of went back (none should) is left out."""
    at = {round(t, 3): v for t, v in as_of}
    out: list[tuple[float, float]] = []
    for t, value in values:
        when = at.get(round(t, 3))
        if when is not None and (not out or when >= out[-1][0]):
            out.append((when, value))
    return out


def value_at(readings: Booked, clock: float) -> float | None:
    """The counter as of clock instant `clock`: interpolated between the readings whose as-of
    instants bracket it; the first reading's value when the books began after it; None when
    they never reached it (or hold nothing)."""
    if not readings:
        return None
    instants = [t for t, _ in readings]
    i = bisect.bisect_right(instants, clock)
    if i == 0:
        return readings[0][1]
    (t0, v0) = readings[i - 1]
    if t0 == clock:
        return v0
    if i == len(readings):
        return None
    (t1, v1) = readings[i]
    return v0 + (v1 - v0) * (clock - t0) / (t1 - t0)


def read(
    series: SeriesFn,
    namespace: str,
    deployment: str,
    gpus_per_node: int,
    day: tuple[float, float],
    peak_nodes: float,
    late_fraction: float,
    currency: str,
) -> Summary:
    """The day's figures: each counter as of the day's last clock instant less its value as of
    the first (`day`, clock Unix seconds). A counter whose books stop short of the end counts up
    to its newest reading, and its books are named in `short`."""
    q = queries(namespace, deployment, gpus_per_node)
    as_of = {query.as_of: series(query.as_of) for query in q.values()}
    values: dict[str, float] = {}
    short: set[str] = set()
    for name, query in q.items():
        readings = booked(series(query.expr), as_of[query.as_of])
        start = value_at(readings, day[0])
        end = value_at(readings, day[1])
        if end is None and readings:
            short.add(query.books)
            end = readings[-1][1]
        values[name] = max(0.0, (end or 0.0) - (start or 0.0))
    hours = (day[1] - day[0]) / 3600
    share = float(
        figures_mod.input_share(
            {
                role: Decimal(repr(values[f"cost_{role}"]))
                for role in ("prefill", "decode", "unified")
            }
        )
    )
    return Summary(
        node_hours=values["node_hours"],
        mean_nodes=values["node_hours"] / hours if hours else 0.0,
        peak_nodes=peak_nodes,
        cost=values["cost"],
        revenue_realised=values["revenue_realised"],
        revenue_theoretical=values["revenue_theoretical"],
        input_tokens=values["input_tokens"],
        output_tokens=values["output_tokens"],
        cost_per_million_input=(
            values["cost"] * share / values["input_tokens"] * 1e6
            if values["input_tokens"]
            else None
        ),
        cost_per_million_output=(
            values["cost"] * (1 - share) / values["output_tokens"] * 1e6
            if values["output_tokens"]
            else None
        ),
        late_token_fraction=late_fraction,
        scale_ups=round(values["scale_ups"]),
        scale_downs=round(values["scale_downs"]),
        currency=currency,
        idle_cost=values["idle_cost"],
        units_cost=values["units_cost"],
        short=tuple(sorted(short)),
    )


def render(s: Summary) -> str:
    """The final table, as people read it."""

    def money(v: float | None) -> str:
        return "-" if v is None else f"{v:,.2f} {s.currency}"

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v * 100:,.0f}%"

    def pct1(v: float | None) -> str:
        return "-" if v is None else f"{v * 100:,.1f}%"

    rows = [
        ("node-hours", f"{s.node_hours:,.0f}"),
        ("mean / peak nodes", f"{s.mean_nodes:,.1f} / {s.peak_nodes:,.0f}"),
        ("cost", money(s.cost)),
        ("  of which idle", f"{money(s.idle_cost)} ({pct1(s.idle_share)})"),
        ("revenue (realised)", money(s.revenue_realised)),
        ("revenue (theoretical, list prices)", money(s.revenue_theoretical)),
        ("margin (realised / theoretical)", f"{pct(s.margin)} / {pct(s.theoretical_margin)}"),
        ("input / output tokens", f"{s.input_tokens / 1e9:,.1f}B / {s.output_tokens / 1e9:,.1f}B"),
        ("cost per million input tokens", money(s.cost_per_million_input)),
        ("cost per million output tokens", money(s.cost_per_million_output)),
        ("late tokens", f"{s.late_token_fraction * 100:.3f}%"),
        ("scale decisions (up / down)", f"{s.scale_ups} / {s.scale_downs}"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    rule = "-" * max(len(line) for line in lines)
    after = (
        [f"  (the {' and '.join(s.short)} books stop short of the day's end)"] if s.short else []
    )
    return "\n".join([rule, *lines, rule, *after])
