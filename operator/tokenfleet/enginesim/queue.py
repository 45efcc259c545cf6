"""A role's waiting line: work served first come, first served against capacity, or dropped.

Pure functions on an immutable queue. Work is fluid: a `Batch` is what arrived evenly over one
span of time, and serving or dropping takes a fraction of it, from its oldest end. Over a span
in which demand and capacity are constant this is exact: a queue of Q tokens offered A more
against a budget B serves min(Q + A, B), as a real engine's scheduler working through its
waiting list at full speed would.

Capacity is counted in one kind of token (`Measure`): prompt tokens for prefill, generated
tokens for decode and unified, as `Settings.capacity` and the planner count them. The rest of
a batch (the other tokens, its requests) is served or dropped in the same proportion, so a
request's prompt and answer always travel together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

# Shares below this are rounding left-overs of a batch served whole.
_EPSILON = 1e-9


@dataclasses.dataclass(frozen=True)
class Work:
    """Tokens (cached is part of input) and the requests that carry them."""

    input: float = 0.0
    cached: float = 0.0
    output: float = 0.0
    requests: float = 0.0

    def __add__(self, other: Work) -> Work:
        return Work(
            self.input + other.input,
            self.cached + other.cached,
            self.output + other.output,
            self.requests + other.requests,
        )

    def scaled(self, factor: float) -> Work:
        return Work(
            self.input * factor,
            self.cached * factor,
            self.output * factor,
            self.requests * factor,
        )

    @property
    def empty(self) -> bool:
        return self.input <= 0 and self.output <= 0 and self.requests <= 0


Measure = Callable[[Work], float]
"""The tokens of a piece of work that count against capacity."""


def input_tokens(work: Work) -> float:
    return work.input


def output_tokens(work: Work) -> float:
    return work.output


def measure_of(role: str) -> Measure:
    """Prefill is limited by prompt tokens, decode and unified by generated ones."""
    return input_tokens if role == "prefill" else output_tokens


@dataclasses.dataclass(frozen=True)
class Batch:
    """Work that arrived evenly over [start, end] (clock seconds); a queue holds the part of it
    that arrived last, since the oldest is served or dropped first."""

    start: float
    end: float
    work: Work

    def split(self, share: float) -> tuple[Batch, Batch]:
        """The oldest `share` of the batch, and the rest."""
        cut = self.start + share * (self.end - self.start)
        return (
            Batch(self.start, cut, self.work.scaled(share)),
            Batch(cut, self.end, self.work.scaled(1.0 - share)),
        )


Queue = tuple[Batch, ...]
"""Oldest first."""


@dataclasses.dataclass(frozen=True)
class Served:
    """A part of the queue served, and how long on average it waited for it."""

    work: Work
    wait_seconds: float


def total(queue: Queue) -> Work:
    return sum((batch.work for batch in queue), Work())


def expire(queue: Queue, cutoff: float) -> tuple[Queue, Work]:
    """Drops what arrived before `cutoff` (its clients gave up); returns the rest and what went."""
    dropped = Work()
    for index, batch in enumerate(queue):
        if batch.start >= cutoff:
            return queue[index:], dropped
        if batch.end <= cutoff:
            dropped += batch.work
            continue
        old, rest = batch.split((cutoff - batch.start) / (batch.end - batch.start))
        return (rest, *queue[index + 1 :]), dropped + old.work
    return (), dropped


def serve(
    queue: Queue, start: float, seconds: float, capacity: float, measure: Measure
) -> tuple[Queue, list[Served]]:
    """Serves the queue from its oldest end for `seconds` from `start` at `capacity` tokens/s.

    A part's wait is the midpoint of its service, as a server working without pause from
    `start` meets it, less the midpoint of its arrival, and never below zero: work arriving
    at an idle server waits nothing, work behind a backlog waits for the backlog (exactly,
    over a span of constant demand). Work that costs no capacity (a decode batch with no
    output tokens) is served at once.
    """
    budget = capacity * seconds
    if budget <= 0:
        return queue, []
    used = 0.0
    served: list[Served] = []
    for index, batch in enumerate(queue):
        size = measure(batch.work)
        left = budget - used
        if size <= left * (1 + _EPSILON):
            part, rest = batch, None
        elif left <= budget * _EPSILON:
            return queue[index:], served
        else:
            part, rest = batch.split(left / size)
        cost = measure(part.work)
        # The midpoint of the part's service against the midpoint of its arrival.
        serviced = start + (used + cost / 2) / capacity
        arrived = (part.start + part.end) / 2
        served.append(Served(part.work, max(0.0, serviced - arrived)))
        used += cost
        if rest is not None:
            return (rest, *queue[index + 1 :]), served
    return (), served
