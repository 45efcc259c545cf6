"""Fixtures of the node-pool tests: the controller driven on a fake clock, a pool per test,
and the third-party CRDs (Cluster API, Karpenter) installed from their Go modules."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client
from prometheus_client.registry import CollectorRegistry
from tests.support import cluster as cluster_support

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.controllers import context, gpu_node_pools, settings
from tokenfleet.kube import client as kube_client
from tokenfleet.metrics import exporter
from tokenfleet.nodepools import metrics
from tokenfleet.workloads import labels

T0 = dt.datetime(2025, 1, 6, 2, 0, tzinfo=dt.UTC)  # a Monday, 02:00 UTC


@pytest.fixture(scope="session")
def thirdparty_crds(cluster: cluster_support.Cluster) -> list[str]:
    """Cluster API and Karpenter CRDs, applied and Established; their folders."""
    out = subprocess.run(
        ["bash", str(cluster_support.HACK / "install-crds-thirdparty.sh"), "--apply"],
        env=cluster.env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"hack/install-crds-thirdparty.sh failed:\n{out.stderr}")
    return out.stdout.split()


@pytest.fixture
def kube(api_client: client.ApiClient) -> kube_client.Kube:
    return kube_client.Kube(api_client)


@pytest.fixture
def clock() -> clock_mod.FakeClock:
    return clock_mod.FakeClock(T0)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def reconciler(
    kube: kube_client.Kube, clock: clock_mod.FakeClock, registry: CollectorRegistry
) -> gpu_node_pools.Reconciler:
    ctx = context.Context(
        clock=clock,
        kube=kube,
        settings=settings.Settings(),
        ledger=exporter.FleetLedger(clock, CollectorRegistry()),
    )
    return gpu_node_pools.Reconciler(ctx, metrics.PoolMetrics.on(registry))


@pytest.fixture
def pool_name(kube: kube_client.Kube, crds_installed: None) -> Iterator[str]:
    """A fresh pool name; the pool and every node carrying its label are deleted afterwards."""
    name = f"np-{uuid.uuid4().hex[:6]}"
    yield name
    kube.delete(common.API_VERSION, "GPUNodePool", name)
    for node in kube.list("v1", "Node", labels=labels.pool_label(name)):
        kube.delete("v1", "Node", node["metadata"]["name"])


@pytest.fixture
def make_node(kube: kube_client.Kube) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Apply a Node object for the test; every one made is deleted afterwards."""
    made: list[str] = []

    def make(obj: dict[str, Any]) -> str:
        kube.apply(obj)
        made.append(obj["metadata"]["name"])
        return str(obj["metadata"]["name"])

    yield make
    for name in made:
        kube.delete("v1", "Node", name)
