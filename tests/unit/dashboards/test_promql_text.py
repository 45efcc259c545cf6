"""The small text tools behind dashboards and alerts: variable substitution, legends, clock-time
rates, `le` matchers for bucket bounds however an engine writes them, and SLO error ratios."""

from __future__ import annotations

import re

import pytest

from tokenfleet.dashboards import model, promql, slo
from tokenfleet.enginesim import fleet


def test_substitution_fills_both_spellings_and_refuses_unknown_names() -> None:
    values = model.variables_for("30s")
    expr = 'rate(x{namespace=~"$namespace", d=~"${deployment}"}[$window])'
    assert model.substitute(expr, values) == 'rate(x{namespace=~".*", d=~".*"}[30s])'
    assert model.substitute("increase(x[$__interval])", values) == "increase(x[30s])"
    with pytest.raises(KeyError, match="datasource"):
        model.substitute("$datasource", values)


def test_legends_fill_labels_and_drop_missing_ones() -> None:
    labels = {"deployment": "dsv3", "role": "decode"}
    assert model.legend("{{deployment}} {{ role }} {{kind}}", labels) == "dsv3 decode"


def test_per_hour_rates_are_divided_by_the_clock_speed() -> None:
    expr = promql.per_clock_hour("sum(rate(x[5m]))")
    assert expr == "sum(rate(x[5m])) * 3600 / scalar(max(tokenfleet_clock_speed))"


@pytest.mark.parametrize(
    ("bound", "written", "matches"),
    [(1.0, "1.0", True), (1.0, "1", True), (1.0, "10", False), (0.1, "0.1", True)],
)
def test_le_matchers_match_a_bound_as_engines_write_it(
    bound: float, written: str, matches: bool
) -> None:
    matcher = promql.le_matcher(bound)
    op, quoted = re.fullmatch(r'le(=~|=)"(.*)"', matcher).groups()  # type: ignore[union-attr]
    pattern = quoted.replace("\\\\", "\\")
    hit = re.fullmatch(pattern, written) is not None if op == "=~" else pattern == written
    assert hit is matches


def test_slo_thresholds_are_bucket_bounds_of_the_engines() -> None:
    # SGLang's and vLLM's default buckets share these bounds (REFERENCE.md §3.4, §4.4), and the
    # engine simulator uses SGLang's.
    assert slo.TTFT.threshold_seconds in fleet.TTFT_BUCKETS
    assert slo.ITL.threshold_seconds in fleet.ITL_BUCKETS
    assert slo.TTFT.budget == pytest.approx(0.01)


def test_an_slo_error_ratio_reads_the_bound_bucket_of_every_engine_name() -> None:
    expr = slo.ITL.error_ratio("5m")
    for name in promql.ITL_NAMES:
        assert f"{name}_bucket{{" in expr and f"{name}_count{{" in expr
    assert "$" not in expr
    dashboard = slo.ITL.error_ratio("$window", promql.ENGINE_PODS)
    assert 'tokenfleet_io_deployment=~"$deployment"' in dashboard
