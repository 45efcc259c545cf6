"""Builders of the specs the workload tests render: DeepSeek's reference fleet and small ones.

Specs are written as users write them (camelCase wire dicts), then overridden per test with
`with_spec`, so each test shows only what it changes.
"""

from __future__ import annotations

import copy
from typing import Any

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api

NAMESPACE = "inference"
DEPLOYMENT = "deepseek-v3"
POOL = "h800"


def deepseek_v3_wire(kind: str = "sglang") -> dict[str, Any]:
    """DeepSeek-V3 as DeepSeek ran it (REFERENCE.md §1.1): PD, prefill EP32, decode EP144.

    `kind` is the engine type, sglang or vllm.
    """
    image = "lmsysorg/sglang:v0.5.23" if kind == "sglang" else "vllm/vllm-openai:v0.33.0"
    return {
        "apiVersion": "tokenfleet.io/v1alpha1",
        "kind": "InferenceDeployment",
        "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE},
        "spec": {
            "model": {"name": "deepseek-ai/DeepSeek-V3", "servedName": "deepseek-chat"},
            "engine": {"type": kind, "image": image},
            "roles": {
                "prefill": {
                    "nodesPerUnit": 4,
                    "gpusPerNode": 8,
                    "minUnits": 1,
                    "maxUnits": 30,
                    "capacityPerNode": 73700,
                    "redundantExperts": 32,
                    "warmupSeconds": 1200,
                },
                "decode": {
                    "nodesPerUnit": 18,
                    "gpusPerNode": 8,
                    "minUnits": 1,
                    "maxUnits": 10,
                    "capacityPerNode": 14800,
                    "redundantExperts": 32,
                    "warmupSeconds": 1500,
                },
            },
            "nodePoolRef": {"name": POOL},
        },
    }


def pool_wire() -> dict[str, Any]:
    return {
        "gpuType": "H800",
        "gpusPerNode": 8,
        "maxNodes": 278,
        "cost": {"onDemandPerGpuHour": 2},
    }


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged in recursively; a None value removes the key."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def deployment(kind: str = "sglang", **changes: Any) -> infd_api.InferenceDeployment:
    """The reference fleet, with `changes` merged into the whole object (metadata=..., spec=...)."""
    wire = merge(deepseek_v3_wire(kind), changes)
    return infd_api.InferenceDeployment.model_validate(wire)


def pool(**changes: Any) -> pool_api.GPUNodePoolSpec:
    return pool_api.GPUNodePoolSpec.model_validate(merge(pool_wire(), changes))


def unified(kind: str = "sglang", nodes: int = 2, **spec: Any) -> infd_api.InferenceDeployment:
    """A deployment with one unified role of `nodes` nodes of 8 GPUs, `spec` changes merged."""
    role = {"nodesPerUnit": nodes, "gpusPerNode": 8, "capacityPerNode": 5000}
    roles = {"roles": {"prefill": None, "decode": None, "unified": role}}
    return deployment(kind, spec=merge(roles, spec))
