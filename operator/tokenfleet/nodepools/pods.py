"""What a pool needs to know about a Pod: its GPUs, its unit, whether a drain may move it.

Pure functions of Pod objects (as the API server returns them); no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Final

from tokenfleet.workloads import labels

GPU: Final = "nvidia.com/gpu"


@dataclasses.dataclass(frozen=True, order=True)
class UnitKey:
    """One unit of one role of one InferenceDeployment (the deployment as its label value)."""

    namespace: str
    deployment: str
    role: str
    unit: int


def meta(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return pod.get("metadata") or {}


def node_name(pod: Mapping[str, Any]) -> str | None:
    value = (pod.get("spec") or {}).get("nodeName")
    return str(value) if value else None


def gpus(pod: Mapping[str, Any]) -> int:
    """GPUs the pod asks for: the larger of its containers' sum and any init container's."""

    def want(container: Mapping[str, Any]) -> int:
        res = container.get("resources") or {}
        value = (res.get("requests") or {}).get(GPU) or (res.get("limits") or {}).get(GPU) or 0
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    spec = pod.get("spec") or {}
    main = sum(want(c) for c in spec.get("containers") or [])
    init = max((want(c) for c in spec.get("initContainers") or []), default=0)
    return max(main, init)


def terminating(pod: Mapping[str, Any]) -> bool:
    return bool(meta(pod).get("deletionTimestamp"))


def finished(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def daemon(pod: Mapping[str, Any]) -> bool:
    """A DaemonSet or mirror (static) pod: it belongs to the node and is never drained."""
    owners = meta(pod).get("ownerReferences") or []
    if any(o.get("kind") == "DaemonSet" for o in owners):
        return True
    return "kubernetes.io/config.mirror" in (meta(pod).get("annotations") or {})


def movable(pod: Mapping[str, Any]) -> bool:
    """A pod a drain has to see leave: running or waiting here, not the node's own."""
    return not (finished(pod) or daemon(pod))


def unit(pod: Mapping[str, Any]) -> UnitKey | None:
    """The unit an engine pod belongs to, from the labels the renderers put on it."""
    marks = meta(pod).get("labels") or {}
    deployment, role, index = (marks.get(k) for k in (labels.DEPLOYMENT, labels.ROLE, labels.UNIT))
    if not (deployment and role and isinstance(index, str) and index.isdigit()):
        return None
    return UnitKey(str(meta(pod).get("namespace") or ""), deployment, role, int(index))


def selects_pool(pod: Mapping[str, Any], pool: str) -> bool:
    """The pod's nodeSelector asks for the pool's label."""
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    want = labels.pool_label(pool)
    return all(selector.get(k) == v for k, v in want.items())


def unscheduled(pod: Mapping[str, Any]) -> bool:
    """Pending and not bound to a node yet."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in (None, "Pending") and node_name(pod) is None and not terminating(pod)


def nodes_for(gpu_requests: Iterable[int], gpus_per_node: int) -> int:
    """Nodes of `gpus_per_node` GPUs that hold pods asking for these GPUs (first fit,
    largest first; a pod asking for more than a node has counts as one node: it fits nowhere,
    and the pool can do no more for it)."""
    free: list[int] = []
    for want in sorted((g for g in gpu_requests if g > 0), reverse=True):
        want = min(want, gpus_per_node)
        for i, room in enumerate(free):
            if room >= want:
                free[i] -= want
                break
        else:
            free.append(gpus_per_node - want)
    return len(free)
