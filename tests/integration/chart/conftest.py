"""Fixtures of the chart tests: helm from the cluster's bin_dir, and the CRDs of the objects the
chart renders beyond its own (kopf peering, the Prometheus Operator's), installed for real."""

from __future__ import annotations

import pytest
import yaml
from tests.integration.chart import helm as helm_support
from tests.integration.chart import thirdparty
from tests.support import cluster as cluster_support


@pytest.fixture(scope="session")
def helm(cluster: cluster_support.Cluster) -> helm_support.Helm:
    tool = helm_support.Helm(cluster)
    assert tool.binary.exists(), f"no helm in {cluster.bin_dir}: run hack/install-bins.sh"
    return tool


@pytest.fixture(scope="session")
def monitoring_crds(cluster: cluster_support.Cluster) -> None:
    """ServiceMonitor and PrometheusRule, from the Prometheus Operator's Go module."""
    thirdparty.apply_crds(cluster, thirdparty.prometheus_operator_crds())


@pytest.fixture(scope="session")
def peering_crds(cluster: cluster_support.Cluster, helm: helm_support.Helm) -> None:
    """kopf's peering CRDs as the chart renders them, so that its peering objects validate.

    Applied with kubectl (not owned by any release) unless already there: what a cluster that
    runs another kopf operator looks like.
    """
    names = ("clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev")
    if all(cluster.kubectl("get", "crd", n, check=False).returncode == 0 for n in names):
        return
    docs = helm.template()
    crds = [
        d
        for d in helm_support.of_kind(docs, "CustomResourceDefinition")
        if d["spec"]["group"] == "kopf.dev"
    ]
    assert {d["metadata"]["name"] for d in crds} == set(names)
    cluster.kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump_all(crds))
    for name in names:
        cluster.kubectl("wait", "--for=condition=Established", f"crd/{name}", "--timeout=60s")
