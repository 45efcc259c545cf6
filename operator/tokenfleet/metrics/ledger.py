"""The fleet's books: what every deployment served, spent and earned, and the state of pools.

Controllers post what they observed at each reconcile (tokens served, nodes held for some
seconds, decisions, unit counts, pool counts, prices in force); the ledger prices it with the
cost model, keeps exact running totals (Decimal money, integer tokens) and the last hour of
each deployment for cost per million tokens and margin. It holds no clock and no exporter: every
instant is an argument, and `collector` turns the books into Prometheus metrics at scrape time.

Label sets known in advance (token classes, revenue kinds, decision directions and reasons,
commitments, node states, idle reasons) are created at zero the first time their deployment,
role or pool is seen, so a counter's first step shows in `increase()`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from tokenfleet.api import gpu_node_pool, pricing_plan
from tokenfleet.economics import cost as cost_model
from tokenfleet.economics import idle, pricing, revenue, tokens
from tokenfleet.metrics import figures as figures_mod
from tokenfleet.metrics import names, window

Key = tuple[str, str]
"""(namespace, name) of an InferenceDeployment or a PricingPlan."""


@dataclasses.dataclass
class RoleUnits:
    desired: int = 0
    ready: int = 0
    starting: int = 0
    degraded: int = 0
    capacity: float | None = None
    """Tokens/s the ready units serve at 100%; None when not told."""


@dataclasses.dataclass
class DeploymentBook:
    """Running totals of one InferenceDeployment, by label set."""

    namespace: str
    name: str
    window: window.Window
    model: str | None = None
    plan: str | None = None
    currency: str = "USD"
    revenue_currency: str | None = None
    tokens: dict[tuple[str, str, names.TokenClass], int] = dataclasses.field(default_factory=dict)
    gpu_seconds: dict[tuple[str, str, names.Commitment], Decimal] = dataclasses.field(
        default_factory=dict
    )
    cost: dict[tuple[str, str, str], Decimal] = dataclasses.field(default_factory=dict)
    revenue: dict[tuple[str, str, names.RevenueKind, str], Decimal] = dataclasses.field(
        default_factory=dict
    )
    decisions: dict[tuple[str, names.Direction, names.DecisionReason], int] = dataclasses.field(
        default_factory=dict
    )
    units: dict[str, RoleUnits] = dataclasses.field(default_factory=dict)
    conditions: dict[str, bool] = dataclasses.field(default_factory=dict)
    late_fraction: float | None = None
    """Late over arrived tokens over the last day (`planner.slo`); None before any."""
    late_budget: float | None = None
    last_served: dict[str, dt.datetime] = dataclasses.field(default_factory=dict)
    as_of: dt.datetime | None = None
    """The clock instant the booked tokens reach (their counters' newest samples)."""
    read_at: float | None = None
    """The real instant the engine counters the books reach were read at (Prometheus time)."""
    cost_as_of: dt.datetime | None = None
    """The clock instant the booked cost reaches (the end of the last node observation)."""

    def role(self, role: str) -> RoleUnits:
        """The role's unit counts, creating its zero label sets when it is new."""
        if role not in self.units:
            self.units[role] = RoleUnits()
            for direction in names.Direction:
                for reason in names.DecisionReason:
                    self.decisions[(role, direction, reason)] = 0
        return self.units[role]


@dataclasses.dataclass
class PoolBook:
    """One GPUNodePool: node counts and what it costs."""

    name: str
    currency: str
    nodes: dict[names.NodeState, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(names.NodeState, 0)
    )
    desired: int | None = None
    max_nodes: int = 0
    committed: int = 0
    cost: Decimal = Decimal(0)
    idle: dict[idle.IdleReason, Decimal] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(idle.IdleReason, Decimal(0))
    )
    as_of: dt.datetime | None = None
    """The clock instant its cost is booked up to."""


@dataclasses.dataclass
class PlanBook:
    """The prices a PricingPlan has in force, by (model, token class, window)."""

    namespace: str
    name: str
    currency: str
    prices: dict[tuple[str, names.TokenClass, str], Decimal]


def token_classes(role: str) -> tuple[names.TokenClass, ...]:
    """The classes a role serves, exported at zero from the start: input classes for prefill,
    output for decode, all three for a unified role."""
    if role == "prefill":
        return names.TokenClass.INPUT_CACHE_HIT, names.TokenClass.INPUT_CACHE_MISS
    if role == "decode":
        return (names.TokenClass.OUTPUT,)
    return tuple(names.TokenClass)


def _price_rows(
    force: pricing.PricesInForce,
) -> Iterator[tuple[names.TokenClass, Decimal]]:
    yield names.TokenClass.INPUT_CACHE_HIT, force.prices.input_cache_hit
    yield names.TokenClass.INPUT_CACHE_MISS, force.prices.input_cache_miss
    yield names.TokenClass.OUTPUT, force.prices.output


class Ledger:
    """The books of every deployment, pool and plan the operator reported on."""

    def __init__(self, span: dt.timedelta = window.HOUR) -> None:
        self.span = span
        self.deployments: dict[Key, DeploymentBook] = {}
        self.pools: dict[str, PoolBook] = {}
        self.plans: dict[Key, PlanBook] = {}

    def deployment(self, namespace: str, name: str) -> DeploymentBook:
        key = (namespace, name)
        if key not in self.deployments:
            self.deployments[key] = DeploymentBook(namespace, name, window.Window(self.span))
        return self.deployments[key]

    def observe_tokens(
        self,
        namespace: str,
        deployment: str,
        role: str,
        model: str,
        counts: tokens.TokenCounts,
        at: dt.datetime,
        *,
        since: dt.datetime | None = None,
        plan: pricing_plan.PricingPlanSpec | None = None,
        plan_name: str | None = None,
    ) -> revenue.Revenue | None:
        """Record `counts` of `model` served by `role` over [`since`, `at`) and price them.

        `since` defaults to the end of this role's previous observation (an instant when there
        was none). Returns what they earn under `plan`, None without a plan.
        """
        book = self.deployment(namespace, deployment)
        book.role(role)
        book.model = model
        start = since or book.last_served.get(role) or at
        if start > at:
            raise ValueError(f"tokens must be served before {at}, not from {start}")
        book.last_served[role] = at
        for token_class in token_classes(role):
            book.tokens.setdefault((model, role, token_class), 0)
        for token_class, count in (
            (names.TokenClass.INPUT_CACHE_HIT, counts.input_cache_hit),
            (names.TokenClass.INPUT_CACHE_MISS, counts.input_cache_miss),
            (names.TokenClass.OUTPUT, counts.output),
        ):
            if count:
                counted = (model, role, token_class)
                book.tokens[counted] = book.tokens.get(counted, 0) + count
        earned = None
        if plan is not None:
            earned = (
                revenue.revenue_between(plan, model, counts, start, at)
                if start < at
                else revenue.revenue(plan, model, counts, at)
            )
            book.plan = plan_name or ""
            book.revenue_currency = plan.currency
            for kind, amount in (
                (names.RevenueKind.THEORETICAL, earned.theoretical),
                (names.RevenueKind.REALISED, earned.realised),
            ):
                key = (model, book.plan, kind, plan.currency)
                book.revenue[key] = book.revenue.get(key, Decimal(0)) + amount
        book.window.add(
            window.Entry(start, at, role, served=counts, earned=earned or revenue.Revenue())
        )
        return earned

    def observe_nodes(
        self,
        namespace: str,
        deployment: str,
        role: str,
        pool: str,
        spec: gpu_node_pool.GPUNodePoolSpec,
        nodes: float,
        seconds: float,
        at: dt.datetime,
        *,
        committed: float = 0,
    ) -> Decimal:
        """Record that `role`'s units held `nodes` nodes of `pool` (on average) for the
        `seconds` up to `at`, `committed` of them on leased slots. Returns their cost."""
        if not 0 <= committed <= nodes or seconds < 0:
            raise ValueError(
                f"need 0 <= committed ({committed}) <= nodes ({nodes}) and seconds >= 0 ({seconds})"
            )
        book = self.deployment(namespace, deployment)
        book.role(role)
        currency = spec.cost.currency
        book.currency = currency
        on_demand = cost_model.exact(nodes) - cost_model.exact(committed)
        leased = cost_model.node_cost(
            spec.cost, spec.gpus_per_node, committed, seconds, committed=True
        )
        spent = leased + cost_model.node_cost(spec.cost, spec.gpus_per_node, on_demand, seconds)
        per_node = cost_model.exact(seconds) * spec.gpus_per_node
        for commitment, count in (
            (names.Commitment.COMMITTED, cost_model.exact(committed)),
            (names.Commitment.ON_DEMAND, on_demand),
        ):
            key = (role, pool, commitment)
            book.gpu_seconds[key] = book.gpu_seconds.get(key, Decimal(0)) + count * per_node
        cost_key = (role, pool, currency)
        book.cost[cost_key] = book.cost.get(cost_key, Decimal(0)) + spent
        start = at - dt.timedelta(seconds=float(seconds))
        book.window.add(window.Entry(start, at, role, cost=spent))
        book.cost_as_of = at if book.cost_as_of is None else max(book.cost_as_of, at)
        return spent

    def observe_decision(
        self,
        namespace: str,
        deployment: str,
        role: str,
        direction: names.Direction,
        reason: names.DecisionReason,
    ) -> None:
        """Count one planner decision for `role`."""
        book = self.deployment(namespace, deployment)
        book.role(role)
        book.decisions[(role, direction, reason)] += 1

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
        """The role's units now; `capacity` is tokens/s of its ready units at 100%."""
        units = self.deployment(namespace, deployment).role(role)
        units.desired, units.ready, units.starting = desired, ready, starting
        units.degraded, units.capacity = degraded, capacity

    def set_condition(self, namespace: str, deployment: str, condition: str, status: bool) -> None:
        self.deployment(namespace, deployment).conditions[condition] = status

    def set_late_tokens(
        self, namespace: str, deployment: str, fraction: float | None, budget: float | None
    ) -> None:
        """The last day's late-token share and the budget it is held to (None: unknown or
        unset; the gauge is then left out)."""
        book = self.deployment(namespace, deployment)
        book.late_fraction, book.late_budget = fraction, budget

    def set_books_as_of(self, namespace: str, deployment: str, at: dt.datetime) -> None:
        book = self.deployment(namespace, deployment)
        book.as_of = at if book.as_of is None else max(book.as_of, at)

    def set_books_read_at(self, namespace: str, deployment: str, at: float) -> None:
        self.deployment(namespace, deployment).read_at = at

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
        """The pool's node counts now and, when `use` says what its nodes did for the last
        `seconds` (up to `at`), what that cost and how much of it was idle. Returns the cost."""
        book = self.pools.get(pool)
        if book is None or book.currency != spec.cost.currency:
            book = self.pools[pool] = PoolBook(pool, spec.cost.currency)
        for state in names.NodeState:
            book.nodes[state] = getattr(counts, state.value)
        book.desired = desired
        book.max_nodes, book.committed = spec.max_nodes, spec.committed_nodes
        if at is not None:
            book.as_of = at if book.as_of is None else max(book.as_of, at)
        if use is None or seconds <= 0:
            return Decimal(0)
        parts = idle.attribute(spec.cost, spec.gpus_per_node, spec.committed_nodes, use, seconds)
        spent = sum(parts.values(), Decimal(0))
        book.cost += spent
        for reason in idle.IdleReason:
            book.idle[reason] += parts[reason.value]
        return spent

    def observe_prices(
        self, namespace: str, plan_name: str, plan: pricing_plan.PricingPlanSpec, at: dt.datetime
    ) -> None:
        """The prices `plan` has in force at `at`, for every model it names (`*` for others)."""
        prices: dict[tuple[str, names.TokenClass, str], Decimal] = {}
        for model, force in pricing.prices_by_model(plan, at).items():
            for token_class, price in _price_rows(force):
                prices[(model, token_class, force.window or names.LIST_WINDOW)] = price
        self.plans[(namespace, plan_name)] = PlanBook(namespace, plan_name, plan.currency, prices)

    def figures(
        self, namespace: str, deployment: str, at: dt.datetime
    ) -> figures_mod.Figures | None:
        """Cost per million tokens and margin over the span up to `at`; None when unknown."""
        book = self.deployments.get((namespace, deployment))
        if book is None:
            return None
        totals = book.window.totals(at)
        return figures_mod.figures(totals, book.currency, book.revenue_currency)

    def carry_over(self, samples: Iterable[tuple[names.Metric, Mapping[str, str], float]]) -> int:
        """Take up the counters a previous operator exported (`metrics.carryover`): each label
        set starts from its last value instead of zero, so the day's totals go on across a
        restart. Where two samples name the same label set (two replicas were scraped), the
        larger counts. Returns how many label sets were taken up; unknown ones are skipped."""
        taken = 0
        for metric, labels, value in samples:
            try:
                taken += self._carry(metric, labels, value)
            except (KeyError, ValueError):
                continue
        return taken

    def carry_as_of(
        self,
        cost_as_of: Mapping[tuple[str, str], dt.datetime],
        pool_as_of: Mapping[str, dt.datetime],
    ) -> None:
        """The instants carried-over cost books reach, exported again until a step moves them."""
        for (namespace, deployment), at in cost_as_of.items():
            if (namespace, deployment) in self.deployments:
                self.deployments[(namespace, deployment)].cost_as_of = at
        for pool, at in pool_as_of.items():
            if pool in self.pools:
                self.pools[pool].as_of = at

    def _carry(self, metric: names.Metric, labels: Mapping[str, str], value: float) -> int:
        def at_least(book: dict[Any, Any], key: Any, amount: Any) -> int:
            book[key] = max(book.get(key, amount), amount)
            return 1

        exact = Decimal(repr(value))
        if metric is names.POOL_COST or metric is names.IDLE_COST:
            name, currency = labels[names.Label.POOL], labels[names.Label.CURRENCY]
            pool = self.pools.get(name)
            if pool is None or pool.currency != currency:
                pool = self.pools[name] = PoolBook(name, currency)
            if metric is names.POOL_COST:
                pool.cost = max(pool.cost, exact)
                return 1
            return at_least(pool.idle, idle.IdleReason(labels[names.Label.REASON]), exact)
        book = self.deployment(labels[names.Label.NAMESPACE], labels[names.Label.DEPLOYMENT])
        if metric is names.TOKENS:
            role = labels[names.Label.ROLE]
            book.role(role)
            book.model = labels[names.Label.MODEL]
            key = (book.model, role, names.TokenClass(labels[names.Label.TOKEN_CLASS]))
            return at_least(book.tokens, key, round(value))
        if metric is names.GPU_SECONDS:
            key3 = (
                labels[names.Label.ROLE],
                labels[names.Label.POOL],
                names.Commitment(labels[names.Label.COMMITMENT]),
            )
            return at_least(book.gpu_seconds, key3, exact)
        if metric is names.COST:
            book.currency = labels[names.Label.CURRENCY]
            cost_key = (labels[names.Label.ROLE], labels[names.Label.POOL], book.currency)
            return at_least(book.cost, cost_key, exact)
        if metric is names.REVENUE:
            book.plan = labels[names.Label.PLAN]
            book.revenue_currency = labels[names.Label.CURRENCY]
            revenue_key = (
                labels[names.Label.MODEL],
                book.plan,
                names.RevenueKind(labels[names.Label.KIND]),
                book.revenue_currency,
            )
            return at_least(book.revenue, revenue_key, exact)
        if metric is names.SCALE_DECISIONS:
            role = labels[names.Label.ROLE]
            book.role(role)
            decision_key = (
                role,
                names.Direction(labels[names.Label.DIRECTION]),
                names.DecisionReason(labels[names.Label.REASON]),
            )
            return at_least(book.decisions, decision_key, round(value))
        return 0

    def forget_deployment(self, namespace: str, deployment: str) -> None:
        self.deployments.pop((namespace, deployment), None)

    def forget_pool(self, pool: str) -> None:
        self.pools.pop(pool, None)

    def forget_plan(self, namespace: str, plan_name: str) -> None:
        self.plans.pop((namespace, plan_name), None)
