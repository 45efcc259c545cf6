"""The panels' quantities from samples of the exporter: gauges, rates over a window, growth
between samples, joins on labels, and the panel that says a simulation has no latencies."""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet.dashboards import catalog, model
from tokenfleet.report import frames

T0 = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def snap(minutes: float, **samples: list[tuple[dict[str, str], float]]) -> frames.Snapshot:
    return frames.Snapshot(at(minutes), samples)


COST = "tokenfleet_cost_total"
TOKENS = "tokenfleet_tokens_total"


def cost(usd: float, role: str = "decode") -> tuple[dict[str, str], float]:
    return ({"namespace": "ns", "deployment": "d", "role": role, "currency": "USD"}, usd)


def test_a_rate_spans_the_window_or_what_there_is_of_it() -> None:
    snaps = [snap(m, **{COST: [cost(m * 60)]}) for m in range(0, 31, 5)]  # $1 a second
    table = frames.rate(frames.Frames(snaps, 600), COST, ["currency"], {})
    (points,) = table.values()
    assert points[at(5)] == pytest.approx(1.0)
    assert points[at(30)] == pytest.approx(1.0)
    assert at(0) not in points


def test_a_counter_seen_late_counts_from_zero() -> None:
    snaps = [snap(0), snap(10, **{COST: [cost(600)]})]
    (points,) = frames.rate(frames.Frames(snaps, 3600), COST, ["currency"], {}).values()
    assert points[at(10)] == pytest.approx(1.0)


def test_gauges_are_summed_by_the_labels_kept_and_filtered_by_regex() -> None:
    snaps = [snap(0, **{COST: [cost(1, "prefill"), cost(2, "decode"), cost(4, "unified")]})]
    table = frames.gauge(frames.Frames(snaps, 60), COST, ["currency"], {"role": "decode|unified"})
    assert table == {(("currency", "USD"),): {at(0): 6.0}}


def test_growth_between_samples_counts_each_decision_once() -> None:
    name = "tokenfleet_scale_decisions_total"
    up = {"role": "decode", "direction": "up", "reason": "demand"}
    snaps = [snap(m, **{name: [(up, n)]}) for m, n in ((0, 0), (5, 1), (10, 1), (15, 3))]
    (points,) = frames.increase(frames.Frames(snaps, 3600), name, ["role"], {}).values()
    assert [points[at(m)] for m in (5, 10, 15)] == [1, 0, 2]


def test_a_join_divides_series_that_share_the_labels_named() -> None:
    a = {(("model", "r1"), ("kind", "realised")): {at(0): 6.0}}
    b = {(("model", "r1"),): {at(0): 3.0}, (("model", "v3"),): {at(0): 1.0}}
    joined = frames.combine(a, b, lambda x, y: x / y, ["model"])
    assert joined == {(("model", "r1"), ("kind", "realised")): {at(0): 2.0}}


def test_series_are_named_by_the_legend_and_sorted() -> None:
    table = {(("role", "prefill"),): {at(0): 1.0}, (("role", "decode"),): {at(0): 2.0}}
    lines = frames.series(table, "units {{role}}")
    assert [line.name for line in lines] == ["units decode", "units prefill"]


def test_latency_panels_have_no_simulated_counterpart() -> None:
    latency = next(p for p in catalog.SCALING.panels() if p.title.startswith("Time to first"))
    made = frames.panel(frames.Frames([snap(0), snap(5)], 60), latency)
    assert made.series == () and made.missing == frames.MISSING


def test_every_other_quantity_has_a_computation() -> None:
    engines = {q for q in model.Quantity if q.name.startswith(("TTFT", "ITL"))}
    assert set(frames.COMPUTE) == set(model.Quantity) - engines


def test_window_text_reads_like_the_variable() -> None:
    assert [frames.window_text(s) for s in (3600, 900, 90, 7200)] == ["1h", "15m", "90s", "2h"]
    with pytest.raises(ValueError, match="longer than zero"):
        frames.Frames([], 0)
