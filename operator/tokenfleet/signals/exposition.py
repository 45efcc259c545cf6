"""Reads one engine pod's `/metrics` text into the numbers signals need.

The text is parsed with prometheus_client's parser; names come from engines.py, so SGLang and
vLLM (old and new names) are recognised without being told which engine a pod runs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from prometheus_client import parser

from tokenfleet.signals import engines


@dataclasses.dataclass(frozen=True)
class PodReading:
    """What one scrape of one engine pod says; None where the pod exports no such metric."""

    prompt_tokens: float | None = None
    generation_tokens: float | None = None
    cached_tokens: float | None = None
    queue_depth: float | None = None
    running_requests: float | None = None
    # Every KV-usage series (one per scheduler/DP rank), averaged at the role level.
    kv_cache_usage: tuple[float, ...] = ()
    # Cumulative histograms: upper bound -> count, summed over the pod's series.
    ttft_buckets: dict[float, float] | None = None
    itl_buckets: dict[float, float] | None = None
    # Requests served to the end and requests aborted, counters (engines.EngineMetrics).
    finished_requests: float | None = None
    aborted_requests: float | None = None


Series = dict[str, list[tuple[dict[str, str], float]]]


def _series(text: str) -> Series:
    by_name: Series = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            by_name.setdefault(sample.name, []).append((sample.labels, float(sample.value)))
    return by_name


def _first(series: Series, names: Sequence[str]) -> list[tuple[dict[str, str], float]] | None:
    for name in names:
        if name in series:
            return series[name]
    return None


def _total(series: Series, names: Sequence[str]) -> float | None:
    found = _first(series, names)
    if found is None:
        return None
    return sum(value for _, value in found if not math.isnan(value))


def _counted(series: Series, counted: Sequence[engines.Counted]) -> float | None:
    """The sum of the first of `counted` present, over the series it counts."""
    for each in counted:
        if each.name in series:
            return sum(
                value
                for sample_labels, value in series[each.name]
                if each.matches(sample_labels) and not math.isnan(value)
            )
    return None


def _buckets(series: Series, names: Sequence[str]) -> dict[float, float] | None:
    found = _first(series, [name + "_bucket" for name in names])
    if found is None:
        return None
    buckets: dict[float, float] = {}
    for sample_labels, value in found:
        le = float(sample_labels["le"])
        buckets[le] = buckets.get(le, 0.0) + value
    return buckets


def read(text: str) -> PodReading:
    """Parses an exposition; metrics of the engine found first (SGLang, then vLLM) are read."""
    series = _series(text)
    for engine in engines.ENGINES:
        if _first(series, engine.prompt_tokens + engine.queue_depth) is None:
            continue
        kv = _first(series, engine.kv_cache_usage) or []
        return PodReading(
            prompt_tokens=_total(series, engine.prompt_tokens),
            generation_tokens=_total(series, engine.generation_tokens),
            cached_tokens=_total(series, engine.cached_tokens),
            queue_depth=_total(series, engine.queue_depth),
            running_requests=_total(series, engine.running_requests),
            kv_cache_usage=tuple(v for _, v in kv if not math.isnan(v)),
            ttft_buckets=_buckets(series, engine.ttft),
            itl_buckets=_buckets(series, engine.itl),
            finished_requests=_counted(series, engine.finished_requests),
            aborted_requests=_counted(series, engine.aborted_requests),
        )
    return PodReading()
