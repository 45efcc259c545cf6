"""The GPUNodePool controller as kopf runs it, next to the real InferenceDeployment controller.

Covered: `register` adds handlers that kopf runs in-process against the real control plane;
on a clock 600 times faster than real time, an InferenceDeployment's units make the pool grow
on its own timer, the 10-minute provisioning delay passes in about a second, the units' pods
run and both objects report ready in status.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.registry import CollectorRegistry
from tests.integration.nodepools import fleet
from tests.support import cluster as cluster_support

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.controllers import operator, settings
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import metrics

pytestmark = pytest.mark.integration
SPEED = 600.0
TEST_LABEL = "tokenfleet.io/test-pool"


@pytest.fixture
def running(
    cluster: cluster_support.Cluster, registry: CollectorRegistry, namespace: str, pool_name: str
) -> Iterator[None]:
    """The operator on a fast clock, kept to this test's namespace and pool (the cluster is
    shared: other tests' pools and deployments are not this operator's to touch)."""
    kube = kube_client.Kube.from_kubeconfig(cluster.kubeconfig)
    clock = clock_mod.ScaledClock(dt.datetime(2025, 1, 6, 2, 0, tzinfo=dt.UTC), SPEED)
    reconcile = settings.ReconcileSettings(inference_interval=30, pool_interval=30)
    op = operator.build(
        settings.Settings(
            kubeconfig=str(cluster.kubeconfig),
            metrics_port=0,
            reconcile=reconcile,
            namespaces=(namespace,),
            pool_selector=((TEST_LABEL, pool_name),),
        ),
        clock=clock,
        kube=kube,
    )
    registry.register(_Forward(op.ctx.ledger.registry))
    try:
        with operator.InThread(op):
            yield
            # Deleted while the operator runs, as a user would.
            kube.delete(common.API_VERSION, "GPUNodePool", pool_name)
            fleet.eventually(
                "the pool deleted",
                lambda: kube.get_or_none(common.API_VERSION, "GPUNodePool", pool_name) is None,
            )
    finally:
        kube.close()


class _Forward:
    """Exposes the operator's own metrics registry to the test's `registry` fixture."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Any:
        return self.source.collect()


def test_kopf_grows_the_pool_for_an_inference_deployment_and_its_units_become_ready(
    kube: kube_client.Kube,
    namespace: str,
    pool_name: str,
    registry: CollectorRegistry,
    running: None,
) -> None:
    start = time.monotonic()
    pool = fleet.pool(pool_name)
    pool["metadata"]["labels"] = {TEST_LABEL: pool_name}
    kube.apply(pool)
    kube.apply(fleet.inference_deployment("v3", namespace, pool_name, nodesPerUnit=2, minUnits=2))

    def units_ready() -> bool:
        obj = kube.get(common.API_VERSION, "InferenceDeployment", "v3", namespace)
        return (obj.get("status") or {}).get("readyUnits") == "2/2"

    fleet.eventually("2 of 2 units ready", units_ready, timeout=120)
    took = time.monotonic() - start
    fleet.eventually(
        "the pool's status: 4 ready, 4 allocated",
        lambda: (fleet.pool_status(kube, pool_name).get("nodes") or {}).get("allocated") == 4,
        timeout=30,
    )
    status = fleet.pool_status(kube, pool_name)
    assert status["desiredNodes"] == 4 and status["nodes"]["ready"] == 4
    assert len(fleet.pool_nodes(kube, pool_name)) == 4
    assert {"NodesRequested", "NodesReady"} <= set(fleet.events(kube, pool_name))
    timed = registry.get_sample_value(
        metrics.PROVIDER_CALL_SECONDS + "_count", {"provider": "kwok", "method": "scale"}
    )
    assert timed is not None and timed >= 1
    print(f"\nunits ready {took:.1f}s after apply (600 s of provisioning at {SPEED:.0f}x)")
