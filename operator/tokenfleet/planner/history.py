"""What the planner remembers of a role's demand: recent samples and a daily profile.

Both are immutable values updated by returning new ones, so the state a decision was made from
can be kept, compared and replayed. Times are POSIX seconds taken from the observation's instant,
never from a clock of our own.

The profile averages demand over fixed buckets of the real clock (five minutes by default) and
keeps as many days as the forecast looks back. Its bucket index is the POSIX time divided by the
bucket length, so "the same time yesterday" is simply 86400 seconds earlier.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable

Sample = tuple[float, float]
"""(POSIX seconds, tokens per second)."""

DAY_SECONDS = 86400


def recent(
    samples: tuple[Sample, ...], t: float, x: float, keep_seconds: float
) -> tuple[Sample, ...]:
    """`samples` with (t, x) appended and those older than `keep_seconds` before t dropped."""
    oldest = t - keep_seconds
    start = 0
    while start < len(samples) and samples[start][0] <= oldest:
        start += 1
    return (*samples[start:], (t, x))


def median_since(samples: Iterable[Sample], since: float) -> float | None:
    values = [x for t, x in samples if t > since]
    return statistics.median(values) if values else None


@dataclasses.dataclass(frozen=True)
class Line:
    """A least-squares line through recent samples: value now, slope per second, fit quality."""

    value: float
    slope: float
    r2: float


def fit_line(samples: Iterable[Sample], since: float) -> tuple[Line, int] | None:
    """The line through the samples after `since`, and how many there were; None for < 2."""
    points = [(t, x) for t, x in samples if t > since]
    n = len(points)
    if n < 2:
        return None
    t_mean = sum(t for t, _ in points) / n
    x_mean = sum(x for _, x in points) / n
    stt = sum((t - t_mean) ** 2 for t, _ in points)
    if stt == 0:
        return None
    stx = sum((t - t_mean) * (x - x_mean) for t, x in points)
    sxx = sum((x - x_mean) ** 2 for _, x in points)
    slope = stx / stt
    r2 = (stx * stx) / (stt * sxx) if sxx > 0 else 0.0
    last_t = points[-1][0]
    return Line(value=x_mean + slope * (last_t - t_mean), slope=slope, r2=r2), n


@dataclasses.dataclass(frozen=True)
class Profile:
    """Mean demand per bucket of the real clock; the bucket being filled is kept apart."""

    bucket_seconds: int = 300
    first: int = 0
    """Bucket index of `means[0]`."""
    means: tuple[float | None, ...] = ()
    """Completed buckets in order; None where no sample fell."""
    open_index: int | None = None
    open_sum: float = 0.0
    open_count: int = 0

    def index(self, t: float) -> int:
        return int(t // self.bucket_seconds)

    def mean(self, index: int) -> float | None:
        """The mean of a completed bucket, or None when it is unknown or still open."""
        offset = index - self.first
        if 0 <= offset < len(self.means):
            return self.means[offset]
        return None

    def add(self, t: float, x: float, keep_days: int) -> Profile:
        """The profile with sample (t, x) counted; buckets older than `keep_days` are dropped."""
        index = self.index(t)
        if self.open_index is None:
            return dataclasses.replace(
                self, first=index, open_index=index, open_sum=x, open_count=1
            )
        if index == self.open_index:
            return dataclasses.replace(
                self, open_sum=self.open_sum + x, open_count=self.open_count + 1
            )
        if index < self.open_index:
            return self  # a late sample for a closed bucket: the profile does not go back
        closed = self.open_sum / self.open_count
        gap = index - self.open_index - 1
        means = (*self.means, closed) if not gap else (*self.means, closed, *([None] * gap))
        first = self.first if self.means else self.open_index
        keep = keep_days * DAY_SECONDS // self.bucket_seconds + 2
        if len(means) > keep:
            first += len(means) - keep
            means = means[-keep:]
        return Profile(
            bucket_seconds=self.bucket_seconds,
            first=first,
            means=means,
            open_index=index,
            open_sum=x,
            open_count=1,
        )

    @property
    def days(self) -> float:
        """How many days of completed buckets the profile holds."""
        return len(self.means) * self.bucket_seconds / DAY_SECONDS
