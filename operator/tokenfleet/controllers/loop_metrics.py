"""How long the controllers' steps take and how far they run behind the clock.

`tokenfleet_reconcile_duration_seconds{loop}` is the real time one step of a loop took (a step
that takes long at a fast clock lets the fleet fall behind its demand);
`tokenfleet_loop_lag_seconds` is, in seconds of the operator's clock, how late a step finished
after it was due: its wait for a free slot plus its own duration, scaled by the clock's speed.
The demo prints its p99 and says when the machine is too slow for the chosen speed.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from prometheus_client import Histogram
from prometheus_client.registry import CollectorRegistry

RECONCILE_SECONDS: Final = "tokenfleet_reconcile_duration_seconds"
LAG_SECONDS: Final = "tokenfleet_loop_lag_seconds"

LOOPS: Final = ("reconcile", "autoscaling", "pool", "prices-in-force")
"""The ticker's loops, exported from the start at zero."""

# Steps read caches and write only on change: milliseconds when healthy; seconds is the bug.
STEP_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Lag in clock seconds: a step interval (30 s) is the scale that matters.
LAG_BUCKETS: Final = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


@dataclasses.dataclass(frozen=True)
class LoopMetrics:
    """The two histograms, registered once on the exporter's registry."""

    step_seconds: Histogram
    lag_seconds: Histogram

    @classmethod
    def on(cls, registry: CollectorRegistry) -> LoopMetrics:
        out = cls(
            step_seconds=Histogram(
                RECONCILE_SECONDS,
                "Real seconds one step of a controller loop took, by loop.",
                ("loop",),
                buckets=STEP_BUCKETS,
                registry=registry,
            ),
            lag_seconds=Histogram(
                LAG_SECONDS,
                "Clock seconds from when a loop's step was due to when it finished, by loop.",
                ("loop",),
                buckets=LAG_BUCKETS,
                registry=registry,
            ),
        )
        for loop in LOOPS:
            out.step_seconds.labels(loop)
            out.lag_seconds.labels(loop)
        return out
