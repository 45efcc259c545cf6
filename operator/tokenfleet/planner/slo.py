"""How much of the late-token budget the last day used: a rolling ledger, pure.

Each planner run books the span since the previous one: the tokens that arrived (demand times
the span, summed over roles) and those of them that were late (`sim.late`'s definition: beyond
what the role's ready units serve at 100%, so the live figure and `simulate`'s are the same
measure). The fraction over the last `window` seconds, set beside the budget, is what status
reports. A span that straddles the window's start counts by its share inside.
"""

from __future__ import annotations

import dataclasses

DAY_SECONDS = 86_400.0


@dataclasses.dataclass(frozen=True)
class Span:
    end: float
    """POSIX seconds (clock time) the span ends at."""
    seconds: float
    arrived: float
    late: float


@dataclasses.dataclass(frozen=True)
class Figures:
    fraction: float | None
    """Late over arrived tokens; None when nothing arrived."""
    seconds: float
    """Clock seconds the figures cover (at most the window)."""

    def used(self, budget: float | None) -> float | None:
        """The share of `budget` used; None without a budget or a fraction."""
        if budget is None or budget <= 0 or self.fraction is None:
            return None
        return self.fraction / budget


@dataclasses.dataclass(frozen=True)
class Ledger:
    spans: tuple[Span, ...] = ()

    def add(self, span: Span, window: float = DAY_SECONDS) -> Ledger:
        """With `span` booked and what ended before the window forgotten."""
        if span.seconds <= 0:
            return self
        since = span.end - window
        kept = tuple(s for s in self.spans if s.end > since)
        return Ledger(spans=(*kept, span))

    def figures(self, now: float, window: float = DAY_SECONDS) -> Figures:
        since = now - window
        arrived = late = covered = 0.0
        for span in self.spans:
            if span.end <= since:
                continue
            share = min(1.0, (span.end - since) / span.seconds)
            arrived += span.arrived * share
            late += span.late * share
            covered += span.seconds * share
        return Figures(fraction=late / arrived if arrived > 0 else None, seconds=covered)
