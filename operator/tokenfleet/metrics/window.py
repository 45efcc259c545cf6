"""The last hour (or any span) of clock time: what a deployment served, earned and spent in it.

Cost per million tokens and margin are ratios over a recent span, not since the operator
started: a night of idle units must not hide in a week's average. Each observation covers an
interval of clock time; one that straddles the start of the span counts by the share of it
inside the span (tokens, cost and revenue alike), so the figures slide smoothly with the clock
and do not jump when an old interval drops out. Pure: the instant is always an argument.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from decimal import Decimal

from tokenfleet.economics import revenue, tokens

HOUR = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Entry:
    """What one role did over [start, end): tokens served, their revenue, its nodes' cost."""

    start: dt.datetime
    end: dt.datetime
    role: str
    served: tokens.TokenCounts = dataclasses.field(default_factory=tokens.TokenCounts)
    earned: revenue.Revenue = dataclasses.field(default_factory=revenue.Revenue)
    cost: Decimal = Decimal(0)

    def share_after(self, since: dt.datetime) -> Decimal:
        """The part of the entry at or after `since`, 0..1; an instantaneous entry is all or
        nothing."""
        if self.end <= since:
            return Decimal(0)
        if self.start >= since:
            return Decimal(1)
        whole = (self.end - self.start) / dt.timedelta(microseconds=1)
        inside = (self.end - since) / dt.timedelta(microseconds=1)
        return Decimal(int(inside)) / Decimal(int(whole))


@dataclasses.dataclass(frozen=True)
class Totals:
    """Sums over a span, with cost kept per role (input/output split)."""

    served: tokens.TokenCounts = dataclasses.field(default_factory=tokens.TokenCounts)
    earned: revenue.Revenue = dataclasses.field(default_factory=revenue.Revenue)
    cost_by_role: dict[str, Decimal] = dataclasses.field(default_factory=dict)

    @property
    def cost(self) -> Decimal:
        return sum(self.cost_by_role.values(), Decimal(0))


class Window:
    """Entries of the last `length` of clock time; older ones are dropped as entries arrive."""

    def __init__(self, length: dt.timedelta = HOUR) -> None:
        if length <= dt.timedelta(0):
            raise ValueError(f"a window must be longer than zero, got {length}")
        self.length = length
        self._entries: collections.deque[Entry] = collections.deque()

    def add(self, entry: Entry) -> None:
        if entry.end < entry.start:
            raise ValueError(f"an entry must end after it starts: {entry.start} .. {entry.end}")
        self._entries.append(entry)
        self._drop_before(entry.end - self.length)

    def _drop_before(self, since: dt.datetime) -> None:
        # Entries arrive roughly in order; one that is late stays until those before it go.
        while self._entries and self._entries[0].end <= since:
            self._entries.popleft()

    def totals(self, now: dt.datetime) -> Totals:
        """Sums over [now - length, now]; entries partly inside count by their share."""
        since = now - self.length
        served = tokens.TokenCounts()
        earned = revenue.Revenue()
        cost: dict[str, Decimal] = {}
        for entry in self._entries:
            share = entry.share_after(since)
            if share == 0:
                continue
            served += entry.served if share == 1 else entry.served.scaled(float(share))
            earned += revenue.Revenue(
                entry.earned.theoretical * share, entry.earned.realised * share
            )
            cost[entry.role] = cost.get(entry.role, Decimal(0)) + entry.cost * share
        return Totals(served, earned, cost)
