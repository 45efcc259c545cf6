"""A short day for the report tests: DeepSeek's reference fleet on a six-hour trace that ramps
up and down, ten-minute rows, starting at 14:00 UTC so R1's night discount (16:30) falls inside."""

from __future__ import annotations

import datetime as dt
import functools
import pathlib

from tokenfleet.report import data, simulated
from tokenfleet.sim import fleet, trace

SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"
START = dt.datetime(2025, 1, 6, 14, tzinfo=dt.UTC)
ROW = 600


def ramp() -> trace.Trace:
    """36 rows: 1M input tok/s (56% cached) and 0.3M output tok/s, up to 6x at the middle."""
    rows = []
    for row in range(36):
        level = 1 + 5 * (1 - abs(row - 18) / 18)
        rows.append((row * ROW, 1e6 * level * ROW, 0.56e6 * level * ROW, 0.3e6 * level * ROW))
    return trace.build("ramp", rows)


def reference() -> fleet.Fleet:
    return fleet.load(SAMPLE)


@functools.cache
def made() -> data.Report:
    return simulated.report(ramp(), reference(), "tokenfleet", START, window_seconds=1800)
