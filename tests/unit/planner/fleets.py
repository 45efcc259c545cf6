"""Small fleets for planner tests, built as users write them and overridden per test.

Numbers are chosen to be easy to follow by hand: a prefill unit serves 1000 tok/s at 100% (2
nodes of 500), a decode unit 300 tok/s (3 nodes of 100), a unified unit 1000 tok/s (2 nodes).
The pool takes 600 s to provision a node; the planner runs every 60 s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tokenfleet.api import gpu_node_pool, inference_deployment
from tokenfleet.planner import config, settings
from tokenfleet.planner import state as st

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
"""Monday midnight UTC."""

# The tuning the pinned sequences were worked out with, so they do not follow default changes.
TUNING = settings.Tuning(
    baseline_window_seconds=3600,
    surprise_window_seconds=5400,
    margin_use=0.04,
    hysteresis=0.03,
)


def role(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "nodesPerUnit": 2,
        "capacityPerNode": 500,
        "targetUtilization": 0.8,
        "minUnits": 1,
        "maxUnits": 10,
    }
    spec.update(overrides)
    return spec


def deployment(
    roles: dict[str, dict[str, Any]] | None = None, **autoscaling: Any
) -> inference_deployment.InferenceDeploymentSpec:
    auto: dict[str, Any] = {
        "intervalSeconds": 60,
        "scaleDownStabilizationSeconds": 300,
        "forecast": {"enabled": True, "headroom": 0.0},
    }
    auto.update(autoscaling)
    wire = {
        "model": {"name": "deepseek-ai/DeepSeek-V3"},
        "engine": {"image": "sglang:test"},
        "roles": roles or {"prefill": role(), "decode": role(nodesPerUnit=3, capacityPerNode=100)},
        "autoscaling": auto,
        "nodePoolRef": {"name": "h800"},
    }
    return inference_deployment.InferenceDeploymentSpec.model_validate(wire)


def pool(max_nodes: int = 100, delay: int = 600) -> gpu_node_pool.GPUNodePoolSpec:
    return gpu_node_pool.GPUNodePoolSpec.model_validate(
        {
            "maxNodes": max_nodes,
            "provisioningDelaySeconds": delay,
            "cost": {"onDemandPerGpuHour": 2},
        }
    )


def planner_config(
    spec: inference_deployment.InferenceDeploymentSpec | None = None,
    pool_spec: gpu_node_pool.GPUNodePoolSpec | None = None,
    tuning: settings.Tuning = TUNING,
) -> config.PlannerConfig:
    return config.from_resources(spec or deployment(), "h800", pool_spec or pool(), tuning=tuning)


def unified(**autoscaling: Any) -> config.PlannerConfig:
    """One unified role of 1000 tok/s units at 80% target utilisation."""
    return planner_config(deployment({"unified": role()}, **autoscaling))


def seen(demand: float | None, ready: int = 0, starting: int = 0) -> st.RoleObservation:
    return st.RoleObservation(demand=demand, ready_units=ready, starting_units=starting)
