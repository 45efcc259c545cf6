"""GPUNodePool controller: the pool follows the units that need it.

Thin by design: each reconcile picks the pool's provider, lets `nodepools.steps` observe, size
(pure `nodepools.sizing`) and act, then writes what happened: status (node counts, desired
nodes, idle cost per hour, Ready / AtMaximum / Scaling conditions with observedGeneration),
an event per change, node-change metrics, and the pool's counts to the exporter when one is
given. Sizing's memory (rate-limit history, surplus start) is kept in annotations on the pool,
so a restart forgets nothing. A provider failure becomes a condition and an event, never a
crash loop. Runs on a timer sized from the process clock (`ctx.interval`), and on create,
spec change and resume; one reconcile per pool at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

import kopf
import pydantic
from prometheus_client.registry import CollectorRegistry

from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.controllers import conditions
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.economics import idle
from tokenfleet.nodepools import errors, factory, memory, metrics, provider, status, steps

log = logging.getLogger(__name__)
PLURAL = "gpunodepools"
KIND = "GPUNodePool"


class PoolObserver(Protocol):
    """Where pool counts go for the cost exporter (`metrics.exporter.FleetLedger` is one)."""

    def observe_pool(
        self,
        pool: str,
        spec: pool_api.GPUNodePoolSpec,
        counts: pool_api.NodeCounts,
        *,
        desired: int | None = None,
        use: idle.NodeUse | None = None,
        seconds: float = 0,
        at: dt.datetime | None = None,
    ) -> Decimal: ...

    def forget_pool(self, pool: str) -> None: ...

    def pool_resumed_at(self, pool: str) -> dt.datetime | None: ...


class Reconciler:
    """Reconciles pools; the ticker runs one reconcile per pool at a time."""

    def __init__(
        self,
        ctx: context_mod.Context,
        pool_metrics: metrics.PoolMetrics,
        observer: PoolObserver | None = None,
    ) -> None:
        self.ctx = ctx
        self.metrics = pool_metrics
        self.observer = observer
        self._seen: dict[str, dt.datetime] = {}

    def reconcile(self, body: Mapping[str, Any]) -> steps.Outcome | None:
        """One reconcile; None when it could not size."""
        return self._reconcile(body)

    def forget(self, name: str) -> None:
        self._seen.pop(name, None)
        if self.observer is not None:
            self.observer.forget_pool(name)

    def _reconcile(self, body: Mapping[str, Any]) -> steps.Outcome | None:
        meta = body["metadata"]
        name, generation = str(meta["name"]), meta.get("generation")
        previous = dict(body.get("status") or {})
        try:
            spec = pool_api.GPUNodePoolSpec.model_validate(dict(body["spec"]))
        except pydantic.ValidationError as exc:
            self._failed(body, errors.Misconfigured(f"invalid spec: {exc}"), previous)
            return None
        now = self.ctx.clock.now()
        pool = provider.Pool(name, spec, meta.get("uid"))
        try:
            prov = factory.create(
                spec.provider.type.value, self.ctx.kube, self.ctx.clock, self.metrics
            )
            outcome = steps.Step(self.ctx.kube, prov, pool, now).run(
                memory.read(meta.get("annotations"))
            )
        except errors.ProviderError as exc:
            log.warning("GPUNodePool %s: %s", name, exc)
            self._failed(body, exc, previous)
            return None
        self._remember(body, outcome)
        counts = status.counts(outcome.view)
        idle_per_hour = status.idle_cost_per_hour(spec, counts)
        new = status.conditions(outcome.plan, counts, generation)
        merged = conditions.merge(previous.get("conditions"), new, self.ctx.now_rfc3339())
        self.ctx.kube.apply_status(
            status.body(name, generation, outcome.plan, counts, idle_per_hour, merged)
        )
        for event in outcome.report.events:
            self._event(body, event.reason, event.message, warning=event.warning)
        for action, count in outcome.report.changes.items():
            self.metrics.changes.labels(name, prov.name, action.value).inc(count)
        self._observe(name, spec, counts, outcome.plan.target, now)
        return outcome

    def _remember(self, body: Mapping[str, Any], outcome: steps.Outcome) -> None:
        """Keep sizing's memory on the pool when it changed (a merge patch of two annotations)."""
        want = memory.to_annotations(outcome.plan.memory)
        have = body["metadata"].get("annotations") or {}
        if all(have.get(k) == v for k, v in want.items()):
            return
        self.ctx.kube.patch(
            common.API_VERSION, KIND, body["metadata"]["name"], {"metadata": {"annotations": want}}
        )

    def _observe(
        self,
        name: str,
        spec: pool_api.GPUNodePoolSpec,
        counts: pool_api.NodeCounts,
        desired: int,
        now: dt.datetime,
    ) -> None:
        if self.observer is None:
            return
        # After a restart the pool's cost accrues from the previous operator's last scrape.
        last = self._seen.get(name) or self.observer.pool_resumed_at(name)
        self._seen[name] = now
        seconds = max(0.0, (now - last).total_seconds()) if last else 0.0
        self.observer.observe_pool(
            name,
            spec,
            counts,
            desired=desired,
            use=status.node_use(counts),
            seconds=seconds,
            at=now,
        )

    def _failed(
        self, body: Mapping[str, Any], exc: errors.ProviderError, previous: dict[str, Any]
    ) -> None:
        """Report a failure on Ready, keeping the counts last written (an apply that left them
        out would remove them)."""
        meta = body["metadata"]
        old = [c for c in previous.get("conditions") or [] if c.get("type") != "Ready"]
        ready = status.conditions(None, pool_api.NodeCounts(), meta.get("generation"), exc)
        merged = conditions.merge(
            previous.get("conditions"), [*ready, *old], self.ctx.now_rfc3339()
        )
        kept = {
            k: previous[k] for k in ("desiredNodes", "nodes", "idleCostPerHour") if k in previous
        }
        self.ctx.kube.apply_status(
            {
                "apiVersion": common.API_VERSION,
                "kind": KIND,
                "metadata": {"name": meta["name"]},
                "status": {
                    **kept,
                    "observedGeneration": meta.get("generation"),
                    "conditions": merged,
                },
            }
        )
        before = next((c for c in old if c.get("type") == "Ready"), None)
        was = next(
            (c for c in previous.get("conditions") or [] if c.get("type") == "Ready"), before
        )
        if not was or was.get("reason") != exc.reason or was.get("message") != str(exc)[:1024]:
            self._event(body, exc.reason, str(exc), warning=True)

    def _event(self, body: Mapping[str, Any], reason: str, message: str, warning: bool) -> None:
        meta = body["metadata"]
        self.ctx.kube.event(
            {
                "apiVersion": common.API_VERSION,
                "kind": KIND,
                "metadata": {"name": meta["name"], "uid": meta.get("uid")},
            },
            reason,
            message,
            type_="Warning" if warning else "Normal",
            now_rfc3339=self.ctx.now_rfc3339(),
        )


def register(
    registry: kopf.OperatorRegistry,
    ctx: context_mod.Context,
    ticker: ticker_mod.Ticker,
    *,
    pool_metrics: metrics.PoolMetrics | None = None,
    observer: PoolObserver | None = None,
    selector: Mapping[str, str] | None = None,
) -> None:
    """Add the GPUNodePool handlers to `registry`.

    `pool_metrics` should be registered on the exporter's registry (a private one otherwise,
    exported nowhere); `observer` receives the pool's counts for the cost metrics; `selector`
    limits the controller to pools carrying these labels (GPUNodePools are cluster-scoped, so
    a namespace cannot keep two operators apart: a label can).
    """
    rec = Reconciler(ctx, pool_metrics or metrics.PoolMetrics.on(CollectorRegistry()), observer)

    def on_delete(name: str | None, **_: Any) -> None:
        if name:
            rec.forget(name)

    on: dict[str, Any] = {"registry": registry, "labels": dict(selector) if selector else None}
    group, version = common.GROUP, common.VERSION
    kopf.on.delete(group, version, PLURAL, id="pool-delete", optional=True, **on)(on_delete)

    async def periodic(body: Mapping[str, Any]) -> None:
        if selector and any(
            (body["metadata"].get("labels") or {}).get(k) != v for k, v in selector.items()
        ):
            return None
        await asyncio.to_thread(rec.reconcile, body)
        return None

    ticker.every(
        PLURAL, "pool", lambda _: ctx.settings.reconcile.pool_interval, periodic, on_change=True
    )
