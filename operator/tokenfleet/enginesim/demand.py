"""Token demand over time: a trace (DESIGN.md §6 CSV) or a fixed rate, integrated exactly.

Counters in the simulator are integrals of demand, so demand answers "how many tokens arrived
between t0 and t1" (seconds from the start) as well as "how fast now". A trace's rows are flat
rates from one timestamp to the next; the last row lasts as long as the one before it, and the
trace repeats after its end so a demo can run on. Before its start the first row's rate holds:
a warm-up before the trace sees the demand of its first minute, so the fleet is sized for it
when the trace begins, as `tokenfleet simulate` assumes.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import itertools
import math
import pathlib
from collections.abc import Sequence
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class Tokens:
    """Token counts (or, divided by time, rates): cached input is part of input."""

    input: float = 0.0
    cached: float = 0.0
    output: float = 0.0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(
            self.input + other.input, self.cached + other.cached, self.output + other.output
        )

    def scaled(self, factor: float) -> Tokens:
        return Tokens(self.input * factor, self.cached * factor, self.output * factor)


class Demand(Protocol):
    """Token arrivals as a function of seconds since the start."""

    def rate_at(self, t: float) -> Tokens:
        """Tokens per second arriving at `t`."""
        ...

    def tokens_between(self, t0: float, t1: float) -> Tokens:
        """Tokens arriving in [t0, t1); zero when t1 <= t0."""
        ...

    def breaks_between(self, t0: float, t1: float) -> list[float]:
        """The instants strictly inside (t0, t1) where the rate may change, in order: a queue
        served against capacity is exact over spans of constant rate, not across them."""
        ...


@dataclasses.dataclass(frozen=True)
class ConstantDemand:
    """The same rate forever."""

    rate: Tokens

    def rate_at(self, t: float) -> Tokens:
        return self.rate

    def tokens_between(self, t0: float, t1: float) -> Tokens:
        return self.rate.scaled(max(0.0, t1 - t0))

    def breaks_between(self, t0: float, t1: float) -> list[float]:
        return []


class TraceDemand:
    """Piecewise-constant demand from trace rows, repeating after the last row ends."""

    def __init__(self, timestamps: Sequence[float], tokens: Sequence[Tokens]) -> None:
        if not timestamps or len(timestamps) != len(tokens):
            raise ValueError("a trace needs at least one row, and one token count per timestamp")
        if timestamps[0] != 0:
            raise ValueError("a trace starts at timestamp 0")
        if any(b <= a for a, b in itertools.pairwise(timestamps)):
            raise ValueError("trace timestamps must increase row by row")
        last = timestamps[-1] - timestamps[-2] if len(timestamps) > 1 else 60.0
        self._starts = list(timestamps)
        self._ends = [*timestamps[1:], timestamps[-1] + last]
        self._rates = [
            row.scaled(1.0 / (end - start))
            for row, start, end in zip(tokens, self._starts, self._ends, strict=True)
        ]
        # Cumulative tokens at the start of each row, and over one whole period.
        self._cumulative = [Tokens()]
        for row in tokens:
            self._cumulative.append(self._cumulative[-1] + row)
        self.period = self._ends[-1]

    def _row(self, t: float) -> int:
        return bisect.bisect_right(self._starts, t) - 1

    def rate_at(self, t: float) -> Tokens:
        if t < 0:
            return self._rates[0]
        return self._rates[self._row(t % self.period)]

    def _cumulative_at(self, t: float) -> Tokens:
        if t < 0:
            return self._rates[0].scaled(t)
        periods = math.floor(t / self.period)
        offset = t - periods * self.period
        row = self._row(offset)
        within = self._rates[row].scaled(offset - self._starts[row])
        return self._cumulative[-1].scaled(periods) + self._cumulative[row] + within

    def tokens_between(self, t0: float, t1: float) -> Tokens:
        if t1 <= t0:
            return Tokens()
        a, b = self._cumulative_at(t0), self._cumulative_at(t1)
        return Tokens(b.input - a.input, b.cached - a.cached, b.output - a.output)

    def breaks_between(self, t0: float, t1: float) -> list[float]:
        out: list[float] = []
        if t0 < 0:
            if t1 <= 0:
                return out
            out.append(0.0)
            t0 = 0.0
        period = math.floor(t0 / self.period)
        while period * self.period < t1:
            base = period * self.period
            first = bisect.bisect_right(self._starts, t0 - base)
            for start in self._starts[first:]:
                if base + start >= t1:
                    break
                out.append(base + start)
            period += 1
        return out


def load_trace(path: pathlib.Path) -> TraceDemand:
    """Reads a trace CSV: timestamp, input_tokens, [cached_input_tokens], output_tokens."""
    timestamps: list[float] = []
    rows: list[Tokens] = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"timestamp", "input_tokens", "output_tokens"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for line in reader:
            timestamps.append(float(line["timestamp"]))
            rows.append(
                Tokens(
                    input=float(line["input_tokens"]),
                    cached=float(line.get("cached_input_tokens") or 0),
                    output=float(line["output_tokens"]),
                )
            )
    return TraceDemand(timestamps, rows)
