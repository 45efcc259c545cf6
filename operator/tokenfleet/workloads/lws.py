"""The LeaderWorkerSet backend: every unit of a role as one group of one LeaderWorkerSet.

Where LWS (leaderworkerset.x-k8s.io/v1) is installed, it does the gang work the StatefulSet
backend leaves to our controller: `size` = nodesPerUnit pods per group, `replicas` = units,
`restartPolicy: RecreateGroupOnPodRestart` recreates a group when any of its pods restarts, and
`startupPolicy: LeaderCreated` starts workers as soon as the leader pod exists (they retry the
rendezvous until rank 0 listens); `LeaderReady` would deadlock, since rank 0 is Ready only once
its workers joined. Template changes roll one group at a time.

One template serves every group, so the per-unit facts come from the variables LWS injects at
the front of each container's environment: `$(LWS_LEADER_ADDRESS)` (the group leader's DNS name),
`$(LWS_GROUP_SIZE)` and `$(LWS_WORKER_INDEX)` (the rank). For the same reason the pods carry no
`tokenfleet.io/unit`; LWS labels them with `leaderworkerset.sigs.k8s.io/group-index` and
`worker-index`, which `labels.rank_patch` copies into ours. The topology constraint selects the
unit's pods with `matchLabelKeys` on LWS's group key (Kubernetes >= 1.31). Scaling down removes
the highest-numbered groups: LWS cannot be told which unit to drop.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import context, labels, meta, naming, pods

API_VERSION: Final = "leaderworkerset.x-k8s.io/v1"
LEADER_ADDRESS: Final = "$(LWS_LEADER_ADDRESS)"
GROUP_SIZE: Final = "$(LWS_GROUP_SIZE)"
WORKER_INDEX: Final = "$(LWS_WORKER_INDEX)"


def membership(ctx: context.RoleContext) -> pods.Membership:
    """A LeaderWorkerSet pod's place, read from the variables LWS injects."""
    role_labels = labels.role_labels(ctx.deployment, ctx.role)
    return pods.Membership(
        labels=role_labels,
        leader=LEADER_ADDRESS,
        nnodes=GROUP_SIZE,
        rank_source={"value": WORKER_INDEX},
        unit_term={
            "labelSelector": {"matchLabels": role_labels},
            "matchLabelKeys": [labels.LWS_GROUP_KEY],
        },
    )


def leaderworkerset(
    infd: infd_api.InferenceDeployment,
    pool: pool_api.GPUNodePoolSpec,
    role: str,
    units: int,
    owner: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The role's LeaderWorkerSet with `units` groups, ready for server-side apply."""
    if units < 0:
        raise ValueError(f"units must be >= 0, got {units}")
    ctx = context.resolve(infd, pool, role)
    name = naming.leaderworkerset_name(ctx.deployment, ctx.role)
    member = membership(ctx)
    template = pods.pod_template(ctx, member)
    digest = labels.stamp(template)
    obj = {
        "apiVersion": API_VERSION,
        "kind": "LeaderWorkerSet",
        "metadata": meta.object_meta(
            name, ctx.namespace, member.labels, {labels.TEMPLATE_HASH: digest}, owner
        ),
        "spec": {
            "replicas": units,
            "startupPolicy": "LeaderCreated",
            "rolloutStrategy": {
                "type": "RollingUpdate",
                "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "leaderWorkerTemplate": {
                "size": ctx.nodes,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "workerTemplate": template,
            },
        },
    }
    return copy.deepcopy(obj)
