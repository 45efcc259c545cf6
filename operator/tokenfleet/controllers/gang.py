"""Gang semantics for StatefulSet units: one pod gone means the whole unit starts again.

An expert-parallel group cannot run with a hole, and the StatefulSet controller would only
replace the missing pod. So when someone deletes an engine pod, its unit's other pods are
deleted too and the StatefulSet starts them all together. Pods the controller deletes itself are
marked first (`observe.RECREATING`) so that their deletions do not trigger another round.

Only a unit the deployment still wants starts again: one past the role's desired units is on
its way out (its pods are drained off their nodes, its StatefulSet deleted), and starting it
again would put its pods back on nodes the pool is releasing, as demand the pool then grows
for, in a loop. The unit's pods are marked and deleted side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenfleet.api import common
from tokenfleet.controllers import context as context_mod
from tokenfleet.kube import client as kube_client
from tokenfleet.workloads import labels, observe

KIND = "InferenceDeployment"
_UNIT_KEYS = (labels.NAME, labels.DEPLOYMENT, labels.ROLE, labels.UNIT)


def recreate_pods(kube: kube_client.Kube, members: list[dict[str, Any]], namespace: str) -> None:
    """Mark then delete pods, so that their deletion is known to be ours."""

    def recreate(pod: Mapping[str, Any]) -> None:
        pod_name = pod["metadata"]["name"]
        try:
            kube.patch(
                "v1",
                "Pod",
                pod_name,
                {"metadata": {"annotations": {observe.RECREATING: "true"}}},
                namespace,
            )
        except kube_client.NotFound:
            return
        kube.delete("v1", "Pod", pod_name, namespace)

    kube.each(recreate, members)


def wanted(
    kube: kube_client.Kube, namespace: str, deployment: str, role: str | None, index: int
) -> bool:
    """Whether the deployment still wants unit `index` of `role` (below its desired units;
    every unit is wanted before the deployment has a status)."""
    body = kube.get_or_none(common.API_VERSION, KIND, deployment, namespace)
    if body is None or role is None:
        return False
    desired = (((body.get("status") or {}).get("roles") or {}).get(role) or {}).get("desiredUnits")
    return not isinstance(desired, int) or index < desired


def on_pod_event(ctx: context_mod.Context, event: Mapping[str, Any]) -> None:
    """A pod of a unit was deleted by someone else: recreate its whole unit (gang semantics)."""
    if event.get("type") != "DELETED":
        return
    pod = event.get("object") or {}
    meta = pod.get("metadata", {})
    if observe.RECREATING in (meta.get("annotations") or {}):
        return
    owner = next(
        (o for o in meta.get("ownerReferences") or [] if o.get("kind") == "StatefulSet"), None
    )
    index = observe.unit_index(pod)
    if owner is None or index is None:
        return
    namespace = meta["namespace"]
    sts = ctx.kube.get_or_none("apps/v1", "StatefulSet", owner["name"], namespace)
    if sts is None or sts["metadata"].get("uid") != owner.get("uid"):
        return
    if sts["metadata"].get("deletionTimestamp"):
        return
    infd_owner = next(
        (o for o in sts["metadata"].get("ownerReferences") or [] if o.get("kind") == KIND),
        None,
    )
    role = (meta.get("labels") or {}).get(labels.ROLE)
    if infd_owner is not None and not wanted(ctx.kube, namespace, infd_owner["name"], role, index):
        return
    unit_selector = {k: v for k, v in (meta.get("labels") or {}).items() if k in _UNIT_KEYS}
    members = ctx.kube.list("v1", "Pod", namespace, unit_selector)
    recreate_pods(ctx.kube, members, namespace)
    if infd_owner is not None:
        ctx.kube.event(
            {
                "apiVersion": common.API_VERSION,
                "kind": KIND,
                "metadata": {
                    "name": infd_owner["name"],
                    "namespace": namespace,
                    "uid": infd_owner.get("uid"),
                },
            },
            "UnitRecreated",
            f"pod {meta['name']} was deleted: recreating unit {owner['name']} "
            f"({len(members)} other pods)",
            now_rfc3339=ctx.now_rfc3339(),
        )
