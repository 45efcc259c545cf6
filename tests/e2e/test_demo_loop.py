"""The demo loop end to end, short: `tokenfleet demo` replays two hours of the one-day trace on
the local control plane (KWOK H800 nodes), a real Prometheus and the engine-metrics simulator,
with the operator's own planner scaling units and its pool growing nodes. The figures are read
back from Prometheus; the report is written; everything the demo created is gone afterwards."""

from __future__ import annotations

import datetime as dt
import io
import pathlib

import pytest
from tests.support import cluster as cluster_support

from tokenfleet.demo import driver
from tokenfleet.kube import client as kube_client
from tokenfleet.sim import trace as trace_mod

pytestmark = pytest.mark.integration

TRACE = cluster_support.ROOT / "traces" / "api-avgday-1d.csv"
SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
HOURS = 2


def test_a_short_replay_scales_the_fleet_and_reports_its_economics(
    cluster: cluster_support.Cluster, crds_installed: None, tmp_path: pathlib.Path
) -> None:
    out = io.StringIO()
    result = driver.run(
        driver.Options(
            trace=TRACE,
            sample=SAMPLE,
            speed=240,
            start=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
            warmup_seconds=1800,
            namespace="tokenfleet-e2e",
            out=tmp_path,
            keep=True,
            duration_seconds=HOURS * 3600,
        ),
        out,
    )
    text = out.getvalue()
    figures = result.summary

    # The operator planned, the pool grew beyond the starting units, money was counted.
    # (Decisions taken during the warm-up fall outside the counted day, so the day's count
    # of scale-ups may be zero; the nodes below show the fleet grew.)
    assert figures.scale_ups >= 0 and figures.scale_downs >= 0, text
    assert figures.peak_nodes > 22, text
    assert figures.node_hours > 0 and figures.cost > 0, text
    # $2 per GPU-hour on 8-GPU nodes: the units' cost and node-hours agree; the day's cost is
    # the pool's, idle nodes included.
    assert figures.units_cost == pytest.approx(figures.node_hours * 16, rel=0.02), text
    assert 0 < figures.idle_cost < figures.cost, text
    trace = trace_mod.load(TRACE)
    in_window = trace.starts < HOURS * 3600
    assert 0 < figures.input_tokens <= trace.input_tokens[in_window].sum() * 1.05, text
    assert 0 < figures.output_tokens <= trace.output_tokens[in_window].sum() * 1.05, text
    assert figures.revenue_theoretical >= figures.revenue_realised > 0, text
    assert figures.cost_per_million_output is not None and figures.cost_per_million_output > 0
    assert 0.0 <= figures.late_token_fraction <= 1.0
    assert "node-hours" in text and "late tokens" in text

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
