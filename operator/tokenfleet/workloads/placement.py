"""Where engine pods may run: the pool's nodes, one pod per node, a unit inside one domain.

- Node choice: the pool's `nodeLabels` plus `tokenfleet.io/pool: <pool>`, which every node of a
  GPUNodePool carries (the providers set it), and a toleration for each of the pool's taints.
- One pod per node: a required pod anti-affinity on `kubernetes.io/hostname` among the pods of
  the same deployment and role. GPU requests alone would do it only while `gpusPerNode` equals
  the node's GPU count; with fewer, two pods of one unit could share a node and its network
  cards, which DeepEP's one-NIC-per-GPU pairing does not expect. The rule states the intent
  instead of relying on arithmetic that a spec change can break.
- Optional topology (`roles.<role>.topologyKey`, e.g. a rack label): a required pod affinity to
  the unit's own pods on that key, so every pod of a unit lands in the first pod's domain.
  Kubernetes lets the first pod of a unit schedule because it matches its own term.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tokenfleet.workloads import context, labels

HOSTNAME_KEY: Final = "kubernetes.io/hostname"


def node_selector(ctx: context.RoleContext) -> dict[str, str]:
    """The pool's node labels and its `tokenfleet.io/pool` label."""
    return {**ctx.pool.node_labels, **labels.pool_label(ctx.pool_name)}


def tolerations(ctx: context.RoleContext) -> list[dict[str, str]]:
    """One toleration per pool taint, matching key, value and effect exactly."""
    out: list[dict[str, str]] = []
    for taint in ctx.pool.node_taints:
        toleration = {"key": taint.key, "operator": "Equal", "effect": taint.effect.value}
        if taint.value:
            toleration["value"] = taint.value
        out.append(toleration)
    return out


def affinity(ctx: context.RoleContext, unit_term: Mapping[str, Any]) -> dict[str, Any]:
    """Anti-affinity of the role's pods per node; affinity of a unit's pods per topology domain.

    `unit_term` is the part of a pod affinity term that selects this unit's pods (a label
    selector, and under LWS `matchLabelKeys` on the group key).
    """
    role_selector = {"matchLabels": labels.role_labels(ctx.deployment, ctx.role)}
    out: dict[str, Any] = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": role_selector, "topologyKey": HOSTNAME_KEY}
            ]
        }
    }
    if ctx.role_spec.topology_key:
        out["podAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {**unit_term, "topologyKey": ctx.role_spec.topology_key}
            ]
        }
    return out
