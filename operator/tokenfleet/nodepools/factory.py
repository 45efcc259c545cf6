"""Picks a provider by name, wrapped so every call is measured."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tokenfleet import clock as clock_mod
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import (
    clusterapi,
    errors,
    instrumented,
    karpenter,
    kwok,
    lending,
    metrics,
    provider,
)

Builder = Callable[[kube_client.Kube, clock_mod.Clock], provider.Provider]

BUILDERS: Mapping[str, Builder] = {
    "kwok": kwok.KwokProvider,
    "clusterapi": clusterapi.ClusterAPIProvider,
    "karpenter": karpenter.KarpenterProvider,
    "lending": lending.LendingProvider,
}


def create(
    name: str,
    kube: kube_client.Kube,
    clock: clock_mod.Clock,
    pool_metrics: metrics.PoolMetrics,
) -> provider.Provider:
    """The provider called `name`, instrumented; `UnknownProvider` lists the valid names."""
    build = BUILDERS.get(name)
    if build is None:
        raise errors.UnknownProvider(name, BUILDERS)
    return instrumented.Instrumented(build(kube, clock), pool_metrics)
