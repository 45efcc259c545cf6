"""The simulator over HTTP, read back by signals' ScrapeSource: the demand it is fed comes back.

The server runs in-process on a loopback port; time is a FakeClock moved by the test, so the
rates are exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand, exposition, fleet, pods, server
from tokenfleet.signals import scrape

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
RATE = demand.Tokens(input=50_000, cached=20_000, output=4_000)


async def started(engine: str, clock: clocks.Clock, old_names: bool = False) -> server.Running:
    current = pods.static_pods("ns", "dsv3", {"prefill": 2, "decode": 3})
    sim = server.Simulator(
        fleet.Fleet(
            demand.ConstantDemand(RATE),
            clock,
            START,
            fleet.Settings(capacity={"prefill": 73_700, "decode": 14_800}),
            lambda: current,
        ),
        exposition.Shape(engine, ranks_per_pod=2, old_names=old_names),
    )
    return await server.start(sim)


@pytest.fixture
def clock() -> clocks.FakeClock:
    return clocks.FakeClock(START)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


def targets_of(groups: list[dict[str, object]], base: str) -> list[scrape.Target]:
    out = []
    for group in groups:
        labels = group["labels"]
        assert isinstance(labels, dict)
        if "tokenfleet_io_role" not in labels:
            continue
        out.append(
            scrape.Target(
                base + labels["__metrics_path__"],
                labels["namespace"],
                labels["tokenfleet_io_deployment"],
                labels["tokenfleet_io_role"],
                labels["pod"],
            )
        )
    return out


@pytest.mark.parametrize(
    ("engine", "old_names"), [("sglang", False), ("sglang", True), ("vllm", False), ("vllm", True)]
)
async def test_scrape_source_reads_back_the_demand_fed_to_the_simulator(
    engine: str, old_names: bool, clock: clocks.FakeClock, client: httpx.AsyncClient
) -> None:
    running = await started(engine, clock, old_names)
    try:
        groups = (await client.get(running.url + "/targets.json")).json()
        targets = targets_of(groups, running.url)
        assert len(targets) == 5
        source = scrape.ScrapeSource(lambda: targets, clock, client=client)
        await source.sample()
        clock.advance(30)
        sample = await source.sample()
    finally:
        await running.stop()
    prefill = sample.role("ns", "dsv3", "prefill")
    decode = sample.role("ns", "dsv3", "decode")
    assert prefill is not None and decode is not None
    assert prefill.input_tokens_per_second == pytest.approx(RATE.input)
    assert prefill.cached_share == pytest.approx(RATE.cached / RATE.input)
    assert decode.output_tokens_per_second == pytest.approx(RATE.output)
    assert decode.kv_cache_usage == pytest.approx(RATE.output / 3 / 14_800)
    assert prefill.ttft_p90_seconds is not None and prefill.ttft_p90_seconds > 0
    assert decode.itl_p90_seconds is not None and decode.itl_p90_seconds > 0


async def test_unknown_pods_are_404_and_known_pods_healthy(
    clock: clocks.FakeClock, client: httpx.AsyncClient
) -> None:
    running = await started("sglang", clock)
    try:
        missing = await client.get(running.url + "/pods/ns/nope/metrics")
        healthy = await client.get(running.url + "/pods/ns/dsv3-decode-0-0/health")
        itself = await client.get(running.url + "/health")
    finally:
        await running.stop()
    assert missing.status_code == 404
    assert healthy.status_code == 200
    assert itself.status_code == 200


async def test_targets_list_the_dcgm_endpoint_once(
    clock: clocks.FakeClock, client: httpx.AsyncClient
) -> None:
    running = await started("vllm", clock)
    try:
        groups = (await client.get(running.url + "/targets.json")).json()
        dcgm = await client.get(running.url + "/dcgm/metrics")
    finally:
        await running.stop()
    paths = [g["labels"]["__metrics_path__"] for g in groups]
    assert paths.count("/dcgm/metrics") == 1
    assert dcgm.status_code == 200
    assert dcgm.text.count("DCGM_FI_DEV_GPU_UTIL{") == 5 * 8
