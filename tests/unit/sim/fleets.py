"""Fleets and traces for simulator tests, written as files the way users write them.

A prefill unit serves 1000 tok/s (2 nodes of 500), a decode unit 300 tok/s (3 nodes of 100);
the pool provisions a node in 600 s (ten one-minute rows) and a GPU-hour costs $2, so a node
of 8 GPUs costs $16 an hour.
"""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import yaml

from tokenfleet.sim import trace as tr

POOL: dict[str, Any] = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "GPUNodePool",
    "metadata": {"name": "small"},
    "spec": {
        "gpusPerNode": 8,
        "maxNodes": 60,
        "provisioningDelaySeconds": 600,
        "cost": {"currency": "USD", "onDemandPerGpuHour": 2},
    },
}

PLAN: dict[str, Any] = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "PricingPlan",
    "metadata": {"name": "flat"},
    "spec": {
        "currency": "USD",
        "prices": {"inputCacheHit": 1, "inputCacheMiss": 2, "output": 4},
    },
}

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "InferenceDeployment",
    "metadata": {"name": "small-model"},
    "spec": {
        "model": {"name": "org/small-model"},
        "engine": {"image": "sglang:test"},
        "roles": {
            "prefill": {
                "nodesPerUnit": 2,
                "capacityPerNode": 500,
                "targetUtilization": 1.0,
                "minUnits": 0,
                "maxUnits": 10,
            },
            "decode": {
                "nodesPerUnit": 3,
                "capacityPerNode": 100,
                "targetUtilization": 1.0,
                "minUnits": 0,
                "maxUnits": 10,
            },
        },
        "autoscaling": {"intervalSeconds": 60, "scaleDownStabilizationSeconds": 300},
        "nodePoolRef": {"name": "small"},
        "pricingPlanRef": {"name": "flat"},
    },
}


def docs(**spec: Any) -> list[dict[str, Any]]:
    """Pool, plan and deployment, with `spec` merged over the deployment's spec."""
    deployment = copy.deepcopy(DEPLOYMENT)
    deployment["spec"].update(spec)
    return [copy.deepcopy(POOL), copy.deepcopy(PLAN), deployment]


def write_fleet(path: pathlib.Path, documents: list[dict[str, Any]]) -> pathlib.Path:
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return path


def write_trace(path: pathlib.Path, rows: list[tuple[int, int, int, int]]) -> pathlib.Path:
    """Rows of (timestamp, input, cached input, output) tokens."""
    lines = ["timestamp,input_tokens,cached_input_tokens,output_tokens"]
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def per_minute(prefill: list[float], decode: list[float], cached_share: float = 0.0) -> tr.Trace:
    """A trace of one-minute rows from per-row rates (tokens per second)."""
    rows = [
        (60.0 * i, p * 60, p * 60 * cached_share, d * 60)
        for i, (p, d) in enumerate(zip(prefill, decode, strict=True))
    ]
    return tr.build("synthetic", rows)
