"""The demo loop end to end, short: `tokenfleet demo` replays the first three hours of the
one-day trace on the local control plane (KWOK H800 nodes), a real Prometheus and the
engine-metrics simulator, with the operator's own planner scaling units and its pool growing
nodes, at the demo's default speed (144x). The live day must keep the simulator's promise: late
tokens within 0.3 percentage points of `tokenfleet simulate` of the same hours, start and fleet
(read the way the live loop reads demand at this speed), node-hours within 5%, and the
operator's books within 0.5% both ways of what the engines served (the trace's tokens, plus
what waited in their queues at the start, less what waits at the end or was dropped). The
report is written; everything the demo created is gone afterwards."""

from __future__ import annotations

import io
import pathlib

import pytest
from tests.support import cluster as cluster_support
from tests.support.replay import assert_books_hold_what_the_engines_served, options

from tokenfleet.demo import driver
from tokenfleet.kube import client as kube_client

pytestmark = pytest.mark.integration

HOURS = 3


def test_a_short_replay_scales_the_fleet_and_reports_its_economics(
    cluster: cluster_support.Cluster,
    crds_installed: None,
    demo_prometheus: None,
    tmp_path: pathlib.Path,
) -> None:
    out = io.StringIO()
    result = driver.run(options("tokenfleet-e2e", tmp_path, HOURS), out)
    text = out.getvalue()
    print(text)  # the demo's table, for `pytest -rP`
    figures = result.summary

    sim = result.simulated
    # Parity with the simulator on the same hours, start and fleet.
    assert abs(figures.late_token_fraction - sim.late_token_fraction) <= 0.003, text
    assert figures.node_hours == pytest.approx(sim.node_hours, rel=0.05), text
    # The books hold every token the engines served over the span they cover.
    assert_books_hold_what_the_engines_served(result.books, HOURS, text)
    # $2 per GPU-hour on 8-GPU nodes: the units' cost and node-hours agree; the day's cost is
    # the pool's, its idle nodes' included.
    assert figures.units_cost == pytest.approx(figures.node_hours * 16, rel=0.02), text
    assert figures.cost == pytest.approx(figures.units_cost + figures.idle_cost, rel=0.02), text
    assert figures.revenue_theoretical > figures.revenue_realised > 0, text
    # Every loop stepped and its timing was printed with the lag behind the clock.
    assert {t.loop for t in result.timing if t.steps > 0} == {
        "reconcile",
        "autoscaling",
        "pool",
        "prices-in-force",
    }, text
    assert "p99 lag" in text and "tokenfleet simulate of the same hours" in text

    # The report: a self-contained page and a PNG per dashboard.
    assert result.report is not None and result.report.exists()
    page = result.report.read_text()
    assert "data:image/png;base64," in page
    assert len(list(tmp_path.glob("*.png"))) >= 4

    # Nothing left: the namespace, the pool and its nodes are gone.
    kube = kube_client.Kube.from_kubeconfig(cluster.kubeconfig)
    try:
        assert kube.get_or_none("v1", "Namespace", "tokenfleet-e2e") is None
        assert kube.get_or_none("tokenfleet.io/v1alpha1", "GPUNodePool", "h800") is None
        assert kube.list("v1", "Node", labels={"tokenfleet.io/pool": "h800"}) == []
    finally:
        kube.close()
