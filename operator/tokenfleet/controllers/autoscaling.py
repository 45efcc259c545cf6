"""The autoscaling loop: the ticker runs the planner of each InferenceDeployment.

Every `autoscaling.intervalSeconds` of the process clock, one step at a time per deployment:
read signals (Prometheus, or the engine pods' /metrics directly), hand the pure planner an
observation (demand per role, units ready and starting, the pool's node budget), record its
decision in status.lastDecision with an event and a metric, and have the unit reconciler act
on it at once. The planner's memory (its demand history, for the forecast) lives in the loop; a
restarted operator rebuilds it from the demand Prometheus kept over the forecast's look-back
(`remember`), so a restart does not cost the forecast its days. A missing or absurd signal
makes the planner hold its last decision.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pydantic

from tokenfleet import clock as clocks
from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.api import pricing_plan as plan_api
from tokenfleet.controllers import accounting, conditions, inference_deployments
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.planner import config as planner_config
from tokenfleet.planner import decide, slo
from tokenfleet.planner import state as planner_state
from tokenfleet.signals import counters, scrape, snapshot, source
from tokenfleet.sim import late as late_mod
from tokenfleet.workloads import engines, labels, naming

log = logging.getLogger(__name__)
FIELD_MANAGER = "tokenfleet-autoscaler"


def engine_port(spec: infd_api.InferenceDeploymentSpec) -> int:
    return engines.http_port(spec.engine)


class Autoscaler:
    """The planner loop of one InferenceDeployment."""

    def __init__(
        self,
        ctx: context_mod.Context,
        wake_reconcile: Callable[[], None],
        namespace: str,
        name: str,
    ) -> None:
        self.ctx = ctx
        self.wake_reconcile = wake_reconcile
        """Asks the unit reconciler to act on a new decision now (through the ticker: the
        controllers talk through the object's status, never each other's internals)."""
        self.namespace = namespace
        self.name = name
        self.state = planner_state.PlannerState()
        self._targets: list[scrape.Target] = []
        self._source: source.SignalSource | None = None
        self._source_url: str | None = None
        self.last_units: dict[str, int] | None = None
        self.remembered = False
        """Whether the planner's memory was rebuilt from history (once, at the first step)."""
        self.books = accounting.Accountant(ctx.ledger, namespace, name)
        self.slo = slo.Ledger()
        """Late and arrived tokens over the last day, for status.slo (kept in memory: a
        restarted operator starts a new day)."""
        self.slo_at: dt.datetime | None = None
        self.counters = counters.Reader(namespace, naming.label_value(name))

    def _signal_source(self, url: str | None) -> source.SignalSource:
        if self._source is None or url != self._source_url:
            self._source = source.make_source(
                url,
                self.ctx.clock,
                lambda: self._targets,
                window_seconds=self.ctx.settings.signal_window_seconds,
            )
            self._source_url = url
        return self._source

    async def close(self) -> None:
        """Release the signal source's connections."""
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
        self._source = None

    def _refresh_targets(self, spec: infd_api.InferenceDeploymentSpec) -> None:
        pods = self.ctx.kube.list(
            "v1",
            "Pod",
            self.namespace,
            {labels.DEPLOYMENT: naming.label_value(self.name), labels.NAME: labels.ENGINE_APP},
        )
        template = self.ctx.settings.engine_metrics_url
        out: list[scrape.Target] = []
        for pod in pods:
            target = scrape.metrics_target(pod, engine_port(spec), template)
            if target is not None:
                out.append(target)
        self._targets = out

    def _node_budget(self, pool_name: str, pool: pool_api.GPUNodePoolSpec) -> int:
        """The pool's maxNodes less what the other deployments on it want."""
        others = 0
        for item in self.ctx.kube.list(common.API_VERSION, "InferenceDeployment"):
            meta = item["metadata"]
            if (meta["namespace"], meta["name"]) == (self.namespace, self.name):
                continue
            if (item.get("spec") or {}).get("nodePoolRef", {}).get("name") != pool_name:
                continue
            roles = (item.get("status") or {}).get("roles") or {}
            others += sum(int(r.get("desiredNodes") or 0) for r in roles.values())
        return max(0, pool.max_nodes - others)

    async def step(self) -> decide.Decision | None:
        """One run: signals, the planner (when autoscaling is on), the books, status."""
        kube = self.ctx.kube
        body = await asyncio.to_thread(
            kube.get_or_none, common.API_VERSION, "InferenceDeployment", self.name, self.namespace
        )
        if body is None:
            return None
        try:
            spec = infd_api.InferenceDeploymentSpec.model_validate(body["spec"])
        except pydantic.ValidationError:
            return None
        pool_name = spec.node_pool_ref.name
        pool_body = await asyncio.to_thread(
            kube.get_or_none, common.API_VERSION, "GPUNodePool", pool_name
        )
        if pool_body is None:
            return None
        try:
            pool = pool_api.GPUNodePoolSpec.model_validate(pool_body["spec"])
        except pydantic.ValidationError:
            return None  # the pool's own Ready condition says why
        priced = await asyncio.to_thread(self._plan, spec)
        plan_name, plan = priced.name, priced.spec
        url = spec.autoscaling.signals.prometheus_url or self.ctx.settings.prometheus_url
        if not url:  # the direct scrape needs the pods; Prometheus finds them itself
            await asyncio.to_thread(self._refresh_targets, spec)
        signals = self._signal_source(url)
        if url:
            if not self.books.opened:
                await self._take_up_books(url)
            # Two reads of one Prometheus, side by side: the step waits for the slower only.
            sample, readings = await asyncio.gather(
                signals.sample(), self.counters.read(url, signals)
            )
        else:  # the direct scrape's counters are what its sample just read
            sample = await signals.sample()
            readings = await self.counters.read(url, signals)
        now = self.ctx.clock.now()
        decision = None
        slo_status: dict[str, Any] | None = None
        if spec.autoscaling.enabled:
            cfg = planner_config.from_resources(spec, pool_name, pool)
            if not self.remembered:
                self.remembered = True
                self.state = await self.remember(cfg, self._signal_source(url), now, body)
            budget = await asyncio.to_thread(self._node_budget, pool_name, pool)
            observation = observe(
                sample, self.namespace, self.name, spec, body.get("status"), now, budget
            )
            decision, self.state = decide.plan(cfg, self.state, observation)
            slo_status = self._book_late(cfg, observation, spec)
        as_of = self._books_as_of(now, readings)
        # A scrape sees the step's tokens together with the instant they reach, or neither.
        with self.ctx.ledger.atomically():
            books = self.books.step(
                now, spec, pool_name, pool, plan_name, plan, body.get("status"), readings, decision
            )
            if as_of is not None:
                self.ctx.ledger.set_books_as_of(self.namespace, self.name, as_of)
        economics = books.to_status() if books is not None else None
        margin = margin_condition(priced, pool_name, pool, body["metadata"].get("generation"))
        await asyncio.to_thread(self._record, body, decision, economics, margin, slo_status)
        return decision

    def _books_as_of(self, now: dt.datetime, readings: counters.Round | None) -> dt.datetime | None:
        """The clock instant the books reach once this step's round is posted: that of the
        newest engine sample read, taken straight from its real instant (not from its age at
        the read, which the step's own duration would put off by seconds x the clock's speed).
        `now` on a clock that does not run in real time (tests); None when the round's source
        cannot tell when its samples were taken (no round, or the direct scrape)."""
        if readings is None or readings.sampled_at is None:
            return None
        return clocks.clock_instant(self.ctx.clock, readings.sampled_at) or now

    def _book_late(
        self,
        cfg: planner_config.PlannerConfig,
        observation: planner_state.Observation,
        spec: infd_api.InferenceDeploymentSpec,
    ) -> dict[str, Any]:
        """Book the span since the previous step and say how much of the budget the last day
        used. A gap longer than ten planner intervals (the operator was away) is not booked
        as if the fleet had stood still through it; shorter ones (a step that ran late) are."""
        previous, self.slo_at = self.slo_at, observation.at
        if previous is not None:
            seconds = (observation.at - previous).total_seconds()
            if 0 < seconds <= 10 * spec.autoscaling.interval_seconds:
                self.slo = self.slo.add(late_span(cfg, observation, seconds))
        figures = self.slo.figures(observation.at.timestamp())
        budget = spec.autoscaling.slo.late_token_budget
        self.ctx.ledger.set_late_tokens(self.namespace, self.name, figures.fraction, budget)
        return infd_api.SLOStatus(
            late_token_budget=budget,
            late_token_fraction=figures.fraction,
            budget_used=figures.used(budget),
            window_seconds=round(figures.seconds, 1),
        ).to_wire()

    async def _take_up_books(self, url: str) -> None:
        """Open the books where a previous operator's stopped, when it left any (see
        `accounting.Accountant.take_up`)."""
        read_at = self.ctx.ledger.books_read_at(self.namespace, self.name)
        if read_at is None:
            return
        baseline = await self.counters.at(url, read_at)
        if baseline is None:
            log.warning(
                "%s/%s: the books' last round could not be read again; they open at the next one",
                self.namespace,
                self.name,
            )
            return
        self.books.take_up(baseline, self.ctx.ledger.resumed_at(self.namespace, self.name))
        log.info(
            "%s/%s: books taken up from %d engine pods as read at %.3f",
            self.namespace,
            self.name,
            len(baseline.readings),
            read_at,
        )

    async def remember(
        self,
        cfg: planner_config.PlannerConfig,
        signals: source.SignalSource,
        now: dt.datetime,
        body: Mapping[str, Any],
    ) -> planner_state.PlannerState:
        """The planner's state after seeing the demand `signals` kept over the forecast's
        look-back, a reading per decision interval (sparser when the look-back would need more
        than `prometheus.MAX_HISTORY_POINTS`): after a restart the forecast goes on from the
        days it had seen. The state as it is when the source keeps no history (the
        direct scrape) or holds none for this deployment (a first start).

        It reads days of history once, at the first step; that step takes a second or so
        longer than the others.
        """
        read = getattr(signals, "history", None)
        if read is None:
            return self.state
        since = now - dt.timedelta(days=cfg.autoscaling.forecast.lookback_days)
        every = float(cfg.autoscaling.interval_seconds)
        snapshots = await asyncio.to_thread(read, since, every)
        deployment = naming.label_value(self.name)
        samples: dict[str, list[tuple[dt.datetime, float]]] = {}
        for snap in snapshots:
            for role in cfg.roles:
                seen = snap.role(self.namespace, deployment, role.name)
                demand = seen.demand_tokens_per_second if seen is not None else None
                if demand is not None:
                    samples.setdefault(role.name, []).append((snap.sampled_at, demand))
        if not samples:
            return self.state
        first = min(points[0][0] for points in samples.values())
        hours = (now - first).total_seconds() / 3600
        count = sum(len(points) for points in samples.values())
        message = f"planner memory rebuilt from {count} demand readings over the last {hours:.1f} h"
        log.info("%s/%s: %s", self.namespace, self.name, message)
        await asyncio.to_thread(
            self.ctx.kube.event,
            {"apiVersion": common.API_VERSION, "kind": "InferenceDeployment", **body},
            "PlannerMemoryRestored",
            message,
            now_rfc3339=self.ctx.now_rfc3339(),
        )
        return decide.seed(cfg, samples)

    def _plan(self, spec: infd_api.InferenceDeploymentSpec) -> PlanLookup:
        if spec.pricing_plan_ref is None:
            return PlanLookup(None, None)
        name = spec.pricing_plan_ref.name
        body = self.ctx.kube.get_or_none(common.API_VERSION, "PricingPlan", name, self.namespace)
        if body is None:
            return PlanLookup(name, None, "PlanNotFound")
        try:
            return PlanLookup(name, plan_api.PricingPlanSpec.model_validate(body["spec"]))
        except pydantic.ValidationError:
            return PlanLookup(name, None, "PlanInvalid")

    def _tell_margin(
        self, body: Mapping[str, Any], before: Sequence[Mapping[str, Any]], margin: dict[str, Any]
    ) -> None:
        news = margin_news(before, margin)
        if news is not None:
            self.ctx.kube.event(
                {"apiVersion": common.API_VERSION, "kind": "InferenceDeployment", **body},
                str(news["reason"]),
                str(news["message"]),
                type_="Warning",
                now_rfc3339=self.ctx.now_rfc3339(),
            )

    def _record(
        self,
        body: Mapping[str, Any],
        decision: decide.Decision | None,
        economics: infd_api.Economics | None,
        margin: dict[str, Any],
        slo_status: dict[str, Any] | None = None,
    ) -> None:
        status: dict[str, Any] = {}
        if economics is not None:
            status["economics"] = economics.to_wire()
        if slo_status is not None:
            status["slo"] = slo_status
        units = decision.units if decision is not None else None
        previous = ((body.get("status") or {}).get("lastDecision") or {}).get("units")
        changed = decision is not None and units != previous
        generation = body["metadata"].get("generation")
        owned = [margin]
        if decision is not None:
            owned = [*planner_conditions(decision, generation), margin]
        before: Sequence[Mapping[str, Any]] = (body.get("status") or {}).get("conditions") or []
        status["conditions"] = conditions.merge(before, owned, self.ctx.now_rfc3339())
        self._tell_margin(body, before, margin)
        if decision is not None:
            stamp = clocks.rfc3339(decision.at)
            if changed or self.last_units is None:
                status["lastDecision"] = {"time": stamp, "units": units, "reason": decision.reason}
            else:
                status["lastDecision"] = (body.get("status") or {}).get("lastDecision")
        if status:
            self.ctx.kube.apply_status(
                {
                    "apiVersion": common.API_VERSION,
                    "kind": "InferenceDeployment",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "status": status,
                },
                field_manager=FIELD_MANAGER,
            )
        if decision is None or units is None:
            return
        if changed and isinstance(previous, dict):
            grow = sum(units.values()) > sum(int(v) for v in previous.values())
            self.ctx.kube.event(
                {"apiVersion": common.API_VERSION, "kind": "InferenceDeployment", **body},
                "ScaledUp" if grow else "ScaledDown",
                decision.reason,
                now_rfc3339=self.ctx.now_rfc3339(),
            )
        if changed:
            log.info(
                "%s/%s at %s: %s (%s)",
                self.namespace,
                self.name,
                decision.at.isoformat(timespec="seconds"),
                units,
                decision.reason,
            )
            self.wake_reconcile()
        self.last_units = units


def margin_news(
    before: Sequence[Mapping[str, Any]], margin: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """`margin` when it newly reports a problem someone must fix (else None): a Warning event
    is told once per problem, not at every step."""
    old = next((c for c in before if c.get("type") == "MarginAvailable"), None)
    if margin["reason"] not in MARGIN_PROBLEMS:
        return None
    if old is not None and old.get("reason") == margin["reason"]:
        return None
    return margin


def late_span(
    cfg: planner_config.PlannerConfig,
    observation: planner_state.Observation,
    seconds: float,
) -> slo.Span:
    """The tokens that arrived over the `seconds` before `observation`, and those of them that
    were late, summed over roles: each role's demand held through the span against what its
    ready units serve at 100% (`sim.late`, the measure `simulate` reports). A role without a
    reading adds nothing."""
    arrived = late = 0.0
    for role in cfg.roles:
        seen = observation.roles.get(role.name)
        if seen is None or seen.demand is None or seen.demand < 0:
            continue
        tokens = seen.demand * seconds
        arrived += tokens
        late += late_mod.late_tokens(tokens, float(seen.ready_units * role.unit_capacity), seconds)
    return slo.Span(end=observation.at.timestamp(), seconds=seconds, arrived=arrived, late=late)


def observe(
    sample: snapshot.Snapshot,
    namespace: str,
    name: str,
    spec: infd_api.InferenceDeploymentSpec,
    status: Mapping[str, Any] | None,
    at: dt.datetime,
    budget: int,
) -> planner_state.Observation:
    """The planner's observation from a signal snapshot and the deployment's status: pure."""
    roles_status = (status or {}).get("roles") or {}
    deployment = naming.label_value(name)
    roles: dict[str, planner_state.RoleObservation] = {}
    for role, _ in spec.roles.items():
        signals = sample.role(namespace, deployment, role)
        seen = roles_status.get(role) or {}
        ready = int(seen.get("readyUnits") or 0)
        desired = int(seen.get("desiredUnits") or 0)
        roles[role] = planner_state.RoleObservation(
            demand=signals.demand_tokens_per_second if signals is not None else None,
            ready_units=ready,
            starting_units=max(0, desired - ready),
        )
    return planner_state.Observation(at=at, roles=roles, node_budget=budget)


def planner_conditions(decision: decide.Decision, generation: int | None) -> list[dict[str, Any]]:
    """NodesAvailable and SignalsAvailable, the planner's own conditions."""
    out: list[dict[str, Any]] = []
    for cond in decision.conditions:
        if cond.type == "NodesAvailable":
            out.append(
                conditions.condition(
                    "NodesAvailable", cond.status == "True", cond.reason, cond.message, generation
                )
            )
        elif cond.type == "Degraded":
            out.append(
                conditions.condition(
                    "SignalsAvailable",
                    cond.status != "True",
                    "SignalsRead" if cond.status != "True" else cond.reason,
                    cond.message,
                    generation,
                )
            )
    if not any(c["type"] == "SignalsAvailable" for c in out):
        out.append(
            conditions.condition(
                "SignalsAvailable", True, "SignalsRead", "every role has demand", generation
            )
        )
    return out


@dataclasses.dataclass(frozen=True)
class PlanLookup:
    """The deployment's PricingPlan as found: its name (None without a pricingPlanRef), its
    spec when it exists and is valid, else why not."""

    name: str | None
    spec: plan_api.PricingPlanSpec | None
    problem: str | None = None
    """PlanNotFound or PlanInvalid."""


MARGIN_PROBLEMS = frozenset({"PlanNotFound", "PlanInvalid", "CurrencyMismatch"})
"""MarginAvailable reasons that need someone to act: told in a Warning event as well."""


def margin_condition(
    priced: PlanLookup, pool_name: str, pool: pool_api.GPUNodePoolSpec, generation: int | None
) -> dict[str, Any]:
    """`MarginAvailable`: whether revenue (the PricingPlan's prices) and cost (the pool's) can
    be set against each other. Cost per token is reported either way; revenue needs a plan,
    and margin a plan priced in the pool's currency."""
    cost = pool.cost.currency
    if priced.name is None:
        return conditions.condition(
            "MarginAvailable",
            False,
            "NoPricingPlan",
            "spec.pricingPlanRef is not set: cost per token is reported, revenue and margin not",
            generation,
        )
    if priced.spec is None:
        what = "does not exist" if priced.problem == "PlanNotFound" else "has an invalid spec"
        return conditions.condition(
            "MarginAvailable",
            False,
            priced.problem or "PlanNotFound",
            f"PricingPlan {priced.name!r} {what} in this namespace: revenue and margin are not "
            "reported until it does",
            generation,
        )
    if priced.spec.currency != cost:
        return conditions.condition(
            "MarginAvailable",
            False,
            "CurrencyMismatch",
            f"PricingPlan {priced.name!r} prices in {priced.spec.currency} but GPUNodePool "
            f"{pool_name!r} costs in {cost}: revenue is reported, margin needs one currency",
            generation,
        )
    return conditions.condition(
        "MarginAvailable",
        True,
        "Priced",
        f"revenue by PricingPlan {priced.name!r}, cost by GPUNodePool {pool_name!r}, in {cost}",
        generation,
    )


def register(ctx: context_mod.Context, ticker: ticker_mod.Ticker) -> None:
    """Run the planner loop of every InferenceDeployment on `ticker`."""
    scalers: dict[ticker_mod.Key, Autoscaler] = {}

    async def step(body: Mapping[str, Any]) -> float | None:
        meta = body["metadata"]
        key = (str(meta["namespace"]), str(meta["name"]))
        scaler = scalers.get(key)
        if scaler is None:
            scaler = scalers[key] = Autoscaler(
                ctx,
                lambda: ticker.poke_threadsafe(inference_deployments.PLURAL, key, "reconcile"),
                *key,
            )
        await scaler.step()
        return None

    async def forget(key: ticker_mod.Key) -> None:
        scaler = scalers.pop(key, None)
        if scaler is not None:
            await scaler.close()

    def interval(body: Mapping[str, Any]) -> float:
        return float(
            ((body.get("spec") or {}).get("autoscaling") or {}).get("intervalSeconds") or 30
        )

    ticker.every(inference_deployments.PLURAL, "autoscaling", interval, step, forget)
