"""Periodic work per object, on the process clock, without finalizers.

kopf's timers and daemons put a finalizer on every object they serve, so that they can be
stopped before the object goes. An operator that is stopped or uninstalled then leaves objects
(and their namespaces) stuck in deletion. tokenfleet needs no cleanup beyond owner references,
so its periodic work runs here instead: a watch (no finalizer) keeps the latest body of each
object, and one loop runs each object's due steps, at most one at a time per object and loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import kopf

from tokenfleet.controllers import context as context_mod

log = logging.getLogger(__name__)

SLOW_STEP_SECONDS = 1.0
"""A step that takes longer than this (real seconds) is logged: loops fall behind a fast clock."""
Key = tuple[str, str]
"""(namespace or "", name)."""
Step = Callable[[Mapping[str, Any]], Awaitable[float | None]]
"""One step for one object; may return the clock seconds until its next step (else the loop's
interval applies)."""


@dataclasses.dataclass
class Loop:
    """One kind of periodic work for every object of one resource."""

    name: str
    plural: str
    interval: Callable[[Mapping[str, Any]], float]
    """Clock seconds between two steps of an object, from its body."""
    step: Step
    forget: Callable[[Key], Awaitable[None]] | None = None
    """Called once an object is gone (release what the loop kept for it)."""
    due: dict[Key, float] = dataclasses.field(default_factory=dict)
    running: dict[Key, asyncio.Task[None]] = dataclasses.field(default_factory=dict)


class Ticker:
    """Schedules every registered loop over the objects the watches have seen."""

    def __init__(self, ctx: context_mod.Context) -> None:
        self.ctx = ctx
        self.loops: list[Loop] = []
        self.objects: dict[str, dict[Key, Mapping[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None

    def every(
        self,
        plural: str,
        name: str,
        interval: Callable[[Mapping[str, Any]], float],
        step: Step,
        forget: Callable[[Key], Awaitable[None]] | None = None,
    ) -> None:
        self.loops.append(Loop(name, plural, interval, step, forget))
        self.objects.setdefault(plural, {})

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
        self.objects[plural][key] = body

    async def _forget(self, plural: str, key: Key) -> None:
        for loop in self.loops:
            if loop.plural != plural:
                continue
            task = loop.running.pop(key, None)
            if task is not None:
                task.cancel()
            loop.due.pop(key, None)
            if loop.forget is not None:
                await loop.forget(key)

    def _launch(self, loop: Loop, key: Key, body: Mapping[str, Any]) -> None:
        async def run() -> None:
            began = time.monotonic()
            try:
                sooner = await loop.step(body)
                took = time.monotonic() - began
                if took > SLOW_STEP_SECONDS:
                    log.info("%s of %s took %.1fs", loop.name, "/".join(k for k in key if k), took)
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

        loop.running[key] = asyncio.create_task(run(), name=f"{loop.name}:{key}")

    async def run(self) -> None:
        tick = self.ctx.settings.reconcile.min_real_interval
        while True:
            now = time.monotonic()
            for loop in self.loops:
                for key, body in list(self.objects[loop.plural].items()):
                    if key in loop.running or loop.due.get(key, 0.0) > now:
                        continue
                    loop.due[key] = now + self.ctx.interval(loop.interval(body))
                    self._launch(loop, key, body)
            await asyncio.sleep(tick)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        tasks = [t for loop in self.loops for t in loop.running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for loop in self.loops:
            if loop.forget is not None:
                for plural_objects in (self.objects.get(loop.plural, {}),):
                    for key in list(plural_objects):
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
