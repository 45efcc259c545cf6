"""The demo's final figures, read back from Prometheus: what the operator exported, not what the
driver believes. Counters are read at the start and the end of the replayed day; the difference
is the day's.

The day's cost is what the deployment's pool cost, idle nodes included (as `tokenfleet
simulate` prices it), with the idle part beside it: the deployment's own cost counts only the
nodes its units held, and would hide the nodes the pool kept for nothing. Cost per million
input and output tokens splits the pool's cost by the units' prefill share of cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

from tokenfleet.metrics import figures as figures_mod

QueryFn = Callable[[str, float], float | None]
"""Evaluates a PromQL expression at a real Unix time; None when it returns nothing."""


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

    @property
    def idle_share(self) -> float | None:
        return self.idle_cost / self.cost if self.cost else None

    @property
    def margin(self) -> float | None:
        return (self.revenue_realised - self.cost) / self.cost if self.cost else None

    @property
    def theoretical_margin(self) -> float | None:
        return (self.revenue_theoretical - self.cost) / self.cost if self.cost else None


def queries(namespace: str, deployment: str, gpus_per_node: int) -> dict[str, str]:
    sel = f'namespace="{namespace}",deployment="{deployment}"'
    # The pools the deployment's units ran on: those its cost series name.
    on_pools = f"and on (pool) tokenfleet_cost_total{{{sel}}}"
    return {
        "node_hours": f"sum(tokenfleet_gpu_seconds_total{{{sel}}}) / 3600 / {gpus_per_node}",
        "cost": f"sum(tokenfleet_pool_cost_total {on_pools})",
        "idle_cost": f"sum(tokenfleet_idle_cost_total {on_pools})",
        "units_cost": f"sum(tokenfleet_cost_total{{{sel}}})",
        "cost_prefill": f'sum(tokenfleet_cost_total{{{sel},role="prefill"}})',
        "cost_decode": f'sum(tokenfleet_cost_total{{{sel},role="decode"}})',
        "cost_unified": f'sum(tokenfleet_cost_total{{{sel},role="unified"}})',
        "revenue_realised": f'sum(tokenfleet_revenue_total{{{sel},kind="realised"}})',
        "revenue_theoretical": f'sum(tokenfleet_revenue_total{{{sel},kind="theoretical"}})',
        "input_tokens": f'sum(tokenfleet_tokens_total{{{sel},token_class=~"input.*"}})',
        "output_tokens": f'sum(tokenfleet_tokens_total{{{sel},token_class="output"}})',
        "scale_ups": f'sum(tokenfleet_scale_decisions_total{{{sel},direction="up"}})',
        "scale_downs": f'sum(tokenfleet_scale_decisions_total{{{sel},direction="down"}})',
    }


def read(
    query: QueryFn,
    namespace: str,
    deployment: str,
    gpus_per_node: int,
    t_start: float,
    t_end: float,
    clock_seconds: float,
    peak_nodes: float,
    late_fraction: float,
    currency: str,
) -> Summary:
    """The day's figures: each counter at `t_end` less its value at `t_start` (real times)."""

    def delta(expr: str) -> float:
        end = query(expr, t_end) or 0.0
        start = query(expr, t_start) or 0.0
        return max(0.0, end - start)

    q = queries(namespace, deployment, gpus_per_node)
    values = {name: delta(expr) for name, expr in q.items()}
    hours = clock_seconds / 3600 if clock_seconds else 0.0
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
    return "\n".join([rule, *lines, rule])
