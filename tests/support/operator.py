"""Run the real operator in-process against the test cluster, on a clock the test controls."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.support import cluster as cluster_support

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import operator, settings
from tokenfleet.kube import client as kube_client


@contextlib.contextmanager
def running(
    cluster: cluster_support.Cluster,
    clock: clock_mod.Clock,
    interval: float = 1.0,
    engine_metrics_url: str | None = None,
) -> Iterator[operator.Operator]:
    kube = kube_client.Kube.from_kubeconfig(cluster.kubeconfig)
    op = operator.build(
        settings.Settings(
            kubeconfig=str(cluster.kubeconfig),
            metrics_port=0,
            engine_metrics_url=engine_metrics_url,
            # A FakeClock does not move on its own: steps repeat every half real second.
            reconcile=settings.ReconcileSettings(
                inference_interval=interval,
                pool_interval=interval,
                pricing_interval=interval,
                min_real_interval=0.5,
            ),
        ),
        clock=clock,
        kube=kube,
    )
    try:
        with operator.InThread(op):
            yield op
    finally:
        kube.close()
