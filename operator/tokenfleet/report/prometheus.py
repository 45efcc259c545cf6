"""A report from Prometheus: every panel's PromQL run over a period, and the period's totals.

Queries are the dashboards' own (`dashboards.catalog`), with every variable at All, the rate
window chosen from the step (four steps, and at least 30 s, so a rate always spans scrapes) and
`$__interval` the step (at least 15 s, as Grafana keeps it).
Prometheus keeps real time; when the operator ran on a fast clock (the demo), its
`tokenfleet_clock_time_seconds` maps each real instant to the operator's, so a day replayed in
minutes is drawn over its day. Totals are increases of the exporter's counters over the whole
period, reduced by `summary` like a simulation's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx
import numpy as np

from tokenfleet.dashboards import catalog, model
from tokenfleet.economics import tokens
from tokenfleet.metrics import names
from tokenfleet.report import data, summary
from tokenfleet.signals import promql

POINTS = 300
"""About how many points a panel's lines get."""
MIN_WINDOW = 30.0
MIN_INTERVAL = 15.0
"""Least `$__interval`: Grafana's default for a Prometheus data source (its scrape interval)."""

Result = list[tuple[dict[str, str], list[tuple[float, float]]]]


class PrometheusError(RuntimeError):
    """Prometheus could not be asked or refused a query; the message says which."""


@dataclasses.dataclass
class Client:
    """The HTTP API of one Prometheus (instant and range queries)."""

    url: str
    http: httpx.Client

    def _get(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        try:
            response = self.http.get(self.url.rstrip("/") + path, params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PrometheusError(f"{self.url}: {exc}") from exc
        if body.get("status") != "success":
            raise PrometheusError(f"{params.get('query')}: {body.get('error', body)}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def range(self, expr: str, start: dt.datetime, end: dt.datetime, step: float) -> Result:
        found = self._get(
            "/api/v1/query_range",
            {
                "query": expr,
                "start": str(start.timestamp()),
                "end": str(end.timestamp()),
                "step": str(step),
            },
        )
        return [
            (item["metric"], [(float(t), float(v)) for t, v in item["values"]]) for item in found
        ]

    def instant(self, expr: str, at: dt.datetime) -> list[tuple[dict[str, str], float]]:
        found = self._get("/api/v1/query", {"query": expr, "time": str(at.timestamp())})
        return [(item["metric"], float(item["value"][1])) for item in found]


@dataclasses.dataclass(frozen=True)
class ClockMap:
    """Real Unix seconds to the operator's clock, from samples of its clock gauge."""

    real: tuple[float, ...] = ()
    clock: tuple[float, ...] = ()

    def __call__(self, real: float) -> dt.datetime:
        at = real if len(self.real) < 2 else float(np.interp(real, self.real, self.clock))
        return dt.datetime.fromtimestamp(at, dt.UTC)


def clock_map(client: Client, start: dt.datetime, end: dt.datetime, step: float) -> ClockMap:
    found = client.range(f"max({names.CLOCK_TIME.exported})", start, end, step)
    if not found:
        return ClockMap()
    points = found[0][1]
    return ClockMap(tuple(t for t, _ in points), tuple(v for _, v in points))


def _series(result: Result, legend: str, when: ClockMap) -> list[data.Series]:
    out = []
    for labels, points in result:
        kept = [(t, v) for t, v in points if math.isfinite(v)]
        if kept:
            out.append(
                data.Series(
                    model.legend(legend, labels),
                    tuple(when(t) for t, _ in kept),
                    tuple(v for _, v in kept),
                )
            )
    return sorted(out, key=lambda s: s.name)


def _by(found: Sequence[tuple[dict[str, str], float]], label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for labels, value in found:
        if math.isfinite(value):
            out[labels.get(label, "")] = out.get(labels.get(label, ""), 0.0) + value
    return out


def totals(client: Client, start: dt.datetime, end: dt.datetime, when: ClockMap) -> summary.Totals:
    """Increases of the exporter's counters over [start, end], and the peak of nodes held."""
    span = promql.duration(max(1.0, round((end - start).total_seconds())))

    def increase(metric: names.Metric, by: str, matchers: str = "") -> dict[str, float]:
        expr = f"sum by ({by}) (increase({metric.exported}{{{matchers}}}[{span}]))"
        return _by(client.instant(expr, end), by)

    served = increase(names.TOKENS, "token_class")
    cost = client.instant(f"sum by (role, currency) (increase({names.COST.exported}[{span}]))", end)
    currency = next((labels.get("currency", "") for labels, _ in cost), "USD")
    revenue = increase(names.REVENUE, "kind")
    decisions = increase(names.SCALE_DECISIONS, "direction", 'direction=~"up|down"')
    held = f'sum({names.NODES.name}{{state=~"ready|provisioning|draining"}})'
    peak = client.instant(f"max_over_time(({held})[{span}:])", end)
    hours = (when(end.timestamp()) - when(start.timestamp())).total_seconds() / 3600

    def money(value: float | None) -> Decimal | None:
        return None if value is None else Decimal(repr(value))

    return summary.Totals(
        hours=hours,
        currency=currency,
        served=tokens.TokenCounts(
            input_cache_hit=round(served.get("input_cache_hit", 0.0)),
            input_cache_miss=round(served.get("input_cache_miss", 0.0)),
            output=round(served.get("output", 0.0)),
        ),
        cost_by_role={role: Decimal(repr(value)) for role, value in _by(cost, "role").items()},
        pool_cost=money(sum(increase(names.POOL_COST, "pool").values())) or Decimal(0),
        idle_cost=money(sum(increase(names.IDLE_COST, "pool").values())) or Decimal(0),
        revenue_realised=money(revenue.get(names.RevenueKind.REALISED)),
        revenue_theoretical=money(revenue.get(names.RevenueKind.THEORETICAL)),
        gpu_hours=sum(increase(names.GPU_SECONDS, "pool").values()) / 3600,
        peak_nodes=peak[0][1] if peak else None,
        scale_ups=round(decisions.get("up", 0.0)),
        scale_downs=round(decisions.get("down", 0.0)),
    )


def report(
    client: Client,
    start: dt.datetime,
    end: dt.datetime,
    step: float | None = None,
    window: float | None = None,
) -> data.Report:
    """Every dashboard of the catalog drawn from `client`'s Prometheus over [start, end]."""
    if end <= start:
        raise ValueError(f"the period must end after it starts: {start} .. {end}")
    step = step or max(1.0, round((end - start).total_seconds() / POINTS))
    window = window or max(4 * step, MIN_WINDOW)
    interval = max(step, MIN_INTERVAL)
    values = model.variables_for(promql.duration(window), promql.duration(interval))
    when = clock_map(client, start, end, step)
    boards = []
    for board in catalog.ALL:
        panels = []
        for panel in board.panels():
            lines: list[data.Series] = []
            for query in panel.queries:
                expr = model.substitute(query.expr, values)
                legend = model.fill(query.legend, values)
                lines.extend(_series(client.range(expr, start, end, step), legend, when))
            panels.append(data.PanelData(panel, tuple(lines)))
        boards.append(data.BoardData(board, tuple(panels)))
    return data.Report(
        title="tokenfleet",
        source=f"Prometheus at {client.url}",
        start=when(start.timestamp()),
        end=when(end.timestamp()),
        boards=tuple(boards),
        summary=summary.rows(totals(client, start, end, when)),
        variables=values,
    )
