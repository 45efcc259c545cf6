"""Periodic and event-driven work per object, on the process clock, without finalizers.

kopf's timers and daemons put a finalizer on every object they serve, so that they can be
stopped before the object goes. An operator that is stopped or uninstalled then leaves objects
(and their namespaces) stuck in deletion. tokenfleet needs no cleanup beyond owner references,
so its work runs here instead: a watch (no finalizer) keeps the latest body of each object, and
one loop runs each object's due steps, at most one at a time per object and loop.

A step is due when its interval (clock seconds) has passed, or at once when something it
depends on changed (`poke`: its object was edited, one of its pods became Ready, another loop
decided). A poke that arrives while the object's step runs marks it dirty, and the step runs
again as soon as it ends with the latest body: no change waits for the next interval because
a step was busy. Every step's real duration and its lag behind the clock are measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import kopf

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import loop_metrics

log = logging.getLogger(__name__)

SLOW_STEP_SECONDS = 0.25
"""A step that takes longer than this (real seconds) is logged: steps read caches and write
only on change, so a slow one is a bug to explain (or a machine too busy for the clock)."""
Key = tuple[str, str]
"""(namespace or "", name)."""
Step = Callable[[Mapping[str, Any]], Awaitable[float | None]]
"""One step for one object; may return the clock seconds until its next step (else the loop's
interval applies)."""


@dataclasses.dataclass
class Loop:
    """One kind of work for every object of one resource."""

    name: str
    plural: str
    interval: Callable[[Mapping[str, Any]], float]
    """Clock seconds between two steps of an object, from its body."""
    step: Step
    forget: Callable[[Key], Awaitable[None]] | None = None
    """Called once an object is gone (release what the loop kept for it)."""
    on_change: bool = False
    """Run at once whenever the object's watch reports a change."""
    due: dict[Key, float] = dataclasses.field(default_factory=dict)
    """Real monotonic instant of each object's next step."""
    running: dict[Key, asyncio.Task[None]] = dataclasses.field(default_factory=dict)
    dirty: set[Key] = dataclasses.field(default_factory=set)
    """Objects poked while their step ran: they run again right after."""


class Ticker:
    """Schedules every registered loop over the objects the watches have seen."""

    def __init__(self, ctx: context_mod.Context) -> None:
        self.ctx = ctx
        self.loops: list[Loop] = []
        self.objects: dict[str, dict[Key, Mapping[str, Any]]] = {}
        self.metrics = loop_metrics.LoopMetrics.on(ctx.ledger.registry)
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def every(
        self,
        plural: str,
        name: str,
        interval: Callable[[Mapping[str, Any]], float],
        step: Step,
        forget: Callable[[Key], Awaitable[None]] | None = None,
        *,
        on_change: bool = False,
    ) -> None:
        self.loops.append(Loop(name, plural, interval, step, forget, on_change))
        self.objects.setdefault(plural, {})

    # --- waking steps ---------------------------------------------------------------------------

    def poke(self, plural: str, key: Key, loop_name: str | None = None) -> None:
        """Run the object's steps (of one loop, or all of the resource's) as soon as possible."""
        for loop in self.loops:
            if loop.plural != plural or (loop_name is not None and loop.name != loop_name):
                continue
            if key in loop.running:
                loop.dirty.add(key)
            else:
                loop.due[key] = 0.0
        if self._wake is not None:
            self._wake.set()

    def poke_threadsafe(self, plural: str, key: Key, loop_name: str | None = None) -> None:
        """`poke` from another thread (an informer's listener)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.poke, plural, key, loop_name)

    async def on_event(self, plural: str, event: Mapping[str, Any]) -> None:
        body = event.get("object") or {}
        meta = body.get("metadata") or {}
        key = (meta.get("namespace") or "", meta.get("name") or "")
        if event.get("type") == "DELETED" or meta.get("deletionTimestamp"):
            if self.objects[plural].pop(key, None) is not None or event.get("type") == "DELETED":
                await self._forget(plural, key)
            return
        if event.get("type") is None and not body:
            return
        new = key not in self.objects[plural]
        self.objects[plural][key] = body
        for loop in self.loops:
            if loop.plural == plural and loop.on_change:
                self.poke(plural, key, loop.name)
        if new and self._wake is not None:
            self._wake.set()  # its first steps are due now

    async def _forget(self, plural: str, key: Key) -> None:
        for loop in self.loops:
            if loop.plural != plural:
                continue
            task = loop.running.pop(key, None)
            if task is not None:
                task.cancel()
            loop.due.pop(key, None)
            loop.dirty.discard(key)
            if loop.forget is not None:
                await loop.forget(key)

    # --- running steps --------------------------------------------------------------------------

    def _launch(self, loop: Loop, key: Key, body: Mapping[str, Any], due: float) -> None:
        async def run() -> None:
            began = time.monotonic()
            try:
                sooner = await loop.step(body)
                took = time.monotonic() - began
                self.metrics.step_seconds.labels(loop.name).observe(took)
                late = max(0.0, time.monotonic() - due) if due > 0 else took
                self.metrics.lag_seconds.labels(loop.name).observe(
                    late * clock_mod.speed(self.ctx.clock)
                )
                if took > SLOW_STEP_SECONDS:
                    log.info("%s of %s took %.2fs", loop.name, "/".join(k for k in key if k), took)
                if sooner is not None:
                    loop.due[key] = min(
                        loop.due.get(key, 0.0), time.monotonic() + self.ctx.interval(sooner)
                    )
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed step must not stop the others: log and go on
                log.exception("%s of %s failed", loop.name, "/".join(k for k in key if k))
            finally:
                loop.running.pop(key, None)
                if key in loop.dirty:
                    loop.dirty.discard(key)
                    loop.due[key] = 0.0
                    if self._wake is not None:
                        self._wake.set()

        loop.running[key] = asyncio.create_task(run(), name=f"{loop.name}:{key}")

    def launch_due(self, now: float) -> float:
        """Start every step that is due; the real seconds until the next one is."""
        soonest = float("inf")
        for loop in self.loops:
            for key, body in list(self.objects[loop.plural].items()):
                if key in loop.running:
                    continue
                due = loop.due.get(key, 0.0)
                if due > now:
                    soonest = min(soonest, due - now)
                    continue
                loop.due[key] = now + self.ctx.interval(loop.interval(body))
                soonest = min(soonest, loop.due[key] - now)
                self._launch(loop, key, body, due)
        return soonest

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        ceiling = self.ctx.settings.reconcile.max_real_wait
        while True:
            self._wake.clear()
            wait = self.launch_due(time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, min(wait, ceiling)))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        tasks = [t for loop in self.loops for t in loop.running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for loop in self.loops:
            if loop.forget is not None:
                for key in list(self.objects.get(loop.plural, {})):
                    await loop.forget(key)

    def register(self, registry: kopf.OperatorRegistry, group: str, version: str) -> None:
        """Watch every resource a loop serves, and run the loops while the operator runs."""
        for plural in sorted({loop.plural for loop in self.loops}):

            async def watch(event: kopf.RawEvent, _plural: str = plural, **_: Any) -> None:
                await self.on_event(_plural, event)

            kopf.on.event(group, version, plural, registry=registry, id=f"ticker-{plural}")(watch)

        async def start(**_: Any) -> None:
            self._task = asyncio.create_task(self.run(), name="tokenfleet-ticker")

        async def stop(**_: Any) -> None:
            await self.stop()

        kopf.on.startup(registry=registry, id="ticker-start")(start)
        kopf.on.cleanup(registry=registry, id="ticker-stop")(stop)
