"""Cost per million tokens read back from a real Prometheus matches the cost model within 1%.

A replay: the engine simulator serves SGLang-shaped pods of a small PD deployment (one prefill
unit of 2 nodes, one decode unit of 3) from a 30-minute trace, on a clock running 120x real
time from 16:20 UTC, so the R1 night discount (16:30) starts a third of the way in. Every 30
clock seconds, as a reconcile would, the pods' /metrics are read, their token counters turned
into tokens served by class (`engine_tokens`), and the tokens and the nodes the units held are
posted to the exporter (`accounting.post`). A prefill pod restarts half-way (its counters drop
to zero). Prometheus scrapes the exporter and the simulated pods every second.

Compared, within 1%: the exporter's `tokenfleet_cost_per_million_tokens` (input, output,
blended) and OpenCost's `llm_cost_per_million_tokens` against the cost model applied to what was
posted and to the trace itself; PromQL's cost/token ratios from the exporter's counters and
from the engines' own counters; realised revenue against the trace priced row by row.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool, inference_deployment, pricing_plan
from tokenfleet.economics import cost, revenue, tokens, unit_economics
from tokenfleet.enginesim import demand, exposition, fleet, server
from tokenfleet.metrics import accounting, engine_tokens, exporter
from tokenfleet.signals import exposition as reading
from tokenfleet.signals import snapshot

from . import conftest

pytestmark = pytest.mark.prometheus

R1 = "deepseek-reasoner"
START = dt.datetime(2025, 1, 6, 16, 20, tzinfo=dt.UTC)
SPEED = 120.0
TICK = 0.25  # real seconds: 30 clock seconds, a reconcile interval
MILLION = Decimal(1_000_000)

# Ten clock minutes per row, tokens per second: (input, cached input, output). Demand stops at
# 30 minutes so the engines' counters and the exporter's hold still while they are compared.
RATES = [(100_000, 40_000, 10_000), (140_000, 90_000, 20_000), (60_000, 20_000, 8_000)]
ROW = 600.0
END = ROW * len(RATES)


def trace() -> demand.TraceDemand:
    rows = [demand.Tokens(i * ROW, c * ROW, o * ROW) for i, c, o in RATES]
    return demand.TraceDemand(
        [0.0, ROW, 2 * ROW, END, END + 3600], [*rows, demand.Tokens(), demand.Tokens()]
    )


def deployment_spec(engine: str) -> inference_deployment.InferenceDeploymentSpec:
    role = {"minUnits": 1, "maxUnits": 1, "gpusPerNode": 8}
    return inference_deployment.InferenceDeploymentSpec.model_validate(
        {
            "model": {"name": "deepseek-ai/DeepSeek-R1", "servedName": R1},
            "engine": {"type": engine, "image": "engine:test"},
            "roles": {
                "prefill": {**role, "nodesPerUnit": 2, "capacityPerNode": 73_700},
                "decode": {**role, "nodesPerUnit": 3, "capacityPerNode": 14_800},
            },
            "nodePoolRef": {"name": "h800"},
            "pricingPlanRef": {"name": "r1"},
        }
    )


def pool_spec() -> gpu_node_pool.GPUNodePoolSpec:
    return gpu_node_pool.GPUNodePoolSpec.model_validate(
        {"maxNodes": 5, "cost": {"onDemandPerGpuHour": 2}}
    )


def night_plan() -> pricing_plan.PricingPlanSpec:
    return pricing_plan.PricingPlanSpec.model_validate(
        {
            "prices": {"inputCacheHit": "0.14", "inputCacheMiss": "0.55", "output": "2.19"},
            "windows": [{"name": "night", "start": "16:30", "end": "00:30", "percentOff": 75}],
        }
    )


def sim_pods(namespace: str, spec: inference_deployment.InferenceDeploymentSpec) -> list[Any]:
    out = []
    for role, role_spec in spec.roles.items():
        for rank in range(role_spec.nodes_per_unit):
            name = f"dsv3-{role}-0-{rank}"
            out.append(fleet.SimPod(namespace, name, "dsv3", role, "0", f"node-{name}"))
    return out


@dataclasses.dataclass
class Posted:
    """What the harness posted to the exporter, to recompute with the cost model."""

    served: dict[str, tokens.TokenCounts] = dataclasses.field(default_factory=dict)
    node_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    first: dt.datetime | None = None
    last: dt.datetime | None = None


class Harness:
    """Simulated engine pods and the exporter, fed every TICK real seconds on a scaled clock,
    both scraped by the test Prometheus through its file_sd folder. Runs in a thread of its own
    with its own event loop; `stop()` ends it and removes the targets."""

    def __init__(
        self,
        prometheus: conftest.Prometheus,
        namespace: str,
        engine: str,
        demanded: demand.Demand,
        units: dict[str, accounting.Units],
        *,
        plan: pricing_plan.PricingPlanSpec,
        pool: gpu_node_pool.GPUNodePoolSpec | None = None,
        end: float | None = None,
        capacity: dict[str, float] | None = None,
        on_tick: Callable[[Harness, int], None] | None = None,
    ) -> None:
        self.prometheus = prometheus
        self.namespace = namespace
        self.engine = engine
        self.demand = demanded
        self.units = units
        self.end = end
        self.on_tick = on_tick
        spec = deployment_spec(engine)
        self.deployment = accounting.Deployment(
            namespace, "dsv3", spec, "h800", pool or pool_spec(), "r1", plan
        )
        self.capacity = capacity or {role: s.capacity_per_node for role, s in spec.roles.items()}
        self.pods = sim_pods(namespace, spec)
        self.clock = clocks.ScaledClock(START, SPEED)
        self.fleet = exporter.FleetLedger(self.clock, CollectorRegistry())
        self.posted = Posted()
        self.sim_start = START
        self.restart: str | None = None
        self.done = threading.Event()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._targets = prometheus.targets / f"{namespace}.json"

    def start(self) -> Harness:
        self._thread.start()
        assert self.ready.wait(30), "the harness did not start"
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported by stop()
            self._error = error
            self.ready.set()
            self.done.set()

    async def _main(self) -> None:
        self.sim_start = self.clock.now()
        sim = server.Simulator(
            fleet.Fleet(
                self.demand,
                self.clock,
                START,
                fleet.Settings(capacity=self.capacity),
                lambda: self.pods,
            ),
            exposition.Shape(self.engine, model_name=R1),
        )
        running = await server.start(sim)
        serving = self.fleet.serve(0, "127.0.0.1")
        try:
            sim.fleet.advance()
            host = running.url.removeprefix("http://")
            groups = server.file_sd(sim.fleet.states(), host)
            groups.append({"targets": [f"127.0.0.1:{serving.port}"], "labels": {}})
            self._targets.write_text(json.dumps(groups))
            async with httpx.AsyncClient(timeout=5) as client:
                await self._feed(client, running.url, sim)
        finally:
            self._targets.unlink(missing_ok=True)
            serving.stop()
            await running.stop()

    async def _read(
        self, client: httpx.AsyncClient, base: str
    ) -> dict[snapshot.PodKey, reading.PodReading]:
        pods = list(self.pods)
        responses = await asyncio.gather(*(client.get(base + server.pod_path(p)) for p in pods))
        return {
            snapshot.PodKey(pod.namespace, pod.deployment, pod.role, pod.name): reading.read(
                response.text
            )
            for pod, response in zip(pods, responses, strict=True)
            if response.status_code == 200
        }

    async def _feed(self, client: httpx.AsyncClient, base: str, sim: server.Simulator) -> None:
        tracker = engine_tokens.Tracker()
        await self._read(client, base)  # opens the connections, so the next read is quick
        tracker.observe(await self._read(client, base))  # first sight counts nothing
        last = self.clock.now()
        self.posted.first = last
        self.ready.set()
        tick = 0
        while not self._stop.is_set():
            await asyncio.sleep(TICK)
            tick += 1
            readings = await self._read(client, base)
            now = self.clock.now()
            at = now if self.end is None else min(now, START + dt.timedelta(seconds=self.end))
            if not self.done.is_set() and at > last:
                served = {k.role: c for k, c in tracker.observe(readings).items()}
                self._post(served, last, at)
                last = at
            if self.restart is not None:
                # Take the pod away right after reading it and bring it back next round:
                # the simulator starts it over at zero, as an engine restart does.
                self.pods = [p for p in self.pods if p.name != self.restart]
                sim.fleet.advance()
                self.pods = sim_pods(self.namespace, self.deployment.spec)
                self.restart = None
            if self.on_tick is not None:
                self.on_tick(self, tick)
            if self.end is not None and at >= START + dt.timedelta(seconds=self.end):
                self.done.set()

    def _post(
        self, served: dict[str, tokens.TokenCounts], since: dt.datetime, at: dt.datetime
    ) -> None:
        accounting.post(self.fleet, self.deployment, served, self.units, since, at)
        seconds = (at - since).total_seconds()
        for role, counts in served.items():
            self.posted.served[role] = self.posted.served.get(role, tokens.TokenCounts()) + counts
        per_unit = {role: s.nodes_per_unit for role, s in self.deployment.spec.roles.items()}
        held = 0
        for role, units in self.units.items():
            nodes = units.held * per_unit[role]
            held += nodes
            self.posted.node_seconds[role] = (
                self.posted.node_seconds.get(role, 0.0) + nodes * seconds
            )
        self.fleet.observe_pool(
            "h800",
            self.deployment.pool,
            gpu_node_pool.NodeCounts(ready=held, allocated=held),
            desired=held,
            use=accounting.node_use(self.deployment.spec, self.units),
            seconds=seconds,
        )
        self.posted.last = at


def query(prometheus: conftest.Prometheus, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus.url}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def scalar(prometheus: conftest.Prometheus, expr: str) -> float:
    result = query(prometheus, expr)
    assert len(result) == 1, f"{expr} gave {len(result)} series: {result}"
    return float(result[0]["value"][1])


def wait_until(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


UNITS = {"prefill": accounting.Units(desired=1, ready=1), "decode": accounting.Units(1, 1)}
NS = "cost-exporter"


@pytest.fixture(scope="module")
def replayed(prometheus: conftest.Prometheus) -> Iterator[Harness]:
    def restart_half_way(harness: Harness, tick: int) -> None:
        if tick == 30:
            harness.restart = "dsv3-prefill-0-1"

    harness = Harness(
        prometheus,
        NS,
        "sglang",
        trace(),
        UNITS,
        plan=night_plan(),
        end=END,
        on_tick=restart_half_way,
    ).start()
    try:
        assert harness.done.wait(END / SPEED + 30), "the replay did not finish"
        total = sum(c.total for c in harness.posted.served.values())
        exported = f'sum(tokenfleet_tokens_total{{namespace="{NS}"}})'
        engines = f'sum(sglang:generation_tokens_total{{namespace="{NS}"}})'
        # Prometheus has scraped the last post, and the engines after demand stopped.
        wait_until(
            "Prometheus to scrape the last post",
            lambda: bool(query(prometheus, exported)) and scalar(prometheus, exported) == total,
        )
        readings = [scalar(prometheus, engines)]

        def settled() -> bool:
            time.sleep(1.5)
            readings.append(scalar(prometheus, engines))
            return readings[-1] == readings[-2]

        wait_until("the engines' counters to hold still", settled)
        yield harness
    finally:
        harness.stop()


def model_figures(harness: Harness) -> unit_economics.CostPerMillion:
    """The cost model applied to exactly what was posted."""
    pool = harness.deployment.pool
    by_role = {
        role: cost.node_cost(pool.cost, pool.gpus_per_node, 1, seconds)
        for role, seconds in harness.posted.node_seconds.items()
    }
    served = sum(harness.posted.served.values(), tokens.TokenCounts())
    share = unit_economics.input_share(by_role["prefill"], by_role["decode"])
    return unit_economics.cost_per_million(sum(by_role.values(), Decimal(0)), served, share)


def seconds_from_start(at: dt.datetime | None) -> float:
    assert at is not None
    return (at - START).total_seconds()


def arrived(t0: float, t1: float) -> tokens.TokenCounts:
    """Tokens the trace brought in [t0, t1) clock seconds from the start, whole."""
    got = trace().tokens_between(t0, t1)
    return tokens.TokenCounts.of(
        input=round(got.input), cached_input=round(got.cached), output=round(got.output)
    )


def trace_figures(
    harness: Harness, tokens_from: dt.datetime | None = None
) -> unit_economics.CostPerMillion:
    """The cost model applied to the trace and the fleet over the replayed interval, knowing
    nothing of what was posted; tokens counted from `tokens_from` (default: the interval)."""
    pool = pool_spec()
    t0, t1 = seconds_from_start(harness.posted.first), seconds_from_start(harness.posted.last)
    prefill = cost.node_cost(pool.cost, 8, 2, t1 - t0)
    decode = cost.node_cost(pool.cost, 8, 3, t1 - t0)
    served = arrived(seconds_from_start(tokens_from or harness.posted.first), t1)
    share = unit_economics.input_share(prefill, decode)
    return unit_economics.cost_per_million(prefill + decode, served, share)


def close(a: float, b: float | Decimal | None, rel: float = 0.01) -> bool:
    return b is not None and a == pytest.approx(float(b), rel=rel)


def test_the_replay_spanned_half_an_hour_and_counted_every_token_despite_a_restart(
    replayed: Harness,
) -> None:
    posted = replayed.posted
    assert posted.first is not None and posted.last is not None
    assert (posted.last - posted.first).total_seconds() == pytest.approx(END, abs=SPEED)
    wanted = arrived(seconds_from_start(posted.first), seconds_from_start(posted.last))
    counted = sum(posted.served.values(), tokens.TokenCounts())
    assert close(counted.input_cache_hit, wanted.input_cache_hit)
    assert close(counted.input_cache_miss, wanted.input_cache_miss)
    assert close(counted.output, wanted.output)


@pytest.mark.parametrize("token_class", ["input", "output", "blended"])
def test_the_exported_cost_per_million_tokens_matches_the_cost_model(
    replayed: Harness, prometheus: conftest.Prometheus, token_class: str
) -> None:
    exported = scalar(
        prometheus,
        f'tokenfleet_cost_per_million_tokens{{namespace="{NS}", token_class="{token_class}"}}',
    )
    assert close(exported, getattr(model_figures(replayed), token_class))
    assert close(exported, getattr(trace_figures(replayed), token_class))


def test_opencost_phases_match_input_and_output(
    replayed: Harness, prometheus: conftest.Prometheus
) -> None:
    figures = model_figures(replayed)
    for phase, wanted in (("prompt", figures.input), ("generation", figures.output)):
        got = scalar(
            prometheus, f'llm_cost_per_million_tokens{{namespace="{NS}", phase="{phase}"}}'
        )
        assert close(got, wanted)


def test_promql_over_the_exporters_counters_gives_the_same_ratio(
    replayed: Harness, prometheus: conftest.Prometheus
) -> None:
    selector = f'{{namespace="{NS}"}}'
    ratio = scalar(
        prometheus,
        f"sum(tokenfleet_cost_total{selector}) / sum(tokenfleet_tokens_total{selector}) * 1e6",
    )
    assert close(ratio, model_figures(replayed).blended)
    assert close(ratio, trace_figures(replayed).blended)


def test_promql_over_the_engines_own_counters_gives_the_same_output_cost(
    replayed: Harness, prometheus: conftest.Prometheus
) -> None:
    # The decode pods did not restart, so their counters hold every output token since the
    # simulator started, a moment before the first post.
    ratio = scalar(
        prometheus,
        f'sum(tokenfleet_cost_total{{namespace="{NS}", role="decode"}}) / '
        f'sum(sglang:generation_tokens_total{{namespace="{NS}", tokenfleet_io_role="decode"}})'
        " * 1e6",
    )
    assert close(ratio, trace_figures(replayed, tokens_from=replayed.sim_start).output)


def test_realised_revenue_is_the_trace_priced_row_by_row(
    replayed: Harness, prometheus: conftest.Prometheus
) -> None:
    plan = night_plan()
    t0, t1 = seconds_from_start(replayed.posted.first), seconds_from_start(replayed.posted.last)
    wanted = revenue.Revenue()
    for row in range(len(RATES)):
        # Each row at the prices in force at its middle: rows start and end on window edges.
        opens, closes = max(t0, row * ROW), min(t1, (row + 1) * ROW)
        middle = START + dt.timedelta(seconds=row * ROW + ROW / 2)
        wanted += revenue.revenue(plan, R1, arrived(opens, closes), middle)
    got = scalar(prometheus, f'sum(tokenfleet_revenue_total{{namespace="{NS}", kind="realised"}})')
    assert close(got, wanted.realised)
    assert wanted.realised < wanted.theoretical * Decimal("0.6")  # the night discount counted
