"""The rule groups: well-formed alerts with a severity and words for a person, no dashboard
variables, expressions naming only metrics and records that exist, burn-rate limits from the
objectives, and the cost threshold group with its default."""

from __future__ import annotations

import re

from tokenfleet.dashboards import alerts, slo
from tokenfleet.metrics import names

METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[\{\)\s]")


def rules() -> list[dict[str, object]]:
    return [rule for group in alerts.all_groups() for rule in group["rules"]]


def test_every_alert_has_a_severity_a_wait_and_words_for_a_person() -> None:
    found = [rule for rule in rules() if "alert" in rule]
    assert len(found) == 11
    for rule in found:
        assert rule["labels"]["severity"] in {"warning", "critical"}  # type: ignore[index]
        assert rule["for"]
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"]  # type: ignore[index]


def test_the_alerts_the_issue_asks_for_are_there() -> None:
    names_ = {rule["alert"] for rule in rules() if "alert" in rule}
    assert {
        "TokenfleetNegativeMargin",
        "TokenfleetCostPerMillionTokensHigh",
        "TokenfleetTTFTBudgetBurnFast",
        "TokenfleetITLBudgetBurnFast",
        "TokenfleetUnitsDegraded",
        "TokenfleetPoolAtMax",
        "TokenfleetLateTokenBudgetExceeded",
    } <= names_


def test_rules_use_no_dashboard_variables() -> None:
    for rule in rules():
        assert "$" not in str(rule["expr"]), rule


def test_alert_expressions_read_exported_metrics_or_recorded_series() -> None:
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    exported = {metric.exported for metric in names.ALL}
    for rule in rules():
        if "alert" not in rule:
            continue
        used = {m for m in METRIC.findall(str(rule["expr"])) if "_" in m}
        used -= {"max", "sum", "by", "increase", "scalar", "and"}
        assert used <= recorded | exported, f"{rule['alert']}: {used - recorded - exported}"


def test_burn_limits_are_the_burn_factor_times_the_budget() -> None:
    by_name = {rule.get("alert"): rule for rule in rules()}
    fast = str(by_name["TokenfleetTTFTBudgetBurnFast"]["expr"])
    assert fast == (f"{slo.TTFT.record('1h')} > 0.144 and {slo.TTFT.record('5m')} > 0.144")
    assert "> 0.06" in str(by_name["TokenfleetITLBudgetBurnSlow"]["expr"])


def test_every_window_a_burn_alert_reads_is_recorded() -> None:
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for objective in slo.OBJECTIVES:
        for burn in (slo.FAST, slo.SLOW):
            assert objective.record(burn.long) in recorded
            assert objective.record(burn.short) in recorded


def test_the_threshold_group_comes_first_and_holds_the_default() -> None:
    first = alerts.all_groups()[0]
    assert first == {
        "name": "tokenfleet-thresholds",
        "rules": [{"record": alerts.THRESHOLD_RECORD, "expr": "vector(0.5)"}],
    }
    assert alerts.threshold_group(0.25)["rules"][0]["expr"] == "vector(0.25)"
    assert all(g["name"] != "tokenfleet-thresholds" for g in alerts.generated_groups())
