"""The simulator's HTTP server (aiohttp), embeddable in any asyncio program or run alone.

Routes:
- `/pods/{namespace}/{pod}/metrics` and `.../health`: one simulated engine pod.
- `/dcgm/metrics`: DCGM GPU utilisation of every simulated pod's node.
- `/targets.json`: Prometheus file_sd groups for all of the above, with the target labels
  tokenfleet's scrape config gives engine pods (signals/labels.py), so a Prometheus pointed
  at it sees exactly what it would see in a cluster.
- `/health`: the simulator itself.
Every metrics request first advances the fleet to the clock's now; a ticker also advances it
every `tick_seconds` real seconds, so queues integrate finely even when nobody scrapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tokenfleet.enginesim import exposition, fleet
from tokenfleet.signals import labels

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"


class Simulator:
    """Serves a fleet's metrics in one engine's shape."""

    def __init__(
        self,
        simulated: fleet.Fleet,
        shape: exposition.Shape,
        gpus_per_node: int = 8,
        dcgm_host_label: str = "Hostname",
        tick_seconds: float = 1.0,
    ) -> None:
        self.fleet = simulated
        self.shape = shape
        self._gpus_per_node = gpus_per_node
        self._dcgm_host_label = dcgm_host_label
        self._tick = tick_seconds

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/pods/{namespace}/{pod}/metrics", self._pod_metrics)
        app.router.add_get("/pods/{namespace}/{pod}/health", self._pod_health)
        app.router.add_get("/dcgm/metrics", self._dcgm)
        app.router.add_get("/fleet/metrics", self._fleet_metrics)
        app.router.add_get("/targets.json", self._targets)
        app.cleanup_ctx.append(self._ticker)
        return app

    async def _ticker(self, app: web.Application) -> AsyncIterator[None]:
        async def tick() -> None:
            while True:
                self.fleet.advance()
                await asyncio.sleep(self._tick)

        task = asyncio.create_task(tick())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    def _state(self, request: web.Request) -> fleet.PodState:
        self.fleet.advance()
        state = self.fleet.state(request.match_info["namespace"], request.match_info["pod"])
        if state is None:
            raise web.HTTPNotFound(text="no such simulated pod\n")
        return state

    async def _pod_metrics(self, request: web.Request) -> web.Response:
        body = exposition.engine_metrics(self._state(request), self.shape)
        return web.Response(body=body.encode(), headers={"Content-Type": TEXT_FORMAT})

    async def _fleet_metrics(self, request: web.Request) -> web.Response:
        """Every pod's metrics on one page, each series labelled with its pod: one scrape for
        the whole fleet, where a target per pod would cost a request per pod per interval.
        Its counters carry the instant the fleet was advanced to (see `merge_pages`)."""
        advanced_at = time.time()
        self.fleet.advance()
        pages = [
            (exposition.engine_metrics(state, self.shape), target_labels(state.pod))
            for state in self.fleet.states()
        ]
        body = merge_pages(pages, counters_at=advanced_at)
        return web.Response(body=body.encode(), headers={"Content-Type": TEXT_FORMAT})

    async def _pod_health(self, request: web.Request) -> web.Response:
        self._state(request)
        return web.Response(text="ok\n")

    async def _dcgm(self, request: web.Request) -> web.Response:
        self.fleet.advance()
        body = exposition.dcgm_metrics(
            self.fleet.states(), self._gpus_per_node, self._dcgm_host_label
        )
        return web.Response(body=body.encode(), headers={"Content-Type": TEXT_FORMAT})

    async def _targets(self, request: web.Request) -> web.Response:
        self.fleet.advance()
        return web.json_response(file_sd(self.fleet.states(), request.host))


def target_labels(pod: fleet.SimPod) -> dict[str, str]:
    """The labels a per-pod scrape target carries (see `file_sd`)."""
    return {
        labels.NAMESPACE: pod.namespace,
        labels.POD: pod.name,
        labels.NODE: pod.node,
        labels.DEPLOYMENT: pod.deployment,
        labels.ROLE: pod.role,
        labels.UNIT: pod.unit,
    }


_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?(\s.*)$")


def _with_labels(sample: str, extra: str) -> str:
    """`sample` (one line of the text format) with the labels `extra` put first."""
    match = _SAMPLE.match(sample)
    if match is None:
        return sample
    name, inner, rest = match.groups()
    return f"{name}{{{extra},{inner}}}{rest}" if inner else f"{name}{{{extra}}}{rest}"


def merge_pages(pages: list[tuple[str, dict[str, str]]], counters_at: float | None = None) -> str:
    """Prometheus text pages merged into one: HELP and TYPE once per family, every sample of a
    family together, each sample with its page's labels added.

    With `counters_at` (a real instant, Unix seconds), every sample of a counter family carries
    it as its timestamp. A real engine's counters are read within milliseconds of the scrape's
    start, which is the instant Prometheus stores; the simulator's, on a busy machine, up to a
    second or more later, on a clock running 144 times faster: minutes of tokens that a reader
    of the samples would place too early. Stamped, they sit at the instant they were counted
    at. Only counters are stamped: they are read over ranges, and Prometheus marks no series
    with explicit timestamps stale, which gauges read at an instant need when a pod goes."""
    stamp = f" {round(counters_at * 1000)}" if counters_at is not None else ""
    counter_families: set[str] = set()
    families: dict[str, list[str]] = {}
    for text, extra_labels in pages:
        extra = ",".join(f'{k}="{v}"' for k, v in sorted(extra_labels.items()))
        family = ""
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                family = line.split()[2]
                lines = families.setdefault(family, [])
                if line not in lines:
                    lines.append(line)
                if line.startswith("# TYPE ") and line.split()[3:4] == ["counter"]:
                    counter_families.add(family)
            elif not line.startswith("#"):
                sample = _with_labels(line, extra)
                if family in counter_families:
                    sample += stamp
                families.setdefault(family, []).append(sample)
    return "".join(line + "\n" for lines in families.values() for line in lines)


def pod_path(pod: fleet.SimPod) -> str:
    return f"/pods/{pod.namespace}/{pod.name}/metrics"


def file_sd(states: list[fleet.PodState], host: str) -> list[dict[str, Any]]:
    """Prometheus file_sd groups for every pod and the DCGM endpoint served at `host`."""
    groups: list[dict[str, Any]] = [
        {
            "targets": [host],
            "labels": {
                "__metrics_path__": pod_path(s.pod),
                labels.NAMESPACE: s.pod.namespace,
                labels.POD: s.pod.name,
                labels.NODE: s.pod.node,
                labels.DEPLOYMENT: s.pod.deployment,
                labels.ROLE: s.pod.role,
                labels.UNIT: s.pod.unit,
            },
        }
        for s in states
    ]
    groups.append({"targets": [host], "labels": {"__metrics_path__": "/dcgm/metrics"}})
    return groups


@dataclasses.dataclass
class Running:
    """A started server: its base URL, and how to stop it."""

    url: str
    port: int
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Starts serving on `host:port` (0 picks a free port) and returns at once."""
    runner = web.AppRunner(simulator.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = int(runner.addresses[0][1])
    return Running(url=f"http://{host}:{bound}", port=bound, runner=runner)
