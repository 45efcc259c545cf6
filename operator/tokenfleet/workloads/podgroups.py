"""Each unit is a gang: a PodGroup of Kubernetes' Workload API (KEP-4671) its pods name. Pure.

The StatefulSet controller creates a unit's pods together, but the scheduler would place them one
at a time: a unit that does not fit would hold the nodes it got, and two units competing for the
last nodes could both end half-placed, each waiting for nodes the other holds. A PodGroup with
a gang policy of `minCount` = the unit's node count makes the scheduler place all of a unit's
pods or none (the GangScheduling plugin holds them at Permit until every one has a node).

The API is `scheduling.k8s.io/v1beta1` in Kubernetes 1.37, behind the `GenericWorkload` feature
gate (beta, off by default) and not served until the API server is told to serve it. Where it is
not served, units render without PodGroups and their pods are placed one by one, as before; the
controller says so in the `GangScheduling` condition.

The PodGroup is standalone (no Workload object): the unit's StatefulSet is the workload, and
tokenfleet, not a Workload controller, creates and deletes the group with the unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tokenfleet.workloads import context, labels, meta, naming

API_VERSION: Final = "scheduling.k8s.io/v1beta1"
KIND: Final = "PodGroup"


def group_name(ctx: context.RoleContext, unit: int) -> str:
    """A unit's PodGroup is named like the unit (its StatefulSet and Service)."""
    return naming.unit_name(ctx.deployment, ctx.role, unit)


def scheduling_group(ctx: context.RoleContext, unit: int) -> dict[str, str]:
    """The pod's `spec.schedulingGroup`: the unit's PodGroup."""
    return {"podGroupName": group_name(ctx, unit)}


def pod_group(
    ctx: context.RoleContext,
    unit: int,
    template: Mapping[str, Any],
    owner: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The unit's PodGroup: every one of its `nodesPerUnit` pods is placed, or none.

    `template` is the unit's pod template. Its priority class is the group's too: the
    scheduler refuses a group whose pods' priority differs from its own ("all pods in a single
    pod group should have the same priority"), and a pod template may set one.
    """
    spec: dict[str, Any] = {"schedulingPolicy": {"gang": {"minCount": ctx.nodes}}}
    priority_class = template["spec"].get("priorityClassName")
    if priority_class:
        spec["priorityClassName"] = priority_class
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": meta.object_meta(
            group_name(ctx, unit),
            ctx.namespace,
            labels.unit_labels(ctx.deployment, ctx.role, unit),
            owner=owner,
        ),
        "spec": spec,
    }
