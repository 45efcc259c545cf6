"""Specs and instants the metrics tests post to the ledger: DeepSeek's pool and R1's prices.

Written as users write them (camelCase wire dicts), so the tests read like the resources.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client import CollectorRegistry, parser

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool, pricing_plan
from tokenfleet.metrics import exporter

NS, DEPLOYMENT, POOL, PLAN = "inference", "deepseek-v3", "h800", "deepseek"
R1 = "deepseek-reasoner"
BILLION = 10**9
# 12:00 Beijing time on 2025-02-27, where DeepSeek's published day starts.
START = dt.datetime(2025, 2, 27, 4, tzinfo=dt.UTC)


def pool(**overrides: Any) -> gpu_node_pool.GPUNodePoolSpec:
    """DeepSeek's H800 pool at $2 per GPU-hour, on demand; `overrides` are wire fields."""
    wire: dict[str, Any] = {"maxNodes": 400, "cost": {"onDemandPerGpuHour": 2}}
    return gpu_node_pool.GPUNodePoolSpec.model_validate({**wire, **overrides})


def plan(**overrides: Any) -> pricing_plan.PricingPlanSpec:
    """R1's list prices (REFERENCE.md §2) as a plan without windows; `overrides` are wire."""
    wire: dict[str, Any] = {
        "prices": {"inputCacheHit": "0.14", "inputCacheMiss": "0.55", "output": "2.19"}
    }
    return pricing_plan.PricingPlanSpec.model_validate({**wire, **overrides})


def ledger(clock: clocks.Clock) -> exporter.FleetLedger:
    return exporter.FleetLedger(clock, CollectorRegistry())


def scraped(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """An exposition as {(sample name, labels): value}."""
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    """The one sample of `name` whose labels include `labels`, or None; two is an error."""
    found = [
        v
        for (n, have), v in scraped(text).items()
        if n == name and set(labels.items()) <= set(have)
    ]
    assert len(found) <= 1, f"{len(found)} samples of {name} match {labels}"
    return found[0] if found else None
