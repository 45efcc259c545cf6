"""Which source the operator reads: Prometheus when a URL is configured, else the direct scrape."""

from __future__ import annotations

import datetime as dt

from tokenfleet import clock as clocks
from tokenfleet.signals import prometheus, scrape, source

CLOCK = clocks.FakeClock(dt.datetime(2025, 1, 6, tzinfo=dt.UTC))


def test_a_prometheus_url_selects_the_prometheus_source() -> None:
    chosen = source.make_source("http://prometheus:9090", CLOCK, list)
    assert isinstance(chosen, prometheus.PrometheusSource)


async def test_no_url_selects_the_direct_scrape_of_the_given_targets() -> None:
    chosen = source.make_source(None, CLOCK, list)
    assert isinstance(chosen, scrape.ScrapeSource)
    assert (await chosen.sample()).roles == {}
    await chosen.aclose()
