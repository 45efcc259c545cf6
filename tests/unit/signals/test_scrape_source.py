"""ScrapeSource: rates from two scrapes over clock time, per role, with pods failing and coming.

Engines are served through httpx's MockTransport; the clock is a FakeClock moved on purpose.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tokenfleet import clock as clocks
from tokenfleet.signals import scrape, snapshot

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def sglang_text(prompt: float, generated: float, cached: float, queue: float = 0.0) -> str:
    return (
        "# TYPE sglang:prompt_tokens_total counter\n"
        f'sglang:prompt_tokens_total{{model_name="m"}} {prompt}\n'
        "# TYPE sglang:generation_tokens_total counter\n"
        f'sglang:generation_tokens_total{{model_name="m"}} {generated}\n'
        "# TYPE sglang:cached_tokens_total counter\n"
        f'sglang:cached_tokens_total{{model_name="m"}} {cached}\n'
        "# TYPE sglang:num_queue_reqs gauge\n"
        f'sglang:num_queue_reqs{{model_name="m",tp_rank="0"}} {queue}\n'
        "# TYPE sglang:token_usage gauge\n"
        f'sglang:token_usage{{model_name="m",tp_rank="0"}} {queue / 10}\n'
    )


class Engines:
    """Answers each pod URL with the text set for it; a missing pod answers 503."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        text = self.texts.get(str(request.url))
        if text is None:
            return httpx.Response(503)
        return httpx.Response(200, text=text)


def target(pod: str, role: str) -> scrape.Target:
    return scrape.Target(f"http://{pod}:30000/metrics", "ns", "dsv3", role, pod)


@pytest.fixture
def engines() -> Engines:
    return Engines()


@pytest.fixture
def clock() -> clocks.FakeClock:
    return clocks.FakeClock(START)


async def test_first_sample_has_gauges_but_no_rates(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    p0 = target("p0", "prefill")
    engines.texts[p0.url] = sglang_text(1000, 0, 500, queue=4)
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: [p0], clock, client=client)
        sample = await source.sample()
    role = sample.role("ns", "dsv3", "prefill")
    assert role is not None
    assert role.input_tokens_per_second is None
    assert role.queue_depth == 4.0
    assert role.kv_cache_usage == pytest.approx(0.4)
    assert sample.sampled_at == START


async def test_rates_are_counter_growth_over_clock_seconds_summed_per_role(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    pods = [target("p0", "prefill"), target("p1", "prefill"), target("d0", "decode")]
    engines.texts = {p.url: sglang_text(0, 0, 0) for p in pods}
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: pods, clock, client=client)
        await source.sample()
        clock.advance(20)
        engines.texts[pods[0].url] = sglang_text(20_000, 0, 5_000)
        engines.texts[pods[1].url] = sglang_text(40_000, 0, 10_000)
        engines.texts[pods[2].url] = sglang_text(60_000, 8_000, 0, queue=3)
        sample = await source.sample()
    prefill = sample.role("ns", "dsv3", "prefill")
    decode = sample.role("ns", "dsv3", "decode")
    assert prefill is not None and decode is not None
    assert prefill.input_tokens_per_second == pytest.approx(3_000)
    assert prefill.cached_share == pytest.approx(0.25)
    assert prefill.demand_tokens_per_second == pytest.approx(3_000)
    assert decode.output_tokens_per_second == pytest.approx(400)
    assert decode.demand_tokens_per_second == pytest.approx(400)
    assert decode.queue_depth == 3.0
    assert decode.gpu_utilization is None


async def test_a_restarted_engine_counts_from_zero(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    d0 = target("d0", "decode")
    engines.texts[d0.url] = sglang_text(0, 90_000, 0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: [d0], clock, client=client)
        await source.sample()
        clock.advance(10)
        engines.texts[d0.url] = sglang_text(0, 1_000, 0)
        sample = await source.sample()
    role = sample.role("ns", "dsv3", "decode")
    assert role is not None and role.output_tokens_per_second == pytest.approx(100)


async def test_an_unreachable_role_is_present_with_nothing_read(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    d0 = target("d0", "decode")
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: [d0], clock, client=client)
        sample = await source.sample()
    assert sample.roles == {
        snapshot.RoleKey("ns", "dsv3", "decode"): snapshot.RoleSignals(
            key=snapshot.RoleKey("ns", "dsv3", "decode")
        )
    }


async def test_a_pod_that_failed_one_scrape_rates_over_the_whole_gap(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    d0 = target("d0", "decode")
    engines.texts[d0.url] = sglang_text(0, 0, 0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: [d0], clock, client=client)
        await source.sample()
        clock.advance(10)
        del engines.texts[d0.url]
        missed = await source.sample()
        clock.advance(10)
        engines.texts[d0.url] = sglang_text(0, 4_000, 0)
        sample = await source.sample()
    missed_role = missed.role("ns", "dsv3", "decode")
    assert missed_role is not None and missed_role.output_tokens_per_second is None
    role = sample.role("ns", "dsv3", "decode")
    assert role is not None and role.output_tokens_per_second == pytest.approx(200)


async def test_a_new_pod_adds_to_the_rate_only_from_its_second_scrape(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    d0, d1 = target("d0", "decode"), target("d1", "decode")
    current = [d0]
    engines.texts = {d0.url: sglang_text(0, 0, 0), d1.url: sglang_text(0, 50_000, 0)}
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: current, clock, client=client)
        await source.sample()
        clock.advance(10)
        current = [d0, d1]
        engines.texts[d0.url] = sglang_text(0, 1_000, 0)
        sample = await source.sample()
    role = sample.role("ns", "dsv3", "decode")
    assert role is not None and role.output_tokens_per_second == pytest.approx(100)


def test_a_running_engine_pod_becomes_a_target() -> None:
    pod = {
        "metadata": {
            "name": "dsv3-decode-0-3",
            "namespace": "llm",
            "labels": {"tokenfleet.io/deployment": "dsv3", "tokenfleet.io/role": "decode"},
        },
        "status": {"phase": "Running", "podIP": "127.100.0.7"},
    }
    assert scrape.target_of_pod(pod, 30000) == scrape.Target(
        "http://127.100.0.7:30000/metrics", "llm", "dsv3", "decode", "dsv3-decode-0-3"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"status": {"phase": "Pending", "podIP": "127.100.0.7"}},
        {"status": {"phase": "Running"}},
        {"metadata": {"name": "x", "namespace": "llm", "labels": {}}},
    ],
)
def test_pods_not_running_without_ip_or_labels_are_no_targets(change: dict[str, object]) -> None:
    pod: dict[str, object] = {
        "metadata": {
            "name": "x",
            "namespace": "llm",
            "labels": {"tokenfleet.io/deployment": "dsv3", "tokenfleet.io/role": "decode"},
        },
        "status": {"phase": "Running", "podIP": "127.100.0.7"},
    }
    pod.update(change)
    assert scrape.target_of_pod(pod, 8000) is None


async def test_a_pod_that_answers_something_else_than_metrics_is_skipped(
    engines: Engines, clock: clocks.FakeClock
) -> None:
    # Something else listens on one pod's port (a JSON API, a proxy's page): the other pods
    # are still read, and the sample does not fail.
    good, odd = target("p0", "prefill"), target("p1", "prefill")
    engines.texts[good.url] = sglang_text(1000, 0, 500, queue=4)
    engines.texts[odd.url] = '{"model_path": "m", "tp_size": 8}'
    async with httpx.AsyncClient(transport=httpx.MockTransport(engines.handler)) as client:
        source = scrape.ScrapeSource(lambda: [good, odd], clock, client=client)
        sample = await source.sample()
    role = sample.role("ns", "dsv3", "prefill")
    assert role is not None and role.queue_depth == 4.0
