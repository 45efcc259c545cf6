"""Grafana dashboard JSON from the catalog, built with Grafana's own typed builders.

`grafana-foundation-sdk` writes the dashboard model Grafana reads, so field names and defaults
are Grafana's and not ours to get wrong. Every dashboard has a Prometheus data-source variable
(the Grafana sidecar installs dashboards without knowing the data source's uid) and the
template variables its queries use: namespace, deployment and pool pick series by regex (All is
`.*`), window is the rate range. The JSON is stable (sorted keys, no ids left to Grafana) so the
files in the chart can be checked for drift.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog import encoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models

from tokenfleet.dashboards import model

DATASOURCE = models.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["tokenfleet"]
WINDOWS = ["5m", "15m", "1h", "6h"]
DEFAULT_WINDOW = "1h"

# Label and metric each regex variable lists its values from.
LISTED_FROM = {
    "namespace": ("tokenfleet_units_desired", "namespace", ""),
    "deployment": ("tokenfleet_units_desired", "deployment", '{namespace=~"$namespace"}'),
    "pool": ("tokenfleet_nodes", "pool", ""),
}


def _datasource_variable() -> builders.DatasourceVariable:
    return builders.DatasourceVariable("datasource").label("Data source").type("prometheus")


def _regex_variable(name: str) -> builders.QueryVariable:
    metric, label, matchers = LISTED_FROM[name]
    return (
        builders.QueryVariable(name)
        .label(name.capitalize())
        .datasource(DATASOURCE)
        .query(f"label_values({metric}{matchers}, {label})")
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(model.EVERYTHING)
        .current(models.VariableOption(selected=True, text="All", value="$__all"))
    )


def _window_variable() -> builders.CustomVariable:
    return (
        builders.CustomVariable("window")
        .label("Rate window")
        .description("Range of rate() and increase(): longer is smoother.")
        .values(",".join(WINDOWS))
        .current(models.VariableOption(selected=True, text=DEFAULT_WINDOW, value=DEFAULT_WINDOW))
    )


def _target(query: model.Query, ref: str) -> prometheus.Dataquery:
    return (
        prometheus.Dataquery()
        .expr(query.expr)
        .legend_format(query.legend)
        .ref_id(ref)
        .range()
        .datasource(DATASOURCE)
    )


def _panel(panel: model.Panel) -> Any:
    built: Any
    if panel.style is model.Style.STAT:
        built = (
            stat.Panel()
            .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
            .graph_mode(common_models.BigValueGraphMode.AREA)
            .color_mode(common_models.BigValueColorMode.VALUE)
        )
    else:
        built = (
            timeseries.Panel()
            .line_width(1)
            .fill_opacity(20 if panel.stacked or panel.style is model.Style.BARS else 0)
            .legend(
                common_builders.VizLegendOptions()
                .show_legend(True)
                .display_mode(common_models.LegendDisplayMode.LIST)
                .placement(common_models.LegendPlacement.BOTTOM)
            )
        )
        if panel.style is model.Style.BARS:
            built = built.draw_style(common_models.GraphDrawStyle.BARS)
        if panel.stacked:
            built = built.stacking(
                common_builders.StackingConfig().mode(common_models.StackingMode.NORMAL)
            )
    built = (
        built.title(panel.title)
        .description(panel.description)
        .datasource(DATASOURCE)
        .unit(panel.unit)
        .span(panel.width)
        .height(panel.height)
    )
    for index, query in enumerate(panel.queries):
        built = built.with_target(_target(query, chr(ord("A") + index)))
    return built


def build(board: model.Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model."""
    builder = (
        builders.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags(TAGS)
        .editable()
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .time("now-24h", "now")
        .timezone("browser")
        .refresh("1m")
        .with_variable(_datasource_variable())
    )
    for name in board.variables:
        builder = builder.with_variable(
            _window_variable() if name == "window" else _regex_variable(name)
        )
    for row in board.rows:
        builder = builder.with_row(builders.Row(row.title))
        for panel in row.panels:
            builder = builder.with_panel(_panel(panel))
    built: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=encoder.JSONEncoder))
    for number, panel in enumerate(built.get("panels", []), start=1):
        panel["id"] = number
    return built


def render(board: model.Dashboard) -> str:
    """The dashboard's JSON file content: sorted keys, two-space indents, a final newline."""
    return json.dumps(build(board), indent=2, sort_keys=True) + "\n"
