"""The node-pool side's own metrics: provider call latency and errors, and node changes.

Names follow Prometheus conventions (`tokenfleet_` prefix, seconds, `_total` added by the client
library on counters). They live on the registry the caller passes (the operator's exporter
registry), never the global one. Nodes by state, desired nodes and idle cost are exported by the
operator's exporter from what the GPUNodePool controller reports to it.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Final

from prometheus_client import Counter, Histogram
from prometheus_client.registry import CollectorRegistry

from tokenfleet.nodepools import provider

PROVIDER_CALL_SECONDS: Final = "tokenfleet_nodepool_provider_call_duration_seconds"
PROVIDER_ERRORS: Final = "tokenfleet_nodepool_provider_errors"
NODE_CHANGES: Final = "tokenfleet_nodepool_node_changes"

METHODS: Final = ("observe", "settle", "scale", "release", "reclaim")

# Provider calls are API round trips: milliseconds when idle, seconds when creating hundreds
# of Nodes in one call.
BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Action(enum.StrEnum):
    """What happened to nodes (tokenfleet_nodepool_node_changes_total{action})."""

    REQUESTED = "requested"
    READY = "ready"
    DRAINING = "draining"
    KEPT = "kept"
    RELEASED = "released"
    LENT = "lent"
    RECLAIMED = "reclaimed"


@dataclasses.dataclass(frozen=True)
class PoolMetrics:
    """The collectors, registered once on one registry."""

    call_seconds: Histogram
    errors: Counter
    changes: Counter

    @classmethod
    def on(cls, registry: CollectorRegistry) -> PoolMetrics:
        out = cls(
            call_seconds=Histogram(
                PROVIDER_CALL_SECONDS,
                "Duration of node-pool provider calls, by provider and method.",
                ("provider", "method"),
                buckets=BUCKETS,
                registry=registry,
            ),
            errors=Counter(
                PROVIDER_ERRORS,
                "Node-pool provider calls that failed, by provider, method and error reason.",
                ("provider", "method", "error"),
                registry=registry,
            ),
            changes=Counter(
                NODE_CHANGES,
                "Nodes of a GPUNodePool that changed state, by what happened to them.",
                ("pool", "provider", "action"),
                registry=registry,
            ),
        )
        # Known label sets start at zero, so increase() sees the first call, not a new series.
        for name in provider.NAMES:
            for method in METHODS:
                out.call_seconds.labels(name, method)
        return out
