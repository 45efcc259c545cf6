"""The operator's exporter: what controllers call each reconcile, and the /metrics it serves.

`FleetLedger` wraps the books (`ledger.Ledger`) with the process clock, a lock and a Prometheus
registry of its own (passed in, never the global one). Controllers post observations; every
instant defaults to the clock's now. Prometheus reads the books through `collector` at scrape
time, on the HTTP server's thread, hence the lock.

A reconcile of an InferenceDeployment typically calls, per role: `observe_tokens` (tokens since
the last reconcile, from `engine_tokens`), `observe_nodes` (the nodes its units held since the
last reconcile), `set_units`; then `observe_decision` with the planner's decision, and reads
`figures()` for `status.economics`. The GPUNodePool controller calls `observe_pool`, the
PricingPlan controller `observe_prices` whenever it refreshes status.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from decimal import Decimal
from wsgiref import simple_server

from prometheus_client import exposition, registry

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool, pricing_plan
from tokenfleet.economics import idle, revenue, tokens
from tokenfleet.metrics import carryover, collector, decisions, figures, ledger, names, window
from tokenfleet.planner import decide


def _instant(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


@dataclasses.dataclass
class Serving:
    """A started /metrics server: its port, and how to stop it."""

    port: int
    server: simple_server.WSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class FleetLedger:
    """The books of the fleet, exported as Prometheus metrics on `registry`."""

    def __init__(
        self,
        clock: clocks.Clock,
        metrics_registry: registry.CollectorRegistry,
        span: dt.timedelta = window.HOUR,
    ) -> None:
        self.clock = clock
        self.registry = metrics_registry
        self.books = ledger.Ledger(span)
        self._lock = threading.RLock()
        self.collector = collector.LedgerCollector(self.books, clock, self._lock)
        metrics_registry.register(self.collector)
        self.carried = carryover.Carried()
        """What a previous operator's books held, once taken up (`carry_over`)."""

    def atomically(self) -> threading.RLock:
        """Hold it (`with ledger.atomically():`) around several posts that a scrape must see
        together or not at all: a round's tokens and the instant they were read at."""
        return self._lock

    def carry_over(self, carried: carryover.Carried) -> int:
        """Take up a previous operator's books (before any step posts); returns how many
        counters were carried over."""
        with self._lock:
            self.carried = carried
            taken = self.books.carry_over(carried.samples)
            self.books.carry_as_of(
                {k: _instant(v) for k, v in carried.cost_as_of.items()},
                {k: _instant(v) for k, v in carried.pool_as_of.items()},
            )
            for (namespace, deployment), at in carried.read_at.items():
                self.books.set_books_read_at(namespace, deployment, at)
            return taken

    def resumed_at(self, namespace: str, deployment: str) -> dt.datetime | None:
        """The clock instant a previous operator's cost books of the deployment reached, from
        which this one accrues node time; None when nothing was carried over for it."""
        at = self.carried.cost_as_of.get((namespace, deployment))
        return _instant(at) if at is not None else None

    def pool_resumed_at(self, pool: str) -> dt.datetime | None:
        """`resumed_at` for a pool's cost."""
        at = self.carried.pool_as_of.get(pool)
        return _instant(at) if at is not None else None

    def books_read_at(self, namespace: str, deployment: str) -> float | None:
        """The real instant a previous operator last read the deployment's engine counters."""
        return self.carried.read_at.get((namespace, deployment))

    def set_books_read_at(self, namespace: str, deployment: str, at: float) -> None:
        with self._lock:
            self.books.set_books_read_at(namespace, deployment, at)

    def _at(self, at: dt.datetime | None) -> dt.datetime:
        return self.clock.now() if at is None else at

    def observe_tokens(
        self,
        namespace: str,
        deployment: str,
        model: str,
        role: str,
        counts: tokens.TokenCounts,
        at: dt.datetime | None = None,
        *,
        since: dt.datetime | None = None,
        plan: pricing_plan.PricingPlanSpec | None = None,
        plan_name: str | None = None,
    ) -> revenue.Revenue | None:
        """Tokens `role` served over [`since`, `at`), priced under `plan` (see Ledger)."""
        with self._lock:
            return self.books.observe_tokens(
                namespace,
                deployment,
                role,
                model,
                counts,
                self._at(at),
                since=since,
                plan=plan,
                plan_name=plan_name,
            )

    def observe_nodes(
        self,
        namespace: str,
        deployment: str,
        role: str,
        pool: str,
        spec: gpu_node_pool.GPUNodePoolSpec,
        nodes: float,
        seconds: float,
        at: dt.datetime | None = None,
        *,
        committed: float = 0,
    ) -> Decimal:
        """Nodes `role`'s units held for the `seconds` before `at`; returns their cost."""
        with self._lock:
            return self.books.observe_nodes(
                namespace,
                deployment,
                role,
                pool,
                spec,
                nodes,
                seconds,
                self._at(at),
                committed=committed,
            )

    def observe_decision(
        self,
        namespace: str,
        deployment: str,
        role: str,
        direction: names.Direction,
        reason: names.DecisionReason,
    ) -> None:
        with self._lock:
            self.books.observe_decision(namespace, deployment, role, direction, reason)

    def observe_plan(self, namespace: str, deployment: str, decision: decide.Decision) -> None:
        """Count every role's decision of one planner run, classified by `decisions`."""
        with self._lock:
            for name, role in decision.roles.items():
                direction, reason = decisions.classify(role)
                self.books.observe_decision(namespace, deployment, name, direction, reason)

    def set_units(
        self,
        namespace: str,
        deployment: str,
        role: str,
        *,
        desired: int,
        ready: int,
        starting: int = 0,
        degraded: int = 0,
        capacity: float | None = None,
    ) -> None:
        with self._lock:
            self.books.set_units(
                namespace,
                deployment,
                role,
                desired=desired,
                ready=ready,
                starting=starting,
                degraded=degraded,
                capacity=capacity,
            )

    def set_books_as_of(self, namespace: str, deployment: str, at: dt.datetime) -> None:
        """Tokens of the deployment are booked up to clock instant `at`."""
        with self._lock:
            self.books.set_books_as_of(namespace, deployment, at)

    def set_condition(self, namespace: str, deployment: str, condition: str, status: bool) -> None:
        with self._lock:
            self.books.set_condition(namespace, deployment, condition, status)

    def set_late_tokens(
        self, namespace: str, deployment: str, fraction: float | None, budget: float | None
    ) -> None:
        with self._lock:
            self.books.set_late_tokens(namespace, deployment, fraction, budget)

    def observe_pool(
        self,
        pool: str,
        spec: gpu_node_pool.GPUNodePoolSpec,
        counts: gpu_node_pool.NodeCounts,
        *,
        desired: int | None = None,
        use: idle.NodeUse | None = None,
        seconds: float = 0,
        at: dt.datetime | None = None,
    ) -> Decimal:
        """The pool's counts now; with `use`, what its nodes did (and cost) for the `seconds`
        up to `at` (now)."""
        with self._lock:
            return self.books.observe_pool(
                pool, spec, counts, desired=desired, use=use, seconds=seconds, at=self._at(at)
            )

    def observe_prices(
        self,
        namespace: str,
        plan_name: str,
        plan: pricing_plan.PricingPlanSpec,
        at: dt.datetime | None = None,
    ) -> None:
        with self._lock:
            self.books.observe_prices(namespace, plan_name, plan, self._at(at))

    def figures(
        self, namespace: str, deployment: str, at: dt.datetime | None = None
    ) -> figures.Figures | None:
        """Cost per million tokens and margin over the last span, for status."""
        with self._lock:
            return self.books.figures(namespace, deployment, self._at(at))

    def forget_deployment(self, namespace: str, deployment: str) -> None:
        with self._lock:
            self.books.forget_deployment(namespace, deployment)

    def forget_pool(self, pool: str) -> None:
        with self._lock:
            self.books.forget_pool(pool)

    def forget_plan(self, namespace: str, plan_name: str) -> None:
        with self._lock:
            self.books.forget_plan(namespace, plan_name)

    def text(self) -> str:
        """The exposition Prometheus would scrape now."""
        return exposition.generate_latest(self.registry).decode()

    def serve(self, port: int, addr: str = "0.0.0.0") -> Serving:
        """Serve /metrics on `addr:port` (0 picks a free port) in a background thread."""
        server, thread = exposition.start_http_server(port, addr, self.registry)
        return Serving(int(server.server_port), server, thread)
