"""Both signal sources against the engine simulator, with a real Prometheus in the middle.

The simulator serves SGLang- or vLLM-shaped pods (new and old metric names) on a clock running
60x real time; Prometheus scrapes them every second through file_sd with the target labels a
tokenfleet scrape config adds. PrometheusSource must return the demand the simulator was fed,
per clock second, within 2%, plus KV usage and the DCGM GPU utilisation joined through the
node (both spellings of DCGM's host label); ScrapeSource, reading the pods directly, the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand, exposition, fleet, pods, server
from tokenfleet.signals import prometheus as prometheus_source
from tokenfleet.signals import scrape, snapshot

from . import conftest

pytestmark = pytest.mark.prometheus

START = dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC)
SPEED = 60.0
RATE = demand.Tokens(input=50_000, cached=20_000, output=4_000)
CAPACITY = {"prefill": 73_700.0, "decode": 14_800.0}
COUNTS = {"prefill": 2, "decode": 3}


@pytest.fixture
async def simulator(
    request: pytest.FixtureRequest, prometheus: conftest.Prometheus
) -> AsyncIterator[tuple[server.Running, clocks.ScaledClock, str]]:
    engine, old_names = request.param
    namespace = f"{engine}-{'old' if old_names else 'new'}"
    clock = clocks.ScaledClock(START, SPEED)
    current = pods.static_pods(namespace, "dsv3", COUNTS)
    sim = server.Simulator(
        fleet.Fleet(
            demand.ConstantDemand(RATE),
            clock,
            START,
            fleet.Settings(capacity=CAPACITY),
            lambda: current,
        ),
        exposition.Shape(engine, ranks_per_pod=2, old_names=old_names),
        dcgm_host_label="Hostname" if old_names else "hostname",
    )
    running = await server.start(sim)
    targets = prometheus.targets / f"{namespace}.json"
    host = running.url.removeprefix("http://")
    targets.write_text(json.dumps(server.file_sd(sim.fleet.states(), host)))
    try:
        yield running, clock, namespace
    finally:
        targets.unlink()
        await running.stop()


def complete(sample: snapshot.Snapshot, namespace: str) -> bool:
    prefill = sample.role(namespace, "dsv3", "prefill")
    decode = sample.role(namespace, "dsv3", "decode")
    return (
        prefill is not None
        and decode is not None
        and prefill.input_tokens_per_second is not None
        and decode.output_tokens_per_second is not None
        and decode.gpu_utilization is not None
    )


CASES = [("sglang", False), ("sglang", True), ("vllm", False), ("vllm", True)]
IDS = ["sglang", "sglang-old-names", "vllm", "vllm-old-names"]


@pytest.mark.parametrize("simulator", CASES, ids=IDS, indirect=True)
async def test_prometheus_source_returns_the_demand_fed_to_the_simulator(
    simulator: tuple[server.Running, clocks.ScaledClock, str], prometheus: conftest.Prometheus
) -> None:
    _, clock, namespace = simulator
    source = prometheus_source.PrometheusSource(prometheus.url, clock, window_seconds=5)
    deadline = time.monotonic() + 60
    sample = await source.sample()
    while not complete(sample, namespace):
        assert time.monotonic() < deadline, f"Prometheus never had all signals: {sample}"
        await asyncio.sleep(0.5)
        sample = await source.sample()
    # A 5 s window needs a few scrapes in it to be steady.
    await asyncio.sleep(5)
    sample = await source.sample()
    prefill = sample.role(namespace, "dsv3", "prefill")
    decode = sample.role(namespace, "dsv3", "decode")
    assert prefill is not None and decode is not None
    assert prefill.input_tokens_per_second == pytest.approx(RATE.input, rel=0.02)
    assert prefill.cached_share == pytest.approx(RATE.cached / RATE.input, rel=0.02)
    assert decode.output_tokens_per_second == pytest.approx(RATE.output, rel=0.02)
    decode_load = RATE.output / COUNTS["decode"] / CAPACITY["decode"]
    prefill_load = RATE.input / COUNTS["prefill"] / CAPACITY["prefill"]
    assert decode.kv_cache_usage == pytest.approx(decode_load, rel=0.01)
    assert decode.queue_depth == 0
    assert decode.running_requests == pytest.approx(decode_load * 256 * COUNTS["decode"], rel=0.01)
    assert decode.gpu_utilization == pytest.approx(round(decode_load * 100) / 100)
    assert prefill.gpu_utilization == pytest.approx(round(prefill_load * 100) / 100)
    assert prefill.ttft_p90_seconds is not None and 0.2 < prefill.ttft_p90_seconds < 0.4
    assert decode.itl_p90_seconds is not None and 0.015 < decode.itl_p90_seconds < 0.025
    # Within capacity nothing waits or is dropped: offered demand is what is served, and the
    # request counters (one request per 2,048 prompt tokens) give the tokens per request.
    requests = RATE.input / fleet.Settings(capacity=CAPACITY).input_tokens_per_request
    assert decode.requests_per_second == pytest.approx(requests, rel=0.02)
    assert decode.queue_growth_per_second == 0
    assert decode.aborted_requests_per_second == 0
    assert decode.demand_tokens_per_second == pytest.approx(RATE.output, rel=0.02)
    assert prefill.demand_tokens_per_second == pytest.approx(RATE.input, rel=0.02)


@pytest.mark.parametrize("simulator", CASES, ids=IDS, indirect=True)
async def test_scrape_source_returns_the_same_demand_without_prometheus(
    simulator: tuple[server.Running, clocks.ScaledClock, str],
) -> None:
    running, clock, namespace = simulator
    async with httpx.AsyncClient(timeout=5) as client:
        groups = (await client.get(running.url + "/targets.json")).json()
        targets = [
            scrape.Target(
                running.url + g["labels"]["__metrics_path__"],
                g["labels"]["namespace"],
                g["labels"]["tokenfleet_io_deployment"],
                g["labels"]["tokenfleet_io_role"],
                g["labels"]["pod"],
            )
            for g in groups
            if "tokenfleet_io_role" in g["labels"]
        ]
        source = scrape.ScrapeSource(lambda: targets, clock, client=client)
        await source.sample()
        await asyncio.sleep(2)
        sample = await source.sample()
    prefill = sample.role(namespace, "dsv3", "prefill")
    decode = sample.role(namespace, "dsv3", "decode")
    assert prefill is not None and decode is not None
    assert prefill.input_tokens_per_second == pytest.approx(RATE.input, rel=0.02)
    assert prefill.cached_share == pytest.approx(RATE.cached / RATE.input, rel=0.02)
    assert decode.output_tokens_per_second == pytest.approx(RATE.output, rel=0.02)
