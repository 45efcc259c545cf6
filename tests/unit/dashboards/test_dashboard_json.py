"""The generated Grafana JSON reads as Grafana expects and every query is well formed.

Covered: unique uids and titles; the Prometheus data-source variable on every panel and query;
every `$variable` a query uses is declared by its dashboard; panels fit the 24-column grid
without overlapping; every metric a query names is exported by the operator or by an engine;
legends only use labels their query keeps; stat panels show the last value; and every
`Quantity` a simulation can draw appears on some panel.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import re
from typing import Any

import pytest

from tokenfleet.dashboards import catalog, grafana, model
from tokenfleet.metrics import names
from tokenfleet.signals import engines

BOARDS = {board.uid: board for board in catalog.ALL}
CHART = pathlib.Path(__file__).parents[3] / "charts" / "tokenfleet" / "dashboards"

KNOWN = {metric.exported for metric in names.ALL} | {
    name
    for engine in engines.ENGINES
    for pick in (engine.ttft, engine.itl)
    for base in pick
    for name in (base + "_bucket", base + "_count")
}
METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")


def loaded(uid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CHART / f"{uid}.json").read_text())
    return data


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


@pytest.mark.parametrize("uid", BOARDS)
def test_every_panel_and_query_reads_the_chosen_prometheus(uid: str) -> None:
    board = loaded(uid)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert target["range"] is True


@pytest.mark.parametrize("uid", BOARDS)
def test_every_variable_a_query_uses_is_declared(uid: str) -> None:
    board = loaded(uid)
    declared = {v["name"] for v in board["templating"]["list"]}
    for panel in panels(board):
        texts = [panel["title"], *(t["expr"] for t in panel["targets"])]
        for text in texts:
            used = {a or b for a, b in model.VARIABLE.findall(text)}
            used = {name for name in used if not name.startswith("__")}  # Grafana's own
            assert used <= declared, f"{panel['title']}: {used - declared} undeclared"


@pytest.mark.parametrize("uid", BOARDS)
def test_panels_fit_the_grid_without_overlapping(uid: str) -> None:
    boxes = []
    for panel in loaded(uid)["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        boxes.append((panel["title"], pos))
    for (a, p), (b, q) in itertools.combinations(boxes, 2):
        apart = (
            p["x"] + p["w"] <= q["x"]
            or q["x"] + q["w"] <= p["x"]
            or p["y"] + p["h"] <= q["y"]
            or q["y"] + q["h"] <= p["y"]
        )
        assert apart, f"{a} overlaps {b}"


def test_uids_titles_and_panel_ids_are_unique() -> None:
    assert len({b.uid for b in catalog.ALL}) == len({b.title for b in catalog.ALL}) == 5
    for uid in BOARDS:
        ids = [p["id"] for p in loaded(uid)["panels"]]
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("uid", BOARDS)
def test_queries_name_only_metrics_that_someone_exports(uid: str) -> None:
    for query in BOARDS[uid].queries():
        found = set(METRIC.findall(query.expr))
        assert found, query.expr
        assert found <= KNOWN, f"unknown metrics {found - KNOWN} in {query.expr}"


def _kept_labels(expr: str) -> set[str]:
    """Labels an expression's result can carry: its `by (...)` lists, or the metric's labels."""
    groups = re.findall(r"by \(([^)]*)\)", expr)
    if groups:
        # The outermost aggregation decides; for joins, labels kept by either side.
        return {label.strip() for group in groups for label in group.split(",")}
    metrics = {m.exported: m for m in names.ALL}
    return {str(label) for name in METRIC.findall(expr) for label in metrics[name].labels}


@pytest.mark.parametrize("uid", BOARDS)
def test_legends_only_use_labels_their_query_keeps(uid: str) -> None:
    for query in BOARDS[uid].queries():
        used = set(model.LEGEND.findall(query.legend))
        assert used <= _kept_labels(query.expr), f"{query.legend!r} for {query.expr}"


def test_stat_panels_show_the_last_value() -> None:
    for uid in BOARDS:
        for panel in panels(loaded(uid)):
            if panel["type"] == "stat":
                assert panel["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]


def test_every_quantity_is_on_some_panel() -> None:
    shown = {query.quantity for board in catalog.ALL for query in board.queries()}
    assert shown == set(model.Quantity)


def test_regex_variables_default_to_everything_and_window_to_an_hour() -> None:
    built = grafana.build(catalog.CAPACITY)
    variables = {v["name"]: v for v in built["templating"]["list"]}
    for name in ("namespace", "deployment", "pool"):
        assert variables[name]["allValue"] == model.EVERYTHING
        assert variables[name]["includeAll"] is True
    assert variables["window"]["current"]["value"] == grafana.DEFAULT_WINDOW
