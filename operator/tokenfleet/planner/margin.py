"""The surprise margin: room for bursts, sized by how often recent ones would have used it.

Each run, demand is divided by what the baseline expected for now one lead time earlier. Those
ratios, over a recent window, say how demand outran (or fell short of) the forecast: a sample of
what the next lead time may bring. Bursts cluster, so the window is a burst's neighbourhood (an
hour or two), not the whole day; after a calm window the margin is gone.

A margin unit is not bought to cover the worst ratio of the window, but when it is worth its
nodes: with demand drawn from the window's ratios times what is expected now, the share of the
unit's capacity that demand above the units below it would fill on average (its *use*) must
reach a bar. This is the newsvendor's rule, one unit at a time: for small units it is a high
quantile of the ratios; for a coarse unit (a decode unit of 18 nodes) it asks whether bursts
reach far enough into it, often enough, to pay for all of it. The caller sets the bar per role.

With a late-token budget (`autoscaling.slo.lateTokenBudget`) the rule is the SLO's instead: the
fewest units whose expected share of late tokens, over the same ratios, is within the budget
(`units_within`), so a tighter budget buys more margin and a looser one less, at least cost.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Callable

Seen = tuple[float, float, float]
"""(POSIX seconds, demand over the forecast for now, seconds it stands for)."""

MAX_UNITS = 4096
"""Far beyond any fleet: the search for the margin's units stops here."""


@dataclasses.dataclass(frozen=True)
class Surprises:
    """The ratios of demand to forecast seen over the last window, oldest first."""

    seen: tuple[Seen, ...] = ()
    highs: tuple[tuple[float, float], ...] = ()
    """(time, ratio) of the ratios no later one exceeds, falling: the first is the peak."""

    def add(self, t: float, ratio: float, weight: float, window: float) -> Surprises:
        """With `ratio` seen at `t` standing for `weight` seconds, and what is older than
        `window` before `t` forgotten."""
        since = t - window
        start = 0
        while start < len(self.seen) and self.seen[start][0] <= since:
            start += 1
        seen = self.seen[start:]
        first = 0
        while first < len(self.highs) and self.highs[first][0] <= since:
            first += 1
        highs = self.highs[first:]
        if weight > 0:
            seen = (*seen, (t, ratio, weight))
            keep = len(highs)
            while keep and highs[keep - 1][1] <= ratio:
                keep -= 1
            highs = (*highs[:keep], (t, ratio))
        return Surprises(seen=seen, highs=highs)

    @property
    def peak(self) -> float:
        """The largest ratio of the window; 1 when there is none."""
        return self.highs[0][1] if self.highs else 1.0

    def units(self, expected: float, unit_capacity: float, bar: float) -> int:
        """Whole units whose last one would still be used at least `bar` of its capacity when
        demand is `expected` times a ratio of the window; 0 with no ratio or no demand."""
        if not self.seen or expected <= 0 or unit_capacity <= 0:
            return 0
        tail = _Tail.of(self.seen)

        def use(k: int) -> float:
            """The share of unit k+1's capacity demand would fill on average."""
            low, high = k * unit_capacity / expected, (k + 1) * unit_capacity / expected
            return (tail.above(low) - tail.above(high)) * expected / unit_capacity

        # use(k) falls as k grows: the first k whose unit is not worth it.
        return _first(lambda k: use(k) < bar)

    def units_within(self, expected: float, unit_capacity: float, budget: float) -> int:
        """The fewest whole units that keep the expected share of late tokens within `budget`
        when demand is `expected` times a ratio of the window: k units leave
        E[(ratio x expected - k x capacity)+] late of E[ratio x expected] arriving. 0 with no
        ratio or no demand."""
        if not self.seen or expected <= 0 or unit_capacity <= 0:
            return 0
        tail = _Tail.of(self.seen)
        mean = tail.above(0.0)
        if mean <= 0:
            return 0

        def late(k: int) -> float:
            return tail.above(k * unit_capacity / expected) / mean

        # late(k) falls as k grows: the first k within the budget.
        return _first(lambda k: late(k) <= budget)


def _first(enough: Callable[[int], bool]) -> int:
    """The least k >= 0 that is `enough`, for a test that stays true once it holds (at most
    MAX_UNITS): doubling, then bisection."""
    high = 1
    while not enough(high) and high < MAX_UNITS:
        high *= 2
    low = 0
    while low < high:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle + 1
    return low


@dataclasses.dataclass(frozen=True)
class _Tail:
    """The window's ratios, largest first, with running sums: E[(ratio - a)+] in O(log n)."""

    descending: list[float]
    """Ratios negated, so `bisect` finds how many exceed a bound."""
    weight_sums: list[float]
    moment_sums: list[float]
    total: float

    @classmethod
    def of(cls, seen: tuple[Seen, ...]) -> _Tail:
        pairs = sorted(((ratio, weight) for _, ratio, weight in seen), reverse=True)
        return cls(
            descending=[-ratio for ratio, _ in pairs],
            weight_sums=list(itertools.accumulate((w for _, w in pairs), initial=0.0)),
            moment_sums=list(itertools.accumulate((r * w for r, w in pairs), initial=0.0)),
            total=sum(w for _, w in pairs),
        )

    def above(self, a: float) -> float:
        """The weighted mean of max(0, ratio - a)."""
        n = bisect.bisect_left(self.descending, -a)  # ratios strictly above a
        return (self.moment_sums[n] - a * self.weight_sums[n]) / self.total
