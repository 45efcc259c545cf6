"""The chart's dashboards and rules against Prometheus's own tools and a real Prometheus.

- promtool checks the generated rule groups with the chart's threshold group, and unit-tests
  every alert on input series (firing, not yet firing, and not firing for healthy series);
- Helm renders the chart: one ConfigMap per dashboard labelled for the Grafana sidecar holding
  exactly the generated JSON, and a PrometheusRule with the threshold from the values that
  promtool accepts;
- a replay of an overloaded, money-losing vLLM deployment (the engine simulator and the
  exporter, scraped by the test Prometheus) makes every query of every generated dashboard
  file, every recording rule and every alert expression return series, and every variable list
  values;
- `tokenfleet report` draws every panel of every dashboard from that Prometheus, on the
  operator's clock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from tokenfleet.api import gpu_node_pool, pricing_plan
from tokenfleet.dashboards import alerts, files, model
from tokenfleet.enginesim import demand
from tokenfleet.metrics import accounting, names
from tokenfleet.report import page
from tokenfleet.report import prometheus as from_prometheus

from . import conftest
from .test_cost_exporter import SPEED, Harness, query

pytestmark = pytest.mark.prometheus

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "tokenfleet"
WINDOW = "15s"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)


def write_rules(folder: pathlib.Path) -> list[pathlib.Path]:
    """The generated rules file as shipped, and the threshold group with its default."""
    generated = folder / "tokenfleet.rules.yaml"
    generated.write_text((CHART / files.RULES_FILE).read_text())
    thresholds = folder / "thresholds.yaml"
    thresholds.write_text(yaml.safe_dump({"groups": [alerts.threshold_group()]}))
    return [thresholds, generated]


def test_promtool_accepts_every_rule(tmp_path: pathlib.Path, prometheus: object) -> None:
    done = promtool("check", "rules", *map(str, write_rules(tmp_path)))
    assert done.returncode == 0, done.stdout + done.stderr
    count = sum(len(group["rules"]) for group in alerts.all_groups())
    found = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", done.stdout))
    assert found == count


# --- promtool unit tests of the alerts -------------------------------------------------------

NS = {"namespace": "ns", "deployment": "d"}
ENGINE = {"namespace": "ns", "tokenfleet_io_deployment": "d"}


def series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inside = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{inside}}}", "values": values}


INPUT = [
    series("tokenfleet_margin_ratio", {**NS, "kind": "realised"}, "0.5 -0.2x60"),
    series("tokenfleet_margin_ratio", {**NS, "deployment": "ok", "kind": "realised"}, "0.5x60"),
    series(
        "tokenfleet_cost_per_million_tokens",
        {**NS, "token_class": "blended", "currency": "USD"},
        "0.8x60",
    ),
    series(
        "tokenfleet_cost_per_million_tokens",
        {**NS, "deployment": "ok", "token_class": "blended", "currency": "USD"},
        "0.3x60",
    ),
    # Half of all first tokens take over a second: 50 of every 100 requests a minute.
    series(
        "sglang:time_to_first_token_seconds_bucket",
        {**ENGINE, "tokenfleet_io_role": "prefill", "le": "1.0"},
        "0+50x60",
    ),
    series(
        "sglang:time_to_first_token_seconds_count",
        {**ENGINE, "tokenfleet_io_role": "prefill"},
        "0+100x60",
    ),
    # One inter-token gap in ten over 0.1 s: above the slow-burn limit, below the fast one.
    series(
        "vllm:inter_token_latency_seconds_bucket",
        {**ENGINE, "tokenfleet_io_role": "decode", "le": "0.1"},
        "0+900x60",
    ),
    series(
        "vllm:inter_token_latency_seconds_count",
        {**ENGINE, "tokenfleet_io_role": "decode"},
        "0+1000x60",
    ),
    series("tokenfleet_units_degraded", {**NS, "role": "decode"}, "0 1x60"),
    series("tokenfleet_units_degraded", {**NS, "role": "prefill"}, "0x60"),
    series("tokenfleet_deployment_condition", {**NS, "condition": "Degraded"}, "1x60"),
    series("tokenfleet_deployment_condition", {**NS, "condition": "Ready"}, "1x60"),
    series("tokenfleet_late_token_fraction", NS, "0.0005x10 0.002x50"),
    series("tokenfleet_late_token_budget", NS, "0.001x60"),
    series("tokenfleet_nodes_desired", {"pool": "h800"}, "400x60"),
    series("tokenfleet_nodes_max", {"pool": "h800"}, "400x60"),
    series("tokenfleet_nodes_desired", {"pool": "spare"}, "10x60"),
    series("tokenfleet_nodes_max", {"pool": "spare"}, "400x60"),
    series(
        "tokenfleet_scale_decisions_total",
        {**NS, "role": "decode", "direction": "hold", "reason": "pool_full"},
        "0+1x60",
    ),
    series(
        "tokenfleet_scale_decisions_total",
        {**NS, "role": "prefill", "direction": "up", "reason": "demand"},
        "0+1x60",
    ),
]


def annotations(name: str, labels: dict[str, str], value: str) -> dict[str, str]:
    """The alert's annotations as Prometheus renders them for `labels` and `$value`."""
    rule = next(r for g in alerts.all_groups() for r in g["rules"] if r.get("alert") == name)
    out = {}
    for key, template in rule["annotations"].items():
        text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], template)
        text = re.sub(r"\{\{ \$value[^}]*\}\}", value, text)
        out[key] = text
    return out


def firing(name: str, at: str, labels: dict[str, str], severity: str, value: str) -> dict[str, Any]:
    every = {**labels, "severity": severity}
    return {
        "eval_time": at,
        "alertname": name,
        "exp_alerts": [{"exp_labels": every, "exp_annotations": annotations(name, labels, value)}],
    }


def quiet(name: str, at: str) -> dict[str, Any]:
    return {"eval_time": at, "alertname": name, "exp_alerts": []}


ALERT_TESTS = [
    quiet("TokenfleetNegativeMargin", "20m"),
    firing("TokenfleetNegativeMargin", "40m", {**NS, "kind": "realised"}, "warning", "-20%"),
    quiet("TokenfleetCostPerMillionTokensHigh", "20m"),
    firing(
        "TokenfleetCostPerMillionTokensHigh",
        "40m",
        {**NS, "token_class": "blended", "currency": "USD"},
        "warning",
        "0.800",
    ),
    firing(
        "TokenfleetTTFTBudgetBurnFast",
        "10m",
        {**ENGINE, "tokenfleet_io_role": "prefill"},
        "critical",
        "50%",
    ),
    quiet("TokenfleetTTFTBudgetBurnSlow", "10m"),
    quiet("TokenfleetITLBudgetBurnFast", "30m"),
    firing(
        "TokenfleetITLBudgetBurnSlow",
        "30m",
        {**ENGINE, "tokenfleet_io_role": "decode"},
        "warning",
        "10%",
    ),
    quiet("TokenfleetUnitsDegraded", "5m"),
    firing("TokenfleetUnitsDegraded", "15m", {**NS, "role": "decode"}, "warning", "1"),
    firing("TokenfleetDeploymentDegraded", "15m", {**NS, "condition": "Degraded"}, "warning", "1"),
    quiet("TokenfleetLateTokenBudgetExceeded", "20m"),
    firing("TokenfleetLateTokenBudgetExceeded", "30m", NS, "warning", "0.2%"),
    quiet("TokenfleetPoolAtMax", "10m"),
    firing("TokenfleetPoolAtMax", "20m", {"pool": "h800"}, "warning", "400"),
    firing("TokenfleetUnitsDeniedByFullPool", "5m", {**NS, "role": "decode"}, "warning", "5"),
]


def test_every_alert_fires_on_its_symptom_and_only_then(
    tmp_path: pathlib.Path, prometheus: object
) -> None:
    rule_files = write_rules(tmp_path)
    tested = {case["alertname"] for case in ALERT_TESTS}
    every = {r["alert"] for g in alerts.all_groups() for r in g["rules"] if "alert" in r}
    assert tested == every
    suite = {
        "rule_files": [str(path) for path in rule_files],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": INPUT, "alert_rule_test": ALERT_TESTS}],
    }
    path = tmp_path / "alerts.test.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    done = promtool("test", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_fail_when_an_alert_does_not_fire(
    tmp_path: pathlib.Path, prometheus: object
) -> None:
    healthy = [s for s in INPUT if "margin" not in s["series"]]
    suite = {
        "rule_files": [str(path) for path in write_rules(tmp_path)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": healthy, "alert_rule_test": ALERT_TESTS[:2]}],
    }
    path = tmp_path / "broken.test.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    assert promtool("test", "rules", str(path)).returncode != 0


# --- the Helm templates ---------------------------------------------------------------------


def helm() -> str:
    found = shutil.which("helm") or str(
        pathlib.Path.home() / ".cache" / "tokenfleet" / "bin" / "current" / "helm"
    )
    assert os.access(found, os.X_OK), "helm not installed: run hack/install-bins.sh"
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The chart as Helm renders it on a cluster that serves PrometheusRule."""
    values = tmp_path_factory.mktemp("values") / "values.yaml"
    values.write_text(
        yaml.safe_dump(
            {
                "alerts": {"costPerMillionTokens": 0.25},
                "dashboards": {"annotations": {"grafana_folder": "tokenfleet"}},
            }
        )
    )
    done = subprocess.run(
        [
            helm(),
            "template",
            "tokenfleet",
            str(CHART),
            "--namespace",
            "monitoring",
            "--api-versions",
            "monitoring.coreos.com/v1/PrometheusRule",
            "--values",
            str(values),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_each_dashboard_ships_in_a_configmap_the_grafana_sidecar_loads(
    rendered: list[dict[str, Any]],
) -> None:
    maps = [
        doc
        for doc in rendered
        if doc["kind"] == "ConfigMap" and "grafana_dashboard" in doc["metadata"]["labels"]
    ]
    shipped = {}
    for config_map in maps:
        meta = config_map["metadata"]
        assert meta["labels"]["grafana_dashboard"] == "1"
        assert meta["annotations"] == {"grafana_folder": "tokenfleet"}
        assert meta["namespace"] == "monitoring"
        shipped.update(config_map["data"])
    for path in sorted((CHART / files.DASHBOARDS).glob("*.json")):
        assert json.loads(shipped.pop(path.name)) == json.loads(path.read_text())
    assert shipped == {}


def test_the_prometheusrule_holds_every_group_and_promtool_accepts_it(
    rendered: list[dict[str, Any]], tmp_path: pathlib.Path, prometheus: object
) -> None:
    (rule,) = [doc for doc in rendered if doc["kind"] == "PrometheusRule"]
    groups = rule["spec"]["groups"]
    assert groups == alerts.all_groups(0.25)
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    done = promtool("check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


# --- every expression against a real Prometheus ---------------------------------------------


@pytest.fixture(scope="module")
def overloaded(prometheus: conftest.Prometheus) -> Iterator[Harness]:
    """A vLLM deployment far beyond its engines' capacity, at a loss, on a full pool, with a
    degraded decode unit and the planner asking for more: every panel and alert has data."""
    cheap = pricing_plan.PricingPlanSpec.model_validate(
        {"prices": {"inputCacheHit": "0.001", "inputCacheMiss": "0.005", "output": "0.02"}}
    )
    units = {
        "prefill": accounting.Units(desired=2, ready=1),
        "decode": accounting.Units(desired=1, ready=0, degraded=1),
    }

    def every_tick(harness: Harness, tick: int) -> None:
        ledger, ns = harness.fleet, harness.namespace
        ledger.observe_decision(
            ns, "dsv3", "prefill", names.Direction.UP, names.DecisionReason.DEMAND
        )
        ledger.observe_decision(
            ns, "dsv3", "decode", names.Direction.HOLD, names.DecisionReason.POOL_FULL
        )
        ledger.set_condition(ns, "dsv3", "Degraded", True)
        ledger.set_late_tokens(ns, "dsv3", 0.02, 0.001)
        ledger.observe_prices(ns, "cheap", cheap)

    harness = Harness(
        prometheus,
        "dashboards",
        "vllm",
        demand.ConstantDemand(demand.Tokens(input=100_000, cached=30_000, output=10_000)),
        units,
        plan=cheap,
        pool=gpu_node_pool.GPUNodePoolSpec.model_validate(
            {"maxNodes": 5, "cost": {"onDemandPerGpuHour": 10}}
        ),
        capacity={"prefill": 40_000.0, "decode": 3_000.0},
        on_tick=every_tick,
    ).start()
    try:
        time.sleep(20)  # a few scrapes into every window
        yield harness
    finally:
        harness.stop()


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel, expr) of every target of every generated dashboard file."""
    found = []
    for path in sorted((CHART / files.DASHBOARDS).glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                found.append((board["uid"], panel["title"], target["expr"]))
    return found


QUERIES = dashboard_queries()


@pytest.mark.parametrize(
    ("uid", "title", "expr"), QUERIES, ids=[f"{u}:{t}:{i}" for i, (u, t, _) in enumerate(QUERIES)]
)
def test_every_dashboard_query_returns_series(
    overloaded: Harness, prometheus: conftest.Prometheus, uid: str, title: str, expr: str
) -> None:
    promql = model.substitute(expr, model.variables_for(WINDOW))
    assert query(prometheus, promql), f"{uid} / {title}: no series for {promql}"


def test_every_variable_lists_values(overloaded: Harness, prometheus: conftest.Prometheus) -> None:
    for path in sorted((CHART / files.DASHBOARDS).glob("*.json")):
        for variable in json.loads(path.read_text())["templating"]["list"]:
            if variable["type"] != "query":
                continue
            found = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"])
            assert found, variable["query"]
            match = model.substitute(found.group(1), model.variables_for(WINDOW))
            response = httpx.get(
                f"{prometheus.url}/api/v1/label/{found.group(2)}/values",
                params={"match[]": match},
                timeout=10,
            )
            assert response.json()["data"], f"{path.name}: {variable['name']} lists nothing"


def inlined(expr: str) -> str:
    """An alert expression with every recorded series replaced by the expression recording it."""
    for group in alerts.all_groups():
        for rule in group["rules"]:
            if "record" in rule:
                recorded = f"({rule['expr']})"
                expr = re.sub(
                    rf"\b{re.escape(rule['record'])}\b", lambda _, text=recorded: text, expr
                )
    return expr


RULES = [rule for group in alerts.all_groups() for rule in group["rules"]]


@pytest.mark.parametrize("rule", RULES, ids=[rule.get("alert") or rule["record"] for rule in RULES])
def test_every_rule_expression_returns_series(
    overloaded: Harness, prometheus: conftest.Prometheus, rule: dict[str, Any]
) -> None:
    promql = inlined(rule["expr"])
    assert query(prometheus, promql), f"no series for {promql}"


def test_a_report_from_prometheus_draws_every_panel_on_the_operators_clock(
    overloaded: Harness, prometheus: conftest.Prometheus, tmp_path: pathlib.Path
) -> None:
    end = dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(seconds=20)
    with httpx.Client(timeout=30) as http:
        client = from_prometheus.Client(prometheus.url, http)
        made = from_prometheus.report(client, start, end, step=1.0, window=15.0)
    for board in made.boards:
        for panel in board.panels:
            assert panel.series, f"{board.board.uid} / {panel.panel.title} has no lines"
    # Drawn on the harness's clock (2025, 120x real time), not on today's date: the period ends
    # within a few scrapes of the clock's now and spans at most its twenty real seconds.
    lag = (overloaded.clock.now() - made.end).total_seconds()
    assert 0 <= lag < 5 * SPEED
    assert 0 < (made.end - made.start).total_seconds() <= 20 * SPEED * 1.05
    rows = dict(made.summary)
    assert rows["Margin, realised"].startswith("-")
    assert rows["Scale decisions up / down"].split(" / ")[0] != "0"
    written = page.write(made, tmp_path)
    assert (tmp_path / "report.html") in written
