"""Builders with defaults plus overrides: pool specs, pool nodes, Node and Pod objects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.nodepools import sizing

T0 = dt.datetime(2025, 1, 6, 0, 0, tzinfo=dt.UTC)  # a Monday, midnight UTC


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def spec(**overrides: Any) -> pool_api.GPUNodePoolSpec:
    """An H800 pool on kwok: 0..100 nodes, $2 a GPU-hour, no delay before release."""
    scaling = overrides.pop("scaling", {})
    provider = overrides.pop("provider", {})
    raw: dict[str, Any] = {
        "maxNodes": 100,
        "cost": {"onDemandPerGpuHour": Decimal(2)},
        "scaling": {"scaleDownDelaySeconds": 0, **scaling},
        "provider": provider,
    }
    raw.update(overrides)
    return pool_api.GPUNodePoolSpec.model_validate(raw)


def lending_spec(**overrides: Any) -> pool_api.GPUNodePoolSpec:
    provider = {"type": "lending", "lending": {"nodeSelector": {"shared": "yes"}}}
    return spec(provider=provider, **overrides)


def node(
    name: str,
    state: sizing.NodeState = sizing.NodeState.READY,
    *,
    committed: bool = False,
    busy: bool = False,
    occupied: bool = False,
    age: float = 0,
) -> sizing.PoolNode:
    """A pool node created `age` seconds before T0."""
    return sizing.PoolNode(
        name=name,
        state=state,
        committed=committed,
        busy=busy,
        occupied=occupied,
        created=T0 - dt.timedelta(seconds=age),
    )


def ready(count: int, prefix: str = "n", **kwargs: Any) -> list[sizing.PoolNode]:
    return [node(f"{prefix}{i}", **kwargs) for i in range(count)]


def node_object(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    ready_condition: bool | None = True,
    created: str = "2025-01-05T00:00:00Z",
    deleting: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "labels": labels or {},
        "annotations": annotations or {},
        "creationTimestamp": created,
    }
    if deleting:
        meta["deletionTimestamp"] = "2025-01-06T00:00:00Z"
    conditions = []
    if ready_condition is not None:
        conditions.append({"type": "Ready", "status": "True" if ready_condition else "False"})
    return {"metadata": meta, "spec": {}, "status": {"conditions": conditions}}


def pod(
    name: str,
    *,
    namespace: str = "ns",
    node: str | None = "n0",
    gpus: int = 8,
    unit: tuple[str, str, int] | None = None,
    phase: str = "Running",
    owner_kind: str | None = None,
    terminating: bool = False,
    selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A pod; `unit` = (deployment, role, index) gives it an engine unit's labels."""
    labels: dict[str, str] = {}
    if unit is not None:
        labels = {
            "tokenfleet.io/deployment": unit[0],
            "tokenfleet.io/role": unit[1],
            "tokenfleet.io/unit": str(unit[2]),
        }
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if owner_kind:
        meta["ownerReferences"] = [{"kind": owner_kind, "name": "owner"}]
    if terminating:
        meta["deletionTimestamp"] = "2025-01-06T00:00:00Z"
    resources = {"requests": {"nvidia.com/gpu": str(gpus)}} if gpus else {}
    spec: dict[str, Any] = {"containers": [{"name": "c", "resources": resources}]}
    if node:
        spec["nodeName"] = node
    if selector:
        spec["nodeSelector"] = selector
    return {"metadata": meta, "spec": spec, "status": {"phase": phase}}
