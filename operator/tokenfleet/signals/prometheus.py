"""Signals from Prometheus, through prometheus-api-client.

prometheus-api-client is synchronous (requests); `sample()` runs the queries in a worker thread
(`asyncio.to_thread`) so kopf's event loop never blocks on the network. Prometheus keeps real
time, so its `rate()`s are per real second; they are converted to per second of the process
clock with `clock.real_seconds` (under a 60x scaled clock, 60 real seconds of counters hold an
hour of clock-time demand). A clock that does not run in real time (FakeClock) leaves them as
they are. The rate window is in real seconds: it must span a few scrape intervals.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import math
from typing import Any

from prometheus_api_client import exceptions, prometheus_connect

from tokenfleet import clock as clocks
from tokenfleet.signals import labels, promql, snapshot

# Readings per real second, turned into per clock second.
_RATES = (
    promql.Reading.INPUT_RATE,
    promql.Reading.CACHED_RATE,
    promql.Reading.OUTPUT_RATE,
    promql.Reading.REQUEST_RATE,
    promql.Reading.ABORTED_RATE,
    promql.Reading.QUEUE_GROWTH,
)

Results = dict[promql.Reading, dict[snapshot.RoleKey, float]]

PARALLEL_QUERIES = 6
"""Queries of one sample in flight at once."""

MAX_HISTORY_POINTS = 10_000
"""Points per series a history read asks for at most (Prometheus refuses more than 11,000)."""


def parse_vector(result: list[dict[str, Any]]) -> dict[snapshot.RoleKey, float]:
    """An instant-vector answer as values per role; series without role labels or NaN dropped."""
    values: dict[snapshot.RoleKey, float] = {}
    for item in result:
        metric = item.get("metric", {})
        try:
            key = snapshot.RoleKey(
                metric[labels.NAMESPACE], metric[labels.DEPLOYMENT], metric[labels.ROLE]
            )
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if math.isfinite(value):
            values[key] = value
    return values


def parse_matrix(result: list[dict[str, Any]]) -> dict[float, dict[snapshot.RoleKey, float]]:
    """A range answer as values per role at each evaluation instant (real epoch seconds)."""
    out: dict[float, dict[snapshot.RoleKey, float]] = {}
    for item in result:
        for point in item.get("values") or []:
            one = parse_vector([{"metric": item.get("metric", {}), "value": point}])
            try:
                at = float(point[0])
            except (IndexError, TypeError, ValueError):
                continue
            out.setdefault(at, {}).update(one)
    return out


def assemble(results: Results, at: dt.datetime, rate_scale: float) -> snapshot.Snapshot:
    """Builds the snapshot from per-reading answers; rates are multiplied by `rate_scale`."""
    keys = sorted({key for values in results.values() for key in values})

    def get(reading: promql.Reading, key: snapshot.RoleKey) -> float | None:
        value = results.get(reading, {}).get(key)
        if value is not None and reading in _RATES:
            value *= rate_scale
        return value

    roles = {}
    for key in keys:
        input_rate = get(promql.Reading.INPUT_RATE, key)
        cached_rate = get(promql.Reading.CACHED_RATE, key)
        roles[key] = snapshot.RoleSignals(
            key=key,
            input_tokens_per_second=input_rate,
            cached_share=cached_rate / input_rate
            if input_rate and cached_rate is not None
            else None,
            output_tokens_per_second=get(promql.Reading.OUTPUT_RATE, key),
            kv_cache_usage=get(promql.Reading.KV_CACHE_USAGE, key),
            queue_depth=get(promql.Reading.QUEUE_DEPTH, key),
            running_requests=get(promql.Reading.RUNNING_REQUESTS, key),
            ttft_p90_seconds=get(promql.Reading.TTFT_P90, key),
            itl_p90_seconds=get(promql.Reading.ITL_P90, key),
            gpu_utilization=get(promql.Reading.GPU_UTILIZATION, key),
            requests_per_second=get(promql.Reading.REQUEST_RATE, key),
            queue_growth_per_second=get(promql.Reading.QUEUE_GROWTH, key),
            aborted_requests_per_second=get(promql.Reading.ABORTED_RATE, key),
        )
    return snapshot.Snapshot(sampled_at=at, roles=roles)


PLANNED: frozenset[promql.Reading] = frozenset(
    {
        promql.Reading.INPUT_RATE,
        promql.Reading.CACHED_RATE,
        promql.Reading.OUTPUT_RATE,
        promql.Reading.QUEUE_DEPTH,
        promql.Reading.REQUEST_RATE,
        promql.Reading.ABORTED_RATE,
        promql.Reading.QUEUE_GROWTH,
    }
)
"""What the planner decides on: offered demand (served, queued, aborted). Latency quantiles,
KV usage and GPU utilisation are dashboards' business; asking for them every step costs
Prometheus more than everything else together (histogram quantiles over every pod's buckets)."""


class PrometheusSource:
    """Reads every role's signals from one Prometheus (`readings` of them; the rest stay None)."""

    def __init__(
        self,
        url: str,
        clock: clocks.Clock,
        window_seconds: float = 60.0,
        timeout_seconds: int = 10,
        client: prometheus_connect.PrometheusConnect | None = None,
        readings: frozenset[promql.Reading] | None = None,
    ) -> None:
        self._clock = clock
        self._window = window_seconds
        self._readings = [r for r in promql.Reading if readings is None or r in readings]
        self._client = client or prometheus_connect.PrometheusConnect(
            url=url, timeout=timeout_seconds
        )
        # Raises on a bad window now rather than at every sample.
        promql.duration(window_seconds)

    def _one(self, reading: promql.Reading) -> dict[snapshot.RoleKey, float]:
        try:
            answer = self._client.custom_query(promql.query(reading, self._window))
        except (exceptions.PrometheusApiClientException, OSError, ValueError, KeyError):
            answer = []
        return parse_vector(answer)

    def query_all(self) -> Results:
        """Runs every reading's query (blocking), side by side: a step waits for the slowest
        query, not for their sum. A failed query leaves its reading empty."""
        readings = self._readings
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=PARALLEL_QUERIES, thread_name_prefix="promql"
        ) as pool:
            answers = list(pool.map(self._one, readings))
        return dict(zip(readings, answers, strict=True))

    def _range(
        self, reading: promql.Reading, start: float, end: float, step: float
    ) -> dict[float, dict[snapshot.RoleKey, float]]:
        try:
            answer = self._client.custom_query_range(
                promql.query(reading, self._window),
                start_time=dt.datetime.fromtimestamp(start, dt.UTC),
                end_time=dt.datetime.fromtimestamp(end, dt.UTC),
                step=f"{step:.3f}",
            )
        except (exceptions.PrometheusApiClientException, OSError, ValueError, KeyError):
            answer = []
        return parse_matrix(answer)

    def history(self, since: dt.datetime, step_seconds: float) -> list[snapshot.Snapshot]:
        """What `sample` would have read every `step_seconds` of the clock from `since` until
        now, oldest first (blocking): the same queries, evaluated at past instants. Empty under
        a clock that does not run in real time (nothing maps it to Prometheus's time) or when
        Prometheus holds nothing; a reading that fails is missing from every snapshot.

        One read per reading over the whole span, so it takes about as long as a few samples;
        the step widens when the span would need more than `MAX_HISTORY_POINTS` points.
        """
        start = clocks.real_epoch(self._clock, since)
        end = clocks.real_epoch(self._clock, self._clock.now())
        real_per_clock = self._clock.real_seconds(1.0)
        if start is None or end is None or end <= start or step_seconds <= 0:
            return []
        step = max(step_seconds * real_per_clock, (end - start) / MAX_HISTORY_POINTS)
        readings = self._readings
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=PARALLEL_QUERIES, thread_name_prefix="promql"
        ) as pool:
            answers = list(pool.map(lambda r: self._range(r, start, end, step), readings))
        instants = sorted({at for answer in answers for at in answer})
        out = []
        for at in instants:
            results = {r: answer.get(at, {}) for r, answer in zip(readings, answers, strict=True)}
            when = clocks.clock_instant(self._clock, at)
            if when is not None:
                out.append(assemble(results, when, real_per_clock))
        return out

    async def sample(self) -> snapshot.Snapshot:
        results = await asyncio.to_thread(self.query_all)
        real_per_clock_second = self._clock.real_seconds(1.0)
        scale = real_per_clock_second if real_per_clock_second > 0 else 1.0
        return assemble(results, self._clock.now(), scale)
