"""What the operator writes for one InferenceDeployment once its units run: the objects, and the
command line each rank of each unit starts with.

The unit reconcile applies the same renderers unit by unit as it rolls (`units.unit_objects`,
`lws.leaderworkerset`, `router.router_objects`); this module arranges them for a fleet whose
desired units are all up and Ready, which is what `tokenfleet render` prints. A test holds the
two to each other on the real control plane.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import args, context, lws, naming, overlay, pods, router, units


@dataclasses.dataclass(frozen=True)
class Unit:
    """One unit: its role and index, and the command line of each rank (rank 0 first)."""

    role: str
    index: int
    argv: list[list[str]]


def leaders(infd: infd_api.InferenceDeployment, desired: Mapping[str, int]) -> dict[str, list[str]]:
    """Rank 0's host of every unit, per role: the address the unit's other ranks dial."""
    name, namespace = context.deployment_identity(infd)
    host = (
        naming.lws_leader_host
        if infd.spec.backend is infd_api.Backend.LEADERWORKERSET
        else naming.leader_host
    )
    return {
        role: [host(name, role, i, namespace) for i in range(desired.get(role, 0))]
        for role, _ in infd.spec.roles.items()
    }


def objects(
    infd: infd_api.InferenceDeployment,
    pool: pool_api.GPUNodePoolSpec,
    desired: Mapping[str, int],
    owner: Mapping[str, Any] | None = None,
    gang: bool = False,
) -> list[dict[str, Any]]:
    """Every object applied for `desired` units per role, in the order they are applied: each
    unit's headless Service, PodGroup (with `gang`) and StatefulSet (or each role's
    LeaderWorkerSet), then the router's ServiceAccount, Role, RoleBinding, Service and
    Deployment. Raises `errors.RenderError` as the renderers do."""
    out: list[dict[str, Any]] = []
    for role, _ in infd.spec.roles.items():
        want = desired.get(role, 0)
        if infd.spec.backend is infd_api.Backend.LEADERWORKERSET:
            out.append(lws.leaderworkerset(infd, pool, role, want, owner))
        else:
            for index in range(want):
                out += units.unit_objects(infd, pool, role, index, owner, gang)
    return out + router.router_objects(infd, owner)


def has_templates(infd: infd_api.InferenceDeployment) -> bool:
    """Whether any pod template is written: on the deployment or on one of its roles."""
    return infd.spec.pod_template is not None or any(
        spec.pod_template is not None for _, spec in infd.spec.roles.items()
    )


def template_conflicts(
    infd: infd_api.InferenceDeployment, pool: pool_api.GPUNodePoolSpec, gang: bool = False
) -> list[overlay.Conflict]:
    """Every field the deployment's pod templates set that tokenfleet owns (and kept), by role.
    The same for every unit of a role: the first's stands for all."""
    out: list[overlay.Conflict] = []
    for role, spec in infd.spec.roles.items():
        if infd.spec.pod_template is None and spec.pod_template is None:
            continue
        ctx = context.resolve(infd, pool, role)
        member = (
            lws.membership(ctx)
            if infd.spec.backend is infd_api.Backend.LEADERWORKERSET
            else units.membership(ctx, 0, gang)
        )
        out += [c for c in pods.shaped(ctx, member)[1] if c not in out]
    return out


def command_lines(
    infd: infd_api.InferenceDeployment,
    pool: pool_api.GPUNodePoolSpec,
    desired: Mapping[str, int],
) -> list[Unit]:
    """Each unit's ranks' engine command lines, as the rank wrapper assembles them."""
    hosts = leaders(infd, desired)
    out: list[Unit] = []
    for role, _ in infd.spec.roles.items():
        ctx = context.resolve(infd, pool, role)
        for index, leader in enumerate(hosts[role]):
            argv = [args.engine_argv(ctx, leader, rank) for rank in range(ctx.nodes)]
            out.append(Unit(role, index, argv))
    return out
