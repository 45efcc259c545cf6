"""From the StatefulSets and pods the API server returned to `rollout.ObservedUnit`s: pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tokenfleet.workloads import labels, rollout

RECREATING = "tokenfleet.io/recreating"
"""Annotation put on a pod the controller deletes as part of recreating its unit: its deletion
is the controller's own doing and must not trigger another recreate."""


def unit_index(obj: Mapping[str, Any]) -> int | None:
    value = obj.get("metadata", {}).get("labels", {}).get(labels.UNIT)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def pod_ready(pod: Mapping[str, Any]) -> bool:
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return False
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_failed(pod: Mapping[str, Any]) -> bool:
    """A pod whose failure breaks its gang: Failed, or a container that restarted."""
    status = pod.get("status", {})
    if status.get("phase") == "Failed":
        return True
    return any((c.get("restartCount") or 0) > 0 for c in status.get("containerStatuses") or [])


def pod_hash(pod: Mapping[str, Any]) -> str | None:
    value = pod.get("metadata", {}).get("annotations", {}).get(labels.TEMPLATE_HASH)
    return value if isinstance(value, str) else None


def sts_hash(sts: Mapping[str, Any]) -> str | None:
    value = sts.get("metadata", {}).get("annotations", {}).get(labels.TEMPLATE_HASH)
    return value if isinstance(value, str) else None


def observe_units(
    statefulsets: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    wanted_hashes: Mapping[int, str],
    nodes: int,
) -> list[rollout.ObservedUnit]:
    """One `ObservedUnit` per StatefulSet of a role.

    A pod counts as ready only when it runs the StatefulSet's current template; pods already
    marked as being recreated count as neither ready nor failed.
    """
    by_unit: dict[int, list[Mapping[str, Any]]] = {}
    for pod in pods:
        index = unit_index(pod)
        if index is not None:
            by_unit.setdefault(index, []).append(pod)
    out: list[rollout.ObservedUnit] = []
    for sts in statefulsets:
        index = unit_index(sts)
        if index is None or sts.get("metadata", {}).get("deletionTimestamp"):
            continue
        current = sts_hash(sts)
        members = [
            p
            for p in by_unit.get(index, [])
            if RECREATING not in p.get("metadata", {}).get("annotations", {})
        ]
        out.append(
            rollout.ObservedUnit(
                index=index,
                exists=True,
                outdated=current != wanted_hashes.get(index),
                pods_ready=sum(1 for p in members if pod_ready(p) and pod_hash(p) == current),
                nodes=nodes,
                failed=any(pod_failed(p) for p in members),
            )
        )
    return out
