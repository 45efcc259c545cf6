"""The one interface the controllers read signals through, and the choice between sources."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from tokenfleet import clock as clocks
from tokenfleet.signals import prometheus, scrape, snapshot


class SignalSource(Protocol):
    """Reads every role it can see at once. Never raises for an unreachable engine or
    Prometheus: what could not be read is missing (None or an absent role)."""

    async def sample(self) -> snapshot.Snapshot: ...


def make_source(
    prometheus_url: str | None,
    clock: clocks.Clock,
    targets: Callable[[], Sequence[scrape.Target]],
    window_seconds: float = 60.0,
) -> SignalSource:
    """Prometheus when a URL is configured, else the direct scrape of `targets`."""
    if prometheus_url:
        return prometheus.PrometheusSource(
            prometheus_url, clock, window_seconds=window_seconds, readings=prometheus.PLANNED
        )
    return scrape.ScrapeSource(targets, clock)
