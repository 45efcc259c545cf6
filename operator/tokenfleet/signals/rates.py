"""Rate and quantile arithmetic on two readings of counters, as Prometheus does it.

Pure functions for the direct-scrape source, which has no Prometheus to compute `rate()` and
`histogram_quantile()` for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def increase(previous: float, current: float) -> float:
    """How much a counter grew; a drop means the engine restarted and counts from zero again."""
    if current < previous:
        return current
    return current - previous


def bucket_increase(
    previous: Mapping[float, float], current: Mapping[float, float]
) -> dict[float, float]:
    """Per-bucket growth of a cumulative histogram; a reset of any bucket resets them all."""
    if any(current.get(le, 0.0) < count for le, count in previous.items()):
        return dict(current)
    return {le: current[le] - previous.get(le, 0.0) for le in current}


def sum_buckets(histograms: Iterable[Mapping[float, float]]) -> dict[float, float]:
    """Adds histograms bucket by bucket (all series of a role)."""
    total: dict[float, float] = {}
    for histogram in histograms:
        for le, count in histogram.items():
            total[le] = total.get(le, 0.0) + count
    return total


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The `q` quantile of cumulative buckets (upper bound -> count), interpolated linearly.

    Follows PromQL's `histogram_quantile`: the lowest bucket starts at 0, a quantile that
    falls in the +Inf bucket is the highest finite bound. None when there are no observations
    or no +Inf bucket (the histogram is incomplete).
    """
    if not 0 < q < 1:
        raise ValueError("a quantile lies strictly between 0 and 1")
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for le in bounds:
        count = buckets[le]
        if count >= rank:
            if math.isinf(le):
                return bounds[-2] if len(bounds) > 1 else None
            if le <= 0:
                return le
            return lower_bound + (le - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = le, count
    return None
