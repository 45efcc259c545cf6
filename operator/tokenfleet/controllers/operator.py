"""The operator process: one kopf registry, one clock, one Kubernetes client, all controllers.

`build` is separate from `run` so that tests can start the very same operator in-process
against the test cluster, with a fake or scaled clock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import threading

import kopf
from prometheus_client import registry as prometheus_registry

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.controllers import (
    autoscaling,
    gpu_node_pools,
    inference_deployments,
    login,
    pricing_plans,
    watched,
)
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import settings as settings_mod
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.kube import client as kube_client
from tokenfleet.metrics import carryover, exporter
from tokenfleet.nodepools import metrics as pool_metrics

log = logging.getLogger(__name__)


def make_clock(settings: settings_mod.ClockSettings) -> clock_mod.Clock:
    if settings.start is None and settings.speed == 1.0:
        return clock_mod.WallClock()
    start = settings.start or clock_mod.WallClock().now()
    return clock_mod.ScaledClock(start, settings.speed, settings.anchor)


@dataclasses.dataclass
class Operator:
    """A built operator: its registry and context, ready to run."""

    registry: kopf.OperatorRegistry
    ctx: context_mod.Context
    kopf_settings: kopf.OperatorSettings


def build(
    settings: settings_mod.Settings,
    *,
    clock: clock_mod.Clock | None = None,
    kube: kube_client.Kube | None = None,
) -> Operator:
    the_clock = clock or make_clock(settings.clock)
    ctx = context_mod.Context(
        clock=the_clock,
        kube=kube or kube_client.Kube.from_kubeconfig(settings.kubeconfig),
        settings=settings,
        ledger=exporter.FleetLedger(the_clock, prometheus_registry.CollectorRegistry()),
    )
    registry = kopf.OperatorRegistry()
    login.register(registry, ctx.kube)
    ticker = ticker_mod.Ticker(ctx)
    watched.register(registry, ctx, ticker)
    inference_deployments.register(registry, ctx, ticker)
    autoscaling.register(ctx, ticker)
    pricing_plans.register(registry, ctx, ticker)
    gpu_node_pools.register(
        registry,
        ctx,
        ticker,
        pool_metrics=pool_metrics.PoolMetrics.on(ctx.ledger.registry),
        observer=ctx.ledger,
        selector=dict(settings.pool_selector) or None,
    )
    ticker.register(registry, common.GROUP, common.VERSION)
    kopf_settings = kopf.OperatorSettings()
    # Handler progress lives in annotations: status belongs to the status the controllers write.
    kopf_settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix="tokenfleet.io"
    )
    kopf_settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="tokenfleet.io", key="last-handled-configuration"
    )
    kopf_settings.posting.enabled = False  # events are ours, with reasons an SRE can filter on
    kopf_settings.watching.server_timeout = settings.kopf.watch_server_timeout
    kopf_settings.execution.max_workers = settings.kopf.handler_workers
    if settings.peering:
        kopf_settings.peering.name = settings.peering
        kopf_settings.peering.mandatory = True
        # Replicas of equal priority all pause; distinct priorities make exactly one active.
        kopf_settings.peering.priority = settings.peering_priority
        kopf_settings.peering.clusterwide = not settings.namespaces
    return Operator(registry=registry, ctx=ctx, kopf_settings=kopf_settings)


STEP_THREADS = 32
"""Threads for the steps' blocking calls (`asyncio.to_thread`): the default pool has
cores + 4, and one step waiting on a slow API server must not hold up every other loop."""


async def serve(op: Operator, stop_flag: asyncio.Event | None = None) -> None:
    """Run until `stop_flag` is set (or forever)."""
    asyncio.get_running_loop().set_default_executor(
        concurrent.futures.ThreadPoolExecutor(
            max_workers=STEP_THREADS, thread_name_prefix="tokenfleet-step"
        )
    )
    settings = op.ctx.settings
    if settings.prometheus_url and settings.carry_over_books:
        # Before /metrics serves: a scrape of zeros would read as a reset of every counter.
        await asyncio.to_thread(carry_over, op.ctx.ledger, settings.prometheus_url)
    serving = (
        op.ctx.ledger.serve(settings.metrics_port, settings.metrics_host)
        if settings.metrics_port
        else None
    )
    try:
        await _kopf(op, stop_flag)
    finally:
        if serving is not None:
            serving.stop()


async def _kopf(op: Operator, stop_flag: asyncio.Event | None) -> None:
    settings = op.ctx.settings
    await kopf.operator(
        registry=op.registry,
        settings=op.kopf_settings,
        standalone=not settings.peering,
        clusterwide=not settings.namespaces,
        namespaces=list(settings.namespaces),
        stop_flag=stop_flag,
        memo=kopf.Memo(ctx=op.ctx),
    )


def carry_over(ledger: exporter.FleetLedger, url: str) -> None:
    """Take up the books a previous operator left in Prometheus (`metrics.carryover`)."""
    carried = carryover.read(url)
    if carried:
        taken = ledger.carry_over(carried)
        log.info(
            "books carried over from Prometheus: %d counters, %d deployments' token books",
            taken,
            len(carried.read_at),
        )


class InThread:
    """An operator running in a background thread, for tests and the demo driver."""

    def __init__(self, op: Operator) -> None:
        self.op = op
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="tokenfleet-operator", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        self._ready.set()
        try:
            self._loop.run_until_complete(serve(self.op, self._stop))
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def __enter__(self) -> InThread:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
