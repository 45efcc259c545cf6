"""Dashboards as plain data: what each panel shows, in PromQL and as a named quantity.

Grafana JSON is generated from these (`grafana`), and `tokenfleet report` draws the same panels
from Prometheus (running the PromQL) or from a simulation (computing the named `Quantity` from
the exporter's own books), so the two cannot drift apart. Queries use the dashboards' template
variables (`$namespace`, `$deployment`, `$pool` as regexes, `$window` as a range); `substitute`
fills them in for anything that runs the PromQL outside Grafana.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterator, Mapping


class Quantity(enum.StrEnum):
    """What a query measures, for sources that cannot run PromQL (a simulation)."""

    COST_PER_HOUR = "cost_per_hour"
    REVENUE_PER_HOUR = "revenue_per_hour"
    MARGIN = "margin"
    COST_PER_MILLION = "cost_per_million"
    COST_PER_MILLION_WINDOW = "cost_per_million_window"
    REVENUE_PER_MILLION = "revenue_per_million"
    REVENUE_PER_MILLION_BY_MODEL = "revenue_per_million_by_model"
    TOKENS_PER_SECOND = "tokens_per_second"
    PRICE_PER_MILLION = "price_per_million"
    OPENCOST = "opencost"
    DEMAND = "demand"
    CAPACITY = "capacity"
    UNITS_DESIRED = "units_desired"
    UNITS_READY = "units_ready"
    UNITS_STARTING = "units_starting"
    DECISIONS = "decisions"
    NODES = "nodes"
    NODES_DESIRED = "nodes_desired"
    NODES_MAX = "nodes_max"
    NODES_COMMITTED = "nodes_committed"
    POOL_COST_PER_HOUR = "pool_cost_per_hour"
    IDLE_COST_PER_HOUR = "idle_cost_per_hour"
    IDLE_SHARE = "idle_share"
    TTFT_P90 = "ttft_p90"
    ITL_P90 = "itl_p90"
    TTFT_SLO_ERRORS = "ttft_slo_errors"
    ITL_SLO_ERRORS = "itl_slo_errors"


class Style(enum.StrEnum):
    TIMESERIES = "timeseries"
    STAT = "stat"
    BARS = "bars"


@dataclasses.dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel; `legend` uses Grafana's `{{label}}` templates."""

    expr: str
    legend: str
    quantity: Quantity
    where: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Label values the quantity is restricted to (e.g. token_class=output), for a simulation."""


@dataclasses.dataclass(frozen=True)
class Panel:
    title: str
    description: str
    queries: tuple[Query, ...]
    unit: str = "short"
    """A Grafana unit id: short, percentunit, s, currencyUSD, ..."""
    style: Style = Style.TIMESERIES
    stacked: bool = False
    width: int = 12
    height: int = 8


@dataclasses.dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclasses.dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    rows: tuple[Row, ...]
    variables: tuple[str, ...] = ("namespace", "deployment", "window")

    @property
    def file_name(self) -> str:
        return f"{self.uid}.json"

    def panels(self) -> Iterator[Panel]:
        for row in self.rows:
            yield from row.panels

    def queries(self) -> Iterator[Query]:
        for panel in self.panels():
            yield from panel.queries


VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")
EVERYTHING = ".*"
"""What a multi-value variable set to All stands for in a regex matcher."""


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """`expr` with `$name` / `${name}` replaced from `values`; unknown names are an error."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for ${name} in {expr!r}")
        return values[name]

    return VARIABLE.sub(one, expr)


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with the variables `values` names filled in and any others left as they are (for
    titles and legends shown to a person)."""
    return VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)


def variables_for(window: str, interval: str | None = None) -> dict[str, str]:
    """Every variable at All, with the rate range `window` and Grafana's `$__interval` (the
    time between points, `window` unless told) as PromQL durations."""
    return {
        "namespace": EVERYTHING,
        "deployment": EVERYTHING,
        "pool": EVERYTHING,
        "window": window,
        "__interval": interval or window,
    }


def legend(template: str, labels: Mapping[str, str]) -> str:
    """A series' name from a legend template, as Grafana fills it (missing labels are empty)."""
    return " ".join(LEGEND.sub(lambda m: labels.get(m.group(1), ""), template).split())
