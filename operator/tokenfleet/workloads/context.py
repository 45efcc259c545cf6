"""One role of one InferenceDeployment, resolved and checked once before anything is rendered.

Every renderer starts here, so the questions "which role, which namespace, does it fit the
pool's nodes" are answered (or refused with a `RenderError` that says how to fix the spec) in
one place rather than half-way through building a StatefulSet.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import engines, errors

ROLE_NAMES: tuple[common.RoleName, ...] = ("prefill", "decode", "unified")
_ROLES: dict[str, common.RoleName] = {name: name for name in ROLE_NAMES}


@dataclasses.dataclass(frozen=True)
class RoleContext:
    """What the renderers need to know about one role, with the spec's defaults applied."""

    deployment: str
    namespace: str
    pool_name: str
    role: common.RoleName
    spec: infd_api.InferenceDeploymentSpec
    role_spec: infd_api.RoleSpec
    pool: pool_api.GPUNodePoolSpec

    @property
    def engine(self) -> infd_api.EngineType:
        return self.spec.engine.type

    @property
    def port(self) -> int:
        """HTTP port of the engine (API, /health, /metrics)."""
        return engines.http_port(self.spec.engine)

    @property
    def nodes(self) -> int:
        """Nodes (pods) in one unit."""
        return self.role_spec.nodes_per_unit

    @property
    def gpus(self) -> int:
        """GPUs each pod requests."""
        return self.role_spec.gpus_per_node

    @property
    def world_size(self) -> int:
        """GPUs in one unit: the EP, DP-attention and TP size."""
        return self.nodes * self.gpus

    @property
    def disaggregated(self) -> bool:
        """True for the prefill and decode roles of a PD pair, False for a unified role."""
        return self.role != "unified"

    @property
    def served_name(self) -> str:
        return self.spec.model.served_name or self.spec.model.name


def deployment_identity(infd: infd_api.InferenceDeployment) -> tuple[str, str]:
    """(name, namespace) of the InferenceDeployment; both are needed for names and DNS."""
    meta: dict[str, Any] = infd.metadata
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        raise errors.RenderError("InferenceDeployment has no metadata.name")
    if not isinstance(namespace, str) or not namespace:
        raise errors.RenderError(
            f"InferenceDeployment {name} has no metadata.namespace; it is a namespaced kind"
        )
    return name, namespace


def resolve(
    infd: infd_api.InferenceDeployment, pool: pool_api.GPUNodePoolSpec, role: str
) -> RoleContext:
    """Check that `role` is set on `infd` and fits `pool`, and gather what rendering needs."""
    name, namespace = deployment_identity(infd)
    role_name = _ROLES.get(role)
    if role_name is None:
        raise errors.RenderError(f"unknown role {role!r}: expected one of {', '.join(ROLE_NAMES)}")
    role_spec: infd_api.RoleSpec | None = getattr(infd.spec.roles, role_name)
    if role_spec is None:
        present = ", ".join(r for r, _ in infd.spec.roles.items()) or "none"
        raise errors.RenderError(
            f"InferenceDeployment {namespace}/{name} has no {role_name} role (roles set: {present})"
        )
    if role_spec.gpus_per_node > pool.gpus_per_node:
        raise errors.RenderError(
            f"roles.{role_name}.gpusPerNode is {role_spec.gpus_per_node} but the nodes of "
            f"GPUNodePool {infd.spec.node_pool_ref.name} have {pool.gpus_per_node} GPUs: lower "
            "gpusPerNode or use a pool with larger nodes"
        )
    return RoleContext(
        deployment=name,
        namespace=namespace,
        pool_name=infd.spec.node_pool_ref.name,
        role=role_name,
        spec=infd.spec,
        role_spec=role_spec,
        pool=pool,
    )
