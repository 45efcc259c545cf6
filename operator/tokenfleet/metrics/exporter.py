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
from tokenfleet.metrics import collector, decisions, figures, ledger, names, window
from tokenfleet.planner import decide


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
        self._lock = threading.Lock()
        self.collector = collector.LedgerCollector(self.books, clock, self._lock)
        metrics_registry.register(self.collector)

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

    def observe_pool(
        self,
        pool: str,
        spec: gpu_node_pool.GPUNodePoolSpec,
        counts: gpu_node_pool.NodeCounts,
        *,
        desired: int | None = None,
        use: idle.NodeUse | None = None,
        seconds: float = 0,
    ) -> Decimal:
        """The pool's counts now; with `use`, what its nodes did (and cost) for `seconds`."""
        with self._lock:
            return self.books.observe_pool(
                pool, spec, counts, desired=desired, use=use, seconds=seconds
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
