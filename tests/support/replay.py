"""The demo's day as the e2e replays run it: the trace, the sample fleet, and the demo's own
default speed and warm-up, so the tests judge the day a newcomer's `make demo` shows."""

from __future__ import annotations

import datetime as dt
import pathlib

from tests.support import cluster as cluster_support

from tokenfleet.demo import driver

TRACE = cluster_support.ROOT / "traces" / "api-avgday-1d.csv"
SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
WARMUP = 14400
SPEED = 144
"""`tokenfleet demo`'s default."""


def options(
    namespace: str, out: pathlib.Path, hours: float, restart_at_seconds: float | None = None
) -> driver.Options:
    """The demo's day at its default speed and warm-up, the first `hours` of it."""
    return driver.Options(
        trace=TRACE,
        sample=SAMPLE,
        speed=SPEED,
        start=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
        warmup_seconds=WARMUP,
        namespace=namespace,
        out=out,
        keep=True,
        duration_seconds=hours * 3600,
        restart_at_seconds=restart_at_seconds,
    )
