"""The demo's check of the operator's token books: what it booked over the counted hours, beside
what the engines served over the same span.

The books are read in-process from the operator's registry (exact, no scrape): tokens by billing
class, the clock instant they reach (`tokenfleet_books_as_of_seconds`) and the real instant
their engine counters were read at (`tokenfleet_books_read_timestamp_seconds`). The trace says
what arrived over the span; the engines serve it, except what still waits in their queues at
its end (less what waited at its start) and what they dropped after the queue timeout. A
fleet short of a role at the start of the span serves the backlog in it, so its books rightly
hold more than the trace's tokens of the span. The simulated engines export their queues and
drops by kind of token (`enginesim_waiting_tokens`, `enginesim_dropped_tokens_total`, on the
same page as the counters the books read); read at the books' own read instants, they turn the
trace's tokens into what the engines served, which is what the books must hold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from collections.abc import Mapping

import httpx
from prometheus_client.registry import CollectorRegistry

from tokenfleet.enginesim import demand as demand_mod
from tokenfleet.metrics import engine_tokens, names
from tokenfleet.signals import labels

Kinds = Mapping[tuple[str, str], float]
"""(role, kind of token: input, cached or output) -> tokens, summed over a role's pods."""


@dataclasses.dataclass(frozen=True)
class Read:
    """The operator's books at one instant."""

    tokens: dict[str, float] = dataclasses.field(default_factory=dict)
    """Tokens by billing class."""
    as_of: float | None = None
    """The clock instant (Unix seconds) they reach; None before the books first read."""
    read_at: float | None = None
    """The real instant (Unix seconds) their engine counters were read at."""


def read(registry: CollectorRegistry) -> Read:
    """The operator's books now, from its registry."""
    tokens: dict[str, float] = {}
    as_of: float | None = None
    read_at: float | None = None
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == names.TOKENS.exported:
                cls = sample.labels.get(names.Label.TOKEN_CLASS, "")
                tokens[cls] = tokens.get(cls, 0.0) + sample.value
            elif sample.name == names.BOOKS_AS_OF.exported:
                as_of = sample.value
            elif sample.name == names.BOOKS_READ.exported:
                read_at = sample.value
    return Read(tokens, as_of, read_at)


def _by_role_and_kind(url: str, expr: str, at: float) -> dict[tuple[str, str], float]:
    response = httpx.get(
        f"{url}/api/v1/query", params={"query": expr, "time": f"{at:.3f}"}, timeout=30
    )
    response.raise_for_status()
    out: dict[tuple[str, str], float] = {}
    for item in response.json()["data"]["result"]:
        metric = item["metric"]
        out[(metric.get(labels.ROLE, ""), metric.get("token", ""))] = float(item["value"][1])
    return out


def waiting_at(url: str, namespace: str, at: float | None) -> Kinds:
    """What waited in the queues of the engines of `namespace` at the real instant `at`, as
    Prometheus saw their pods (a gone pod's share went to the pods left: it is not counted);
    nothing when `at` is None."""
    if at is None:
        return {}
    expr = f'sum by ({labels.ROLE}, token) (enginesim_waiting_tokens{{namespace="{namespace}"}})'
    return _by_role_and_kind(url, expr, at)


def dropped_between(url: str, namespace: str, start: float | None, end: float | None) -> Kinds:
    """What the engines of `namespace` dropped between two real instants: per pod, the growth
    of its counter over the span (pods that came and went included); nothing without both."""
    if start is None or end is None or end <= start:
        return {}
    span = f"{max(1, round(end - start))}s"
    series = f'enginesim_dropped_tokens_total{{namespace="{namespace}"}}'
    expr = (
        f"sum by ({labels.ROLE}, token) "
        f"(max_over_time({series}[{span}]) - min_over_time({series}[{span}]))"
    )
    return _by_role_and_kind(url, expr, end)


@dataclasses.dataclass(frozen=True)
class Books:
    """What the operator booked over the counted hours, beside what arrived and what the engines
    served in the same span."""

    booked: dict[str, float]
    """Tokens by billing class."""
    arrived: demand_mod.Tokens
    """The trace's tokens over the clock span the books cover (their counters' samples)."""
    span: tuple[float, float]
    """That span, in trace seconds."""
    waiting: tuple[Kinds, Kinds] = ({}, {})
    """What waited in the engines' queues at the span's start and at its end."""
    dropped: Kinds = dataclasses.field(default_factory=dict)
    """What the engines dropped in the span."""

    @property
    def booked_input(self) -> float:
        return self.booked.get("input_cache_hit", 0.0) + self.booked.get("input_cache_miss", 0.0)

    def _change(self, kind: str) -> float:
        """Tokens of `kind` the engines served beyond what arrived over the span: what waited
        at its start, less what waits at its end and what was dropped in it."""
        roles = engine_tokens.DECODES if kind == "output" else engine_tokens.PREFILLS
        start, end = self.waiting
        keys = {
            key
            for book in (start, end, self.dropped)
            for key in book
            if key[0] in roles and key[1] == kind
        }
        return sum(
            start.get(key, 0.0) - end.get(key, 0.0) - self.dropped.get(key, 0.0) for key in keys
        )

    @property
    def served(self) -> demand_mod.Tokens:
        """What the engines served over the span, by kind: what the books must hold."""
        return demand_mod.Tokens(
            input=self.arrived.input + self._change("input"),
            cached=self.arrived.cached + self._change("cached"),
            output=self.arrived.output + self._change("output"),
        )


def over(
    start: Read,
    end: Read,
    trace: pathlib.Path,
    trace_start: dt.datetime,
    waiting: tuple[Kinds, Kinds] = ({}, {}),
    dropped: Kinds | None = None,
) -> Books:
    """The books' difference between two reads, the trace's tokens over the span they cover
    (from the first read's as-of instant to the second's; demand before the trace is its first
    row's, as the engine simulator serves it), the engines' queues at both reads and what they
    dropped between them."""
    booked = {k: v - start.tokens.get(k, 0.0) for k, v in end.tokens.items()}
    zero = trace_start.timestamp()
    t0 = (start.as_of if start.as_of is not None else zero) - zero
    t1 = (end.as_of if end.as_of is not None else zero) - zero
    arrived = demand_mod.load_trace(trace).tokens_between(t0, t1)
    return Books(
        booked=booked, arrived=arrived, span=(t0, t1), waiting=waiting, dropped=dropped or {}
    )


def line(books: Books) -> str:
    """The operator's books beside what the engines served and what the trace sent."""

    def pct(a: float, b: float) -> str:
        return f"{(a / b - 1) * 100:+.2f}%" if b else "-"

    cached = books.booked.get("input_cache_hit", 0.0)
    output = books.booked.get("output", 0.0)
    served, arrived = books.served, books.arrived
    return (
        f"  books        input {books.booked_input / 1e9:,.1f}B of the engines' "
        f"{served.input / 1e9:,.1f}B ({pct(books.booked_input, served.input)}), cached "
        f"{pct(cached, served.cached)}, output {output / 1e9:,.1f}B of "
        f"{served.output / 1e9:,.1f}B ({pct(output, served.output)}); the trace sent "
        f"{arrived.input / 1e9:,.1f}B / {arrived.output / 1e9:,.1f}B in the span"
    )
