"""The marks tokenfleet puts on Node objects, and what a node's state is read from them.

A node's state lives on the Node itself, so the operator can restart at any moment and read it
back; nothing is kept in memory. Marks (annotations, values are clock instants in RFC 3339):

- `tokenfleet.io/ready-at`: a kwok node still provisioning, schedulable from that instant;
  it also carries the `tokenfleet.io/provisioning` NoSchedule taint until then;
- `tokenfleet.io/draining-since`: cordoned, its pods leaving, to be released or lent;
- `tokenfleet.io/lent-since`: lent to training;
- `tokenfleet.io/reclaiming-since`: coming back from training, cordoned until training's pods
  have left;
- `tokenfleet.io/released-at`: given back to the infrastructure (its Machine is being deleted);
  like a node being deleted, it no longer counts as the pool's;
- label `tokenfleet.io/capacity-type`: `committed` (leased) or `on-demand`.

A node with none of these is Ready when its Ready condition is True, else provisioning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tokenfleet import clock as clocks
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, sizing

READY_AT: Final = "tokenfleet.io/ready-at"
REQUESTED_AT: Final = "tokenfleet.io/requested-at"
DRAINING_SINCE: Final = "tokenfleet.io/draining-since"
LENT_SINCE: Final = "tokenfleet.io/lent-since"
RECLAIMING_SINCE: Final = "tokenfleet.io/reclaiming-since"
RELEASED_AT: Final = "tokenfleet.io/released-at"
CAPACITY_TYPE: Final = "tokenfleet.io/capacity-type"
COMMITTED: Final = "committed"
ON_DEMAND: Final = "on-demand"
PROVISIONING_TAINT: Final = "tokenfleet.io/provisioning"
KARPENTER_CAPACITY_TYPE: Final = "karpenter.sh/capacity-type"
"""Karpenter's label; its `reserved` capacity (capacity reservations) is leased capacity."""

Obj = dict[str, Any]


def rfc3339(instant: dt.datetime) -> str:
    return clocks.rfc3339(instant)


def parse_time(text: str | None) -> dt.datetime | None:
    """An RFC 3339 instant, or None when absent or unreadable."""
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def name(node: Mapping[str, Any]) -> str:
    return str(node["metadata"]["name"])


def node_annotations(node: Mapping[str, Any]) -> Mapping[str, str]:
    return node.get("metadata", {}).get("annotations") or {}


def node_labels(node: Mapping[str, Any]) -> Mapping[str, str]:
    return node.get("metadata", {}).get("labels") or {}


def taints(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(t) for t in (node.get("spec") or {}).get("taints") or []]


def is_ready(node: Mapping[str, Any]) -> bool:
    """The kubelet's (or KWOK's) Ready condition is True."""
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def state(node: Mapping[str, Any]) -> sizing.NodeState:
    """The node's state, from tokenfleet's marks first, then its Ready condition."""
    marks = node_annotations(node)
    if LENT_SINCE in marks:
        return sizing.NodeState.LENT
    if DRAINING_SINCE in marks:
        return sizing.NodeState.DRAINING
    if READY_AT in marks or RECLAIMING_SINCE in marks or not is_ready(node):
        return sizing.NodeState.PROVISIONING
    return sizing.NodeState.READY


def released(node: Mapping[str, Any]) -> bool:
    """Given back: being deleted, or its Machine marked for deletion. Not the pool's any more."""
    return bool(node.get("metadata", {}).get("deletionTimestamp")) or (
        RELEASED_AT in node_annotations(node)
    )


def reclaiming(node: Mapping[str, Any]) -> bool:
    return RECLAIMING_SINCE in node_annotations(node)


def created(node: Mapping[str, Any]) -> dt.datetime | None:
    stamp = node.get("metadata", {}).get("creationTimestamp")
    if isinstance(stamp, dt.datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return parse_time(stamp if isinstance(stamp, str) else None)


def committed(nodes: Sequence[Mapping[str, Any]], committed_nodes: int) -> dict[str, bool]:
    """Which nodes are leased, at most `committed_nodes` of them.

    A node labelled `tokenfleet.io/capacity-type` (or Karpenter's `reserved`) says so itself;
    the leases no label claims go to unlabelled nodes, oldest first (the pool knows how many
    nodes are leased, not always which).
    """
    out: dict[str, bool] = {}
    slots = committed_nodes
    unlabelled: list[Mapping[str, Any]] = []
    oldest_first = sorted(
        nodes, key=lambda n: (created(n) or dt.datetime.max.replace(tzinfo=dt.UTC), name(n))
    )
    for node in oldest_first:
        marks = node_labels(node)
        kind = marks.get(CAPACITY_TYPE)
        if kind is None and KARPENTER_CAPACITY_TYPE in marks:
            kind = COMMITTED if marks[KARPENTER_CAPACITY_TYPE] == "reserved" else ON_DEMAND
        if kind is None:
            unlabelled.append(node)
            continue
        out[name(node)] = kind == COMMITTED and slots > 0
        slots -= out[name(node)]
    for node in unlabelled:
        out[name(node)] = slots > 0
        slots -= out[name(node)]
    return out


def list_nodes(kube: kube_client.Kube, selector: Mapping[str, str]) -> tuple[Obj, ...]:
    """Nodes carrying every label of `selector`."""
    try:
        return tuple(kube.list("v1", "Node", labels=selector))
    except kube_client.KubeError as exc:
        raise errors.from_kube("listing nodes", exc) from exc


def patch(kube: kube_client.Kube, node: str, body: Mapping[str, Any]) -> bool:
    """Merge-patch a Node; False when it is gone."""
    try:
        kube.patch("v1", "Node", node, body)
    except kube_client.NotFound:
        return False
    except kube_client.KubeError as exc:
        raise errors.from_kube(f"patching node {node}", exc) from exc
    return True


def mark_draining(kube: kube_client.Kube, node: str, now: dt.datetime) -> bool:
    """Cordon the node and note when its drain started."""
    body = {
        "metadata": {"annotations": {DRAINING_SINCE: rfc3339(now)}},
        "spec": {"unschedulable": True},
    }
    return patch(kube, node, body)


def mark_ready(kube: kube_client.Kube, node: str) -> bool:
    """Back into service: uncordoned, no drain or reclaim mark."""
    marks = {DRAINING_SINCE: None, RECLAIMING_SINCE: None}
    return patch(kube, node, {"metadata": {"annotations": marks}, "spec": {"unschedulable": None}})


def drain_started(node: Mapping[str, Any]) -> dt.datetime | None:
    marks = node_annotations(node)
    return parse_time(marks.get(DRAINING_SINCE) or marks.get(RECLAIMING_SINCE))
