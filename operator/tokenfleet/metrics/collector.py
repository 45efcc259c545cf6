"""The ledger as Prometheus metrics, built at every scrape.

A custom collector rather than counters updated in place: the ledger already keeps exact
totals, and the hour-long figures (cost per million tokens, margin) slide with the clock even
when nothing is observed, so they are worked out when Prometheus asks, at the clock's now.
Gauges whose figure is undefined (no token served, nothing spent) are left out, never written
as 0. The lock is the one the exporter holds while controllers post to the ledger: scrapes run
on the HTTP server's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal

from prometheus_client import metrics_core

from tokenfleet import clock as clocks
from tokenfleet.metrics import figures as figures_mod
from tokenfleet.metrics import ledger as ledger_mod
from tokenfleet.metrics import names

Family = metrics_core.CounterMetricFamily | metrics_core.GaugeMetricFamily


def family(metric: names.Metric) -> Family:
    """An empty family for `metric` (counters without `_total`: the library appends it)."""
    labels = [str(label) for label in metric.labels]
    if metric.kind is names.Kind.COUNTER:
        return metrics_core.CounterMetricFamily(metric.name, metric.help, labels=labels)
    return metrics_core.GaugeMetricFamily(metric.name, metric.help, labels=labels)


def _add(fam: Family, labels: Iterable[str], value: float | Decimal) -> None:
    fam.add_metric([str(label) for label in labels], float(value))


class LedgerCollector:
    """Yields every metric of `names.ALL` from a ledger, at the clock's now."""

    def __init__(
        self, books: ledger_mod.Ledger, clock: clocks.Clock, lock: threading.RLock
    ) -> None:
        self._books = books
        self._clock = clock
        self._lock = lock

    def describe(self) -> Iterable[Family]:
        return [family(metric) for metric in names.ALL]

    def collect(self) -> Iterable[Family]:
        now = self._clock.now()
        with self._lock:
            families = {metric.name: family(metric) for metric in names.ALL}
            for book in self._books.deployments.values():
                _deployment(families, book, self._books.figures(book.namespace, book.name, now))
            for pool in self._books.pools.values():
                _pool(families, pool)
            for plan in self._books.plans.values():
                for (model, token_class, win), price in plan.prices.items():
                    _add(
                        families[names.PRICE_PER_MILLION.name],
                        (plan.namespace, plan.name, model, token_class, win, plan.currency),
                        price,
                    )
        _add(families[names.CLOCK_SPEED.name], (), clocks.speed(self._clock))
        _add(families[names.CLOCK_TIME.name], (), now.timestamp())
        return list(families.values())


def _deployment(
    families: dict[str, Family],
    book: ledger_mod.DeploymentBook,
    found: figures_mod.Figures | None,
) -> None:
    ns, name = book.namespace, book.name
    for (model, role, token_class), count in book.tokens.items():
        _add(families[names.TOKENS.name], (ns, name, role, model, token_class), count)
    for (role, pool, commitment), seconds in book.gpu_seconds.items():
        _add(families[names.GPU_SECONDS.name], (ns, name, role, pool, commitment), seconds)
    for (role, pool, currency), amount in book.cost.items():
        _add(families[names.COST.name], (ns, name, role, pool, currency), amount)
    for (model, plan, kind, currency), amount in book.revenue.items():
        _add(families[names.REVENUE.name], (ns, name, model, plan, kind, currency), amount)
    for (role, direction, reason), count in book.decisions.items():
        _add(families[names.SCALE_DECISIONS.name], (ns, name, role, direction, reason), count)
    for role, units in book.units.items():
        for metric, value in (
            (names.UNITS_DESIRED, units.desired),
            (names.UNITS_READY, units.ready),
            (names.UNITS_STARTING, units.starting),
            (names.UNITS_DEGRADED, units.degraded),
            (names.CAPACITY, units.capacity),
        ):
            if value is not None:
                _add(families[metric.name], (ns, name, role), value)
    for condition, status in book.conditions.items():
        _add(families[names.CONDITION.name], (ns, name, condition), 1 if status else 0)
    if book.late_fraction is not None:
        _add(families[names.LATE_FRACTION.name], (ns, name), book.late_fraction)
    if book.late_budget is not None:
        _add(families[names.LATE_BUDGET.name], (ns, name), book.late_budget)
    if book.as_of is not None:
        _add(families[names.BOOKS_AS_OF.name], (ns, name), book.as_of.timestamp())
    if book.read_at is not None:
        _add(families[names.BOOKS_READ.name], (ns, name), book.read_at)
    if book.cost_as_of is not None:
        _add(families[names.COST_AS_OF.name], (ns, name), book.cost_as_of.timestamp())
    if found is not None:
        _figures(families, book, found)


def _figures(
    families: dict[str, Family], book: ledger_mod.DeploymentBook, found: figures_mod.Figures
) -> None:
    ns, name = book.namespace, book.name
    per_million = found.cost_per_million
    for cost_class, value in (
        (names.CostClass.INPUT, per_million.input),
        (names.CostClass.OUTPUT, per_million.output),
        (names.CostClass.BLENDED, per_million.blended),
    ):
        if value is not None:
            _add(
                families[names.COST_PER_MILLION.name], (ns, name, cost_class, found.currency), value
            )
    if book.model is not None:
        for phase, value in (
            (names.Phase.PROMPT, per_million.input),
            (names.Phase.GENERATION, per_million.output),
        ):
            if value is not None:
                _add(
                    families[names.OPENCOST_COST_PER_MILLION.name],
                    (ns, name, book.model, phase),
                    value,
                )
    for kind, margin, earned in (
        (names.RevenueKind.REALISED, found.margin_realised, found.revenue_per_million_realised),
        (
            names.RevenueKind.THEORETICAL,
            found.margin_theoretical,
            found.revenue_per_million_theoretical,
        ),
    ):
        if margin is not None:
            _add(families[names.MARGIN.name], (ns, name, kind), margin)
        if earned is not None and found.revenue_currency is not None:
            _add(
                families[names.REVENUE_PER_MILLION.name],
                (ns, name, kind, found.revenue_currency),
                earned,
            )


def _pool(families: dict[str, Family], pool: ledger_mod.PoolBook) -> None:
    for state, count in pool.nodes.items():
        _add(families[names.NODES.name], (pool.name, state), count)
    if pool.desired is not None:
        _add(families[names.NODES_DESIRED.name], (pool.name,), pool.desired)
    _add(families[names.NODES_MAX.name], (pool.name,), pool.max_nodes)
    _add(families[names.NODES_COMMITTED.name], (pool.name,), pool.committed)
    _add(families[names.POOL_COST.name], (pool.name, pool.currency), pool.cost)
    for reason, amount in pool.idle.items():
        _add(families[names.IDLE_COST.name], (pool.name, reason, pool.currency), amount)
    if pool.as_of is not None:
        _add(families[names.POOL_COST_AS_OF.name], (pool.name,), pool.as_of.timestamp())


def samples(collector: LedgerCollector) -> Iterator[tuple[str, dict[str, str], float]]:
    """(name as exported, labels, value) of every sample: for tests and the report."""
    for fam in collector.collect():
        for sample in fam.samples:
            yield sample.name, dict(sample.labels), sample.value
