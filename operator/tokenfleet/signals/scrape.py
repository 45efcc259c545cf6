"""Signals without Prometheus: scrape every engine pod's `/metrics` and compute rates ourselves.

The embedded default when no Prometheus URL is configured. Each `sample()` scrapes all targets
concurrently, compares each pod's counters with its previous scrape and divides by the clock
time between the two, so rates are per clock second (a scaled clock's counters grow faster in
real time, and so does its clock). A pod seen for the first time contributes gauges but no
rate until its next scrape, as with Prometheus's `rate()`; a role none of whose pods has two
scrapes has no rates (None). GPU utilisation needs DCGM, which only the Prometheus path reads.

The same scrape feeds the books: `pod_counters` hands over every pod's cumulative counters
from the last sample (a `counters.Round`), whose increase `metrics.engine_tokens.Tracker`
counts exactly; the rates above are for the planner only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from tokenfleet import clock as clocks
from tokenfleet.signals import counters, exposition, labels, offered, rates, snapshot

# The latency quantile reported (the snapshot's *_p90 fields).
QUANTILE = 0.9

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Target:
    """One engine pod to scrape and the role it serves."""

    url: str
    namespace: str
    deployment: str
    role: str
    pod: str

    @property
    def key(self) -> snapshot.RoleKey:
        return snapshot.RoleKey(self.namespace, self.deployment, self.role)

    @property
    def pod_key(self) -> snapshot.PodKey:
        return snapshot.PodKey(self.namespace, self.deployment, self.role, self.pod)


def target_of_pod(pod: Mapping[str, Any], port: int, path: str = "/metrics") -> Target | None:
    """The scrape target of a running engine pod (a Kubernetes Pod as a dict), else None."""
    metadata = pod.get("metadata") or {}
    pod_labels = metadata.get("labels") or {}
    status = pod.get("status") or {}
    ip = status.get("podIP") or status.get("pod_ip")
    deployment = pod_labels.get(labels.POD_DEPLOYMENT)
    role = pod_labels.get(labels.POD_ROLE)
    if status.get("phase") != "Running" or not ip or not deployment or not role:
        return None
    host = f"[{ip}]" if ":" in ip else ip
    return Target(
        url=f"http://{host}:{port}{path}",
        namespace=metadata.get("namespace", "default"),
        deployment=deployment,
        role=role,
        pod=metadata.get("name", ""),
    )


def metrics_target(
    pod: Mapping[str, Any], port: int, url_template: str | None = None
) -> Target | None:
    """Where a running engine pod's metrics are read: its own /metrics, or `url_template`
    (formatted with the pod's namespace and name) when the engines are served elsewhere, as
    the simulated engines of the demo are."""
    target = target_of_pod(pod, port)
    if target is None or not url_template:
        return target
    return dataclasses.replace(
        target, url=url_template.format(namespace=target.namespace, pod=target.pod)
    )


@dataclasses.dataclass(frozen=True)
class Scrape:
    """One pod's reading and the clock instant it was taken."""

    at: dt.datetime
    reading: exposition.PodReading


class ScrapeSource:
    """Reads engine pods directly; `targets` is asked for the current pods at every sample."""

    def __init__(
        self,
        targets: Callable[[], Sequence[Target]],
        clock: clocks.Clock,
        client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._targets = targets
        self._clock = clock
        self._client = client or httpx.AsyncClient(timeout=timeout_seconds)
        self._owns_client = client is None
        self._previous: dict[Target, Scrape] = {}
        self._round: counters.Round | None = None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _scrape(self, target: Target) -> Scrape | None:
        try:
            response = await self._client.get(target.url)
            response.raise_for_status()
        except httpx.HTTPError:
            return None
        try:
            read = exposition.read(response.text)
        except ValueError:
            # Not the Prometheus text format (a proxy's error page, something else on the
            # port): this pod is unscraped, the others are still read.
            log.warning("%s does not serve Prometheus metrics; skipped", target.url)
            return None
        return Scrape(self._clock.now(), read)

    async def sample(self) -> snapshot.Snapshot:
        targets = list(self._targets())
        scrapes = await asyncio.gather(*(self._scrape(t) for t in targets))
        pairs: dict[snapshot.RoleKey, list[tuple[Scrape | None, Scrape]]] = {}
        for target in targets:
            pairs.setdefault(target.key, [])
        for target, current in zip(targets, scrapes, strict=True):
            if current is None:
                continue
            pairs[target.key].append((self._previous.get(target), current))
            self._previous[target] = current
        live = set(targets)
        self._previous = {t: s for t, s in self._previous.items() if t in live}
        self._round = counters.Round(
            readings={
                target.pod_key: current.reading
                for target, current in zip(targets, scrapes, strict=True)
                if current is not None
            },
            live=frozenset(target.pod_key for target in targets),
        )
        roles = {key: role_signals(key, found) for key, found in pairs.items()}
        return snapshot.Snapshot(sampled_at=self._clock.now(), roles=roles)

    def pod_counters(self) -> counters.Round | None:
        """The counters the last `sample()` read, per pod that answered; None before one."""
        return self._round


def _rate(
    pairs: Sequence[tuple[Scrape | None, Scrape]],
    pick: Callable[[exposition.PodReading], float | None],
) -> float | None:
    total: float | None = None
    for previous, current in pairs:
        if previous is None:
            continue
        before, after = pick(previous.reading), pick(current.reading)
        seconds = (current.at - previous.at).total_seconds()
        if before is None or after is None or seconds <= 0:
            continue
        total = (total or 0.0) + rates.increase(before, after) / seconds
    return total


def _quantile(
    q: float,
    pairs: Sequence[tuple[Scrape | None, Scrape]],
    pick: Callable[[exposition.PodReading], dict[float, float] | None],
) -> float | None:
    increases = []
    for previous, current in pairs:
        before = pick(previous.reading) if previous else None
        after = pick(current.reading)
        if before is not None and after is not None:
            increases.append(rates.bucket_increase(before, after))
    return rates.histogram_quantile(q, rates.sum_buckets(increases)) if increases else None


def _gauge_sum(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def role_signals(
    key: snapshot.RoleKey, pairs: Sequence[tuple[Scrape | None, Scrape]]
) -> snapshot.RoleSignals:
    """One role's readings from (previous, current) scrapes of each of its pods that answered."""
    input_rate = _rate(pairs, lambda r: r.prompt_tokens)
    cached_rate = _rate(pairs, lambda r: r.cached_tokens)
    kv = [v for _, current in pairs for v in current.reading.kv_cache_usage]
    return snapshot.RoleSignals(
        key=key,
        input_tokens_per_second=input_rate,
        cached_share=cached_rate / input_rate if input_rate and cached_rate is not None else None,
        output_tokens_per_second=_rate(pairs, lambda r: r.generation_tokens),
        kv_cache_usage=sum(kv) / len(kv) if kv else None,
        queue_depth=_gauge_sum([c.reading.queue_depth for _, c in pairs]),
        running_requests=_gauge_sum([c.reading.running_requests for _, c in pairs]),
        ttft_p90_seconds=_quantile(QUANTILE, pairs, lambda r: r.ttft_buckets),
        itl_p90_seconds=_quantile(QUANTILE, pairs, lambda r: r.itl_buckets),
        requests_per_second=_rate(pairs, lambda r: r.finished_requests),
        aborted_requests_per_second=_rate(pairs, lambda r: r.aborted_requests),
        queue_growth_per_second=offered.queue_growth(
            [
                (
                    p.reading.queue_depth if p else None,
                    c.reading.queue_depth,
                    (c.at - p.at).total_seconds() if p else None,
                )
                for p, c in pairs
            ]
        ),
    )
