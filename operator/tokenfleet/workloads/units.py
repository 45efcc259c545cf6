"""The built-in backend: one expert-parallel unit = one StatefulSet + one headless Service.

Core Kubernetes only (DESIGN.md §4). Per unit:

- a headless Service named like the unit, publishing not-ready addresses: ranks dial rank 0
  (`<unit>-0.<unit>.<ns>.svc`) long before any pod is Ready, since readiness needs the whole
  unit up;
- a StatefulSet of `nodesPerUnit` pods started together (`podManagementPolicy: Parallel`); the
  pod ordinal is the rank. `OrderedReady` would deadlock: pod 0 becomes Ready only once the
  others have joined it, and they would wait for pod 0 to be Ready before being created.

The StatefulSet controller does not gang pods, so the tokenfleet controller does what
LeaderWorkerSet's `RecreateGroupOnPodRestart` would: when a pod of a unit fails, or the unit's
`tokenfleet.io/template-hash` differs from a fresh rendering, it replaces the whole unit, one
unit at a time. `updateStrategy: OnDelete` keeps the StatefulSet controller from rolling pods
one by one, which would leave ranks of one EP group on different arguments.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import context, labels, meta, naming, podgroups, pods


def membership(ctx: context.RoleContext, unit: int, gang: bool = False) -> pods.Membership:
    """A StatefulSet pod's place: the unit's labels and leader DNS, rank from the pod index,
    and with `gang` the unit's PodGroup."""
    unit_labels = labels.unit_labels(ctx.deployment, ctx.role, unit)
    index_path = f"metadata.labels['{labels.STATEFULSET_POD_INDEX}']"
    return pods.Membership(
        labels=unit_labels,
        leader=naming.leader_host(ctx.deployment, ctx.role, unit, ctx.namespace),
        nnodes=str(ctx.nodes),
        rank_source={"valueFrom": {"fieldRef": {"fieldPath": index_path}}},
        unit_term={"labelSelector": {"matchLabels": unit_labels}},
        scheduling_group=podgroups.scheduling_group(ctx, unit) if gang else None,
    )


def headless_service(
    ctx: context.RoleContext,
    unit: int,
    template: Mapping[str, Any],
    owner: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The unit's headless Service: stable DNS for every rank, ready or not."""
    name = naming.unit_name(ctx.deployment, ctx.role, unit)
    unit_labels = labels.unit_labels(ctx.deployment, ctx.role, unit)
    container = template["spec"]["containers"][0]
    service_ports = [
        {
            "name": port["name"],
            "port": port["containerPort"],
            "targetPort": port["containerPort"],
            "protocol": port["protocol"],
        }
        for port in container["ports"]
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta.object_meta(name, ctx.namespace, unit_labels, owner=owner),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": unit_labels,
            "ports": service_ports,
        },
    }


def statefulset(
    ctx: context.RoleContext,
    unit: int,
    owner: Mapping[str, Any] | None = None,
    gang: bool = False,
) -> dict[str, Any]:
    """The unit's StatefulSet, its pod template stamped with `tokenfleet.io/template-hash`."""
    name = naming.unit_name(ctx.deployment, ctx.role, unit)
    member = membership(ctx, unit, gang)
    template = pods.pod_template(ctx, member)
    digest = labels.stamp(template)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta.object_meta(
            name, ctx.namespace, member.labels, {labels.TEMPLATE_HASH: digest}, owner
        ),
        "spec": {
            "serviceName": name,
            "replicas": ctx.nodes,
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "OnDelete"},
            "selector": {"matchLabels": dict(member.labels)},
            "template": template,
        },
    }


def unit_objects(
    infd: infd_api.InferenceDeployment,
    pool: pool_api.GPUNodePoolSpec,
    role: str,
    unit: int,
    owner: Mapping[str, Any] | None = None,
    gang: bool = False,
) -> list[dict[str, Any]]:
    """Unit `unit` of `role`: [headless Service, StatefulSet], or with `gang` [headless
    Service, PodGroup, StatefulSet], ready for server-side apply.

    The Service comes first so that the ranks' DNS names exist when the pods start, the
    PodGroup before the pods that name it. Raises `errors.RenderError` when the spec cannot be
    rendered (see `context.resolve`).
    """
    if unit < 0:
        raise ValueError(f"unit index must be >= 0, got {unit}")
    ctx = context.resolve(infd, pool, role)
    sts = statefulset(ctx, unit, owner, gang)
    group = [podgroups.pod_group(ctx, unit, sts["spec"]["template"], owner)] if gang else []
    # Deep copies: no two places of the result share a dict a caller could change through both.
    return copy.deepcopy([headless_service(ctx, unit, sts["spec"]["template"], owner), *group, sts])
