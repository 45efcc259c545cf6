"""PrometheusSource without a Prometheus: turning query answers into a snapshot.

The real Prometheus path is covered in tests/prometheus; here a stand-in client answers each
query, to pin vector parsing, missing values, failures and the clock-time conversion.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from prometheus_api_client import exceptions

from tokenfleet import clock as clocks
from tokenfleet.signals import prometheus, promql, snapshot

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
ROLE = {"namespace": "ns", "tokenfleet_io_deployment": "dsv3", "tokenfleet_io_role": "prefill"}


def vector(value: str, metric: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return [{"metric": metric if metric is not None else ROLE, "value": [1736121600.0, value]}]


class Answers:
    """Answers by which reading a query is for; a reading mapped to an exception raises it."""

    def __init__(self, by_reading: dict[promql.Reading, Any]) -> None:
        self.by_query = {promql.query(r, 60): a for r, a in by_reading.items()}
        self.asked: list[str] = []

    def custom_query(self, query: str, params: dict[str, str] | None = None) -> Any:
        self.asked.append(query)
        answer = self.by_query.get(query, [])
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_every_reading_is_asked_and_mapped_to_its_field() -> None:
    answers = Answers(
        {
            promql.Reading.INPUT_RATE: vector("1000"),
            promql.Reading.CACHED_RATE: vector("600"),
            promql.Reading.OUTPUT_RATE: vector("300"),
            promql.Reading.KV_CACHE_USAGE: vector("0.5"),
            promql.Reading.QUEUE_DEPTH: vector("7"),
            promql.Reading.RUNNING_REQUESTS: vector("40"),
            promql.Reading.TTFT_P90: vector("0.8"),
            promql.Reading.ITL_P90: vector("0.03"),
            promql.Reading.GPU_UTILIZATION: vector("0.71"),
        }
    )
    clock = clocks.FakeClock(START)
    source = prometheus.PrometheusSource("http://unused", clock, client=answers)  # type: ignore[arg-type]
    sample = await source.sample()
    assert len(answers.asked) == len(promql.Reading)
    key = snapshot.RoleKey("ns", "dsv3", "prefill")
    assert sample.sampled_at == START
    assert sample.roles == {
        key: snapshot.RoleSignals(
            key=key,
            input_tokens_per_second=1000.0,
            cached_share=0.6,
            output_tokens_per_second=300.0,
            kv_cache_usage=0.5,
            queue_depth=7.0,
            running_requests=40.0,
            ttft_p90_seconds=0.8,
            itl_p90_seconds=0.03,
            gpu_utilization=0.71,
        )
    }


async def test_rates_are_converted_to_clock_seconds_under_a_scaled_clock() -> None:
    answers = Answers(
        {
            promql.Reading.INPUT_RATE: vector("6000"),
            promql.Reading.KV_CACHE_USAGE: vector("0.5"),
        }
    )
    clock = clocks.ScaledClock(START, speed=60)
    source = prometheus.PrometheusSource("http://unused", clock, client=answers)  # type: ignore[arg-type]
    role = (await source.sample()).role("ns", "dsv3", "prefill")
    assert role is not None
    assert role.input_tokens_per_second == pytest.approx(100.0)
    assert role.kv_cache_usage == 0.5


async def test_a_failed_query_leaves_its_reading_empty_and_the_rest_read() -> None:
    answers = Answers(
        {
            promql.Reading.INPUT_RATE: exceptions.PrometheusApiClientException("HTTP 422"),
            promql.Reading.OUTPUT_RATE: ConnectionError("refused"),
            promql.Reading.QUEUE_DEPTH: vector("2"),
        }
    )
    source = prometheus.PrometheusSource("http://unused", clocks.FakeClock(START), client=answers)  # type: ignore[arg-type]
    role = (await source.sample()).role("ns", "dsv3", "prefill")
    assert role is not None
    assert role.input_tokens_per_second is None
    assert role.output_tokens_per_second is None
    assert role.cached_share is None
    assert role.queue_depth == 2.0


def test_series_without_role_labels_or_with_nan_are_dropped() -> None:
    answer = [
        *vector("NaN"),
        *vector("5", {"namespace": "ns", "tokenfleet_io_deployment": "dsv3"}),
        *vector("3", {**ROLE, "tokenfleet_io_role": "decode"}),
    ]
    assert prometheus.parse_vector(answer) == {snapshot.RoleKey("ns", "dsv3", "decode"): 3.0}


def test_a_zero_input_rate_has_no_cached_share() -> None:
    results = {
        promql.Reading.INPUT_RATE: {snapshot.RoleKey("ns", "d", "prefill"): 0.0},
        promql.Reading.CACHED_RATE: {snapshot.RoleKey("ns", "d", "prefill"): 0.0},
    }
    role = prometheus.assemble(results, START, 1.0).role("ns", "d", "prefill")
    assert role is not None and role.input_tokens_per_second == 0.0 and role.cached_share is None


class Ranges:
    """Answers query_range: every reading's series holds `points` (real epoch, value)."""

    def __init__(self, points: list[tuple[float, str]]) -> None:
        self.points = points
        self.asked: list[tuple[str, dt.datetime, dt.datetime, str]] = []

    def custom_query_range(
        self, query: str, start_time: dt.datetime, end_time: dt.datetime, step: str
    ) -> Any:
        self.asked.append((query, start_time, end_time, step))
        if query != promql.query(promql.Reading.OUTPUT_RATE, 60):
            return []
        return [{"metric": ROLE, "values": [[t, v] for t, v in self.points]}]


def test_history_replays_the_readings_at_past_instants_on_the_clocks_own_time() -> None:
    """A 60x clock: ten minutes of clock history are ten real seconds in Prometheus; each
    point comes back at the clock instant it stands for, its rate per clock second."""
    now_real = time.time()
    clock = clocks.ScaledClock(START, speed=60, anchor=now_real - 100)
    ranges = Ranges([(now_real - 10.0, "6000"), (now_real - 5.0, "12000")])
    source = prometheus.PrometheusSource("http://unused", clock, client=ranges)  # type: ignore[arg-type]
    found = source.history(clock.now() - dt.timedelta(minutes=10), step_seconds=30)

    assert len(ranges.asked) == len(promql.Reading)
    _, start, end, step = ranges.asked[0]
    assert (end - start).total_seconds() == pytest.approx(10, abs=1.01)  # whole seconds
    assert float(step) == pytest.approx(0.5)  # 30 clock seconds at 60x
    assert [s.sampled_at for s in found] == pytest.approx(
        [clock.now() - dt.timedelta(minutes=10), clock.now() - dt.timedelta(minutes=5)],
        abs=dt.timedelta(seconds=30),
    )
    key = snapshot.RoleKey("ns", "dsv3", "prefill")
    assert [s.roles[key].output_tokens_per_second for s in found] == [100.0, 200.0]


def test_history_is_empty_on_a_clock_that_does_not_run_in_real_time() -> None:
    ranges = Ranges([(1.0, "1")])
    source = prometheus.PrometheusSource("http://unused", clocks.FakeClock(START), client=ranges)  # type: ignore[arg-type]
    assert source.history(START - dt.timedelta(hours=1), step_seconds=30) == []
    assert ranges.asked == []
