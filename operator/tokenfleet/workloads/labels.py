"""Labels, selectors and annotations on what we render, and the hash that tells a spec changed.

The controller finds our objects by these labels and compares `tokenfleet.io/template-hash`
on a unit's StatefulSet (and on its pods) with a fresh rendering to decide whether the unit must
be replaced. Keys live here, once, so the controller and the renderers cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from tokenfleet.workloads import naming

NAME: Final = "app.kubernetes.io/name"
MANAGED_BY: Final = "app.kubernetes.io/managed-by"
DEPLOYMENT: Final = "tokenfleet.io/deployment"
ROLE: Final = "tokenfleet.io/role"
UNIT: Final = "tokenfleet.io/unit"
RANK: Final = "tokenfleet.io/rank"
POOL: Final = "tokenfleet.io/pool"
"""Node label every node of a GPUNodePool carries, with the pool's name as value (`pool_label`)."""

ROUTABLE: Final = "tokenfleet.io/routable"
"""On a unit's leader (rank-0) pod while the whole unit is Ready: the routers discover exactly
the pods that carry it (`router.discovery_selectors`), so a unit joins the router without a
restart, and leaves it when the label goes."""
DRAINING_SINCE: Final = "tokenfleet.io/draining-since"
"""Annotation on a leaving unit's leader: when (RFC 3339, the operator's clock) it left the
router. The unit is deleted once idle or `router.drainTimeoutSeconds` after that."""
SGLANG_BOOTSTRAP_PORT: Final = "sglang.ai/bootstrap-port"
"""Annotation the SGLang router reads, on a discovered prefill pod, for its KV bootstrap port."""

TEMPLATE_HASH: Final = "tokenfleet.io/template-hash"
ENGINE_TARGET: Final = "tokenfleet.io/engine-target"
"""Pod annotation: the engine release the rendered flags were checked against."""

ENGINE_APP: Final = "tokenfleet-engine"
ROUTER_APP: Final = "tokenfleet-router"
MANAGER: Final = "tokenfleet"

# Where the rank (and unit) of a pod shows, by backend: a pod template is shared by every pod of
# a StatefulSet, so the template cannot carry a per-pod `tokenfleet.io/rank`; these labels,
# set by Kubernetes and LWS, do. `rank_patch` copies them into ours.
STATEFULSET_POD_INDEX: Final = "apps.kubernetes.io/pod-index"
LWS_WORKER_INDEX: Final = "leaderworkerset.sigs.k8s.io/worker-index"
LWS_GROUP_INDEX: Final = "leaderworkerset.sigs.k8s.io/group-index"
LWS_GROUP_KEY: Final = "leaderworkerset.sigs.k8s.io/group-key"


def role_labels(deployment: str, role: str) -> dict[str, str]:
    """Labels on every engine object of one role of one deployment; also its pods' selector."""
    return {
        NAME: ENGINE_APP,
        MANAGED_BY: MANAGER,
        DEPLOYMENT: naming.label_value(deployment),
        ROLE: role,
    }


def unit_labels(deployment: str, role: str, unit: int) -> dict[str, str]:
    """Labels on one unit's StatefulSet, Service and pods; also the unit's pod selector."""
    return {**role_labels(deployment, role), UNIT: str(unit)}


def pool_label(pool: str) -> dict[str, str]:
    """The label every node of GPUNodePool `pool` carries; engine pods select it.

    Node-pool providers put exactly this on their nodes, so the value is cut the same way here
    and there when a pool name is longer than a label value may be.
    """
    return {POOL: naming.label_value(pool)}


def routable_selector(deployment: str, role: str) -> dict[str, str]:
    """The pods a router sends `role` traffic to: the leaders of the role's Ready units."""
    return {**role_labels(deployment, role), ROUTABLE: "true"}


def router_labels(deployment: str) -> dict[str, str]:
    """Labels on the router Deployment, Service and pods; also the router's pod selector."""
    return {NAME: ROUTER_APP, MANAGED_BY: MANAGER, DEPLOYMENT: naming.label_value(deployment)}


def template_hash(template: Mapping[str, Any]) -> str:
    """A digest of a pod template: equal templates hash equal whatever their key order.

    The template's own `tokenfleet.io/template-hash` annotation is left out, so the hash can be
    computed before it is written and checked after.
    """
    meta = dict(template.get("metadata", {}))
    annotations = {k: v for k, v in meta.get("annotations", {}).items() if k != TEMPLATE_HASH}
    meta["annotations"] = annotations
    canonical = json.dumps({**template, "metadata": meta}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def stamp(template: dict[str, Any]) -> str:
    """Write the template's hash into its own annotations and return it."""
    digest = template_hash(template)
    template.setdefault("metadata", {}).setdefault("annotations", {})[TEMPLATE_HASH] = digest
    return digest


def pod_rank(pod: Mapping[str, Any]) -> int | None:
    """The rank of a running engine pod (its ordinal in the unit), from the backend's label."""
    labels = pod.get("metadata", {}).get("labels", {})
    for key in (STATEFULSET_POD_INDEX, LWS_WORKER_INDEX):
        value = labels.get(key)
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def rank_patch(pod: Mapping[str, Any]) -> dict[str, Any] | None:
    """A merge patch that sets `tokenfleet.io/rank` (and, under LWS, the unit) on a pod.

    None when the pod already carries them or its rank is not known yet.
    """
    labels = pod.get("metadata", {}).get("labels", {})
    wanted: dict[str, str] = {}
    rank = pod_rank(pod)
    if rank is not None and labels.get(RANK) != str(rank):
        wanted[RANK] = str(rank)
    group = labels.get(LWS_GROUP_INDEX)
    if isinstance(group, str) and group.isdigit() and labels.get(UNIT) != group:
        wanted[UNIT] = group
    return {"metadata": {"labels": wanted}} if wanted else None
