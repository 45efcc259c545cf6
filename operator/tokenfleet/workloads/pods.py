"""The engine pod template both backends share; `Membership` holds what differs between them.

A pod learns its unit differently under each backend: under the StatefulSet backend the unit is
known when rendering (its leader's DNS name, its label, the node count) and the rank comes from
the pod-index label; under LeaderWorkerSet one template serves every group, so LWS's injected
variables stand in for them. Everything else (image, GPUs, shared memory, weights, placement,
probes) is the same, and is built here once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import args, context, engines, labels, launch, overlay, placement

CONTAINER_NAME: Final = overlay.CONTAINER
GPU_RESOURCE: Final = "nvidia.com/gpu"
SHM_VOLUME: Final = "dshm"
WEIGHTS_VOLUME: Final = "weights"
WEIGHTS_PATH: Final = "/models"


@dataclasses.dataclass(frozen=True)
class Membership:
    """How a pod finds its unit: its labels, its leader, the node count and its rank."""

    labels: Mapping[str, str]
    """Pod labels (and the selector of the pods of the unit or role)."""
    leader: str
    """Host rank 0 listens on, as the pod's command line names it."""
    nnodes: str
    """Node count as the engine's `--nnodes` is written."""
    rank_source: Mapping[str, Any]
    """The `value` or `valueFrom` of the TOKENFLEET_RANK variable."""
    unit_term: Mapping[str, Any]
    """Pod affinity term fields that select the pods of the same unit."""
    scheduling_group: Mapping[str, str] | None = None
    """The pod's `spec.schedulingGroup` (the unit's PodGroup), None where units are no gangs."""


def ports(ctx: context.RoleContext) -> list[dict[str, Any]]:
    """Container ports: HTTP (API, /health, /metrics) and the engine's rendezvous and PD ports."""
    out: list[dict[str, Any]] = [{"name": "http", "containerPort": ctx.port}]
    if ctx.engine is infd_api.EngineType.SGLANG:
        out.append({"name": "dist-init", "containerPort": engines.SGLANG_DIST_INIT_PORT})
        if ctx.role == "prefill":
            out.append({"name": "pd-bootstrap", "containerPort": engines.SGLANG_BOOTSTRAP_PORT})
    else:
        out.append({"name": "dp-rpc", "containerPort": engines.VLLM_DP_RPC_PORT})
        if ctx.disaggregated:
            out.append({"name": "nixl", "containerPort": engines.VLLM_NIXL_SIDE_CHANNEL_PORT})
    return [{**port, "protocol": "TCP"} for port in out]


def resources(ctx: context.RoleContext) -> dict[str, Any]:
    """GPUs = gpusPerNode, plus CPU and memory when set; requests equal limits.

    Note that /dev/shm (a memory emptyDir) counts against the memory limit.
    """
    amounts = {GPU_RESOURCE: str(ctx.gpus)}
    extra = ctx.spec.engine.resources
    if extra.cpu is not None:
        amounts["cpu"] = extra.cpu
    if extra.memory is not None:
        amounts["memory"] = extra.memory
    return {"limits": dict(amounts), "requests": dict(amounts)}


def volumes(ctx: context.RoleContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pod volumes, container mounts): /dev/shm in memory; the weights PVC read-only at /models."""
    shm_size = ctx.spec.engine.resources.shared_memory
    vols: list[dict[str, Any]] = [
        {"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": shm_size}}
    ]
    mounts: list[dict[str, Any]] = [{"name": SHM_VOLUME, "mountPath": "/dev/shm"}]
    claim = ctx.spec.model.weights_volume
    if claim is not None:
        vols.append(
            {
                "name": WEIGHTS_VOLUME,
                "persistentVolumeClaim": {"claimName": claim, "readOnly": True},
            }
        )
        mounts.append({"name": WEIGHTS_VOLUME, "mountPath": WEIGHTS_PATH, "readOnly": True})
    return vols, mounts


def user_templates(ctx: context.RoleContext) -> list[tuple[str, dict[str, Any]]]:
    """The deployment's pod template, then the role's, as (where written, template)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for source, template in (
        ("spec.podTemplate", ctx.spec.pod_template),
        (f"spec.roles.{ctx.role}.podTemplate", ctx.role_spec.pod_template),
    ):
        if template is not None:
            out.append((source, template.to_wire()))
    return out


def pod_template(ctx: context.RoleContext, member: Membership) -> dict[str, Any]:
    """The engine pod template (metadata and spec), without its template-hash annotation."""
    return shaped(ctx, member)[0]


def shaped(
    ctx: context.RoleContext, member: Membership
) -> tuple[dict[str, Any], list[overlay.Conflict]]:
    """The engine pod template with the user's templates merged over it, and where they
    tried to change what tokenfleet owns."""
    return overlay.merge(rendered(ctx, member), user_templates(ctx))


def rendered(ctx: context.RoleContext, member: Membership) -> dict[str, Any]:
    """The engine pod template as tokenfleet renders it, before the user's templates."""
    vols, mounts = volumes(ctx)
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": ctx.spec.engine.image,
        "command": launch.command(ctx),
        "args": args.base_args(ctx, member.leader, member.nnodes),
        "env": launch.env(ctx, member.rank_source),
        "ports": ports(ctx),
        "resources": resources(ctx),
        "volumeMounts": mounts,
        **launch.probes(ctx),
    }
    spec: dict[str, Any] = {
        # Engines need no API access, and Service links would pour one variable set per Service
        # of the namespace into the engine's environment (a Service named "vllm" sets VLLM_PORT,
        # which vLLM reads as its own setting).
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "nodeSelector": placement.node_selector(ctx),
        "affinity": placement.affinity(ctx, member.unit_term),
        "containers": [container],
        "volumes": vols,
    }
    tolerations = placement.tolerations(ctx)
    if tolerations:
        spec["tolerations"] = tolerations
    if member.scheduling_group is not None:
        spec["schedulingGroup"] = dict(member.scheduling_group)
    annotations = {labels.ENGINE_TARGET: engines.target(ctx.engine)}
    if ctx.engine is infd_api.EngineType.SGLANG and ctx.role == "prefill":
        # The SGLang router reads a discovered prefill's KV bootstrap port from here.
        annotations[labels.SGLANG_BOOTSTRAP_PORT] = str(engines.SGLANG_BOOTSTRAP_PORT)
    return {
        "metadata": {"labels": dict(member.labels), "annotations": annotations},
        "spec": spec,
    }
