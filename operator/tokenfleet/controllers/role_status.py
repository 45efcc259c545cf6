"""What one reconcile saw of each role, and the conditions it means: pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import conditions
from tokenfleet.workloads import overlay


@dataclasses.dataclass(frozen=True)
class RoleOutcome:
    """What one reconcile saw and did for one role."""

    desired: int
    ready: int
    nodes_per_unit: int
    min_units: int
    reason: str
    failed: bool
    progressing: bool
    pods_bound: int


def cond(type_: str, ok: bool, reason: str, message: str, gen: int | None) -> dict[str, Any]:
    return conditions.condition(type_, ok, reason, message, gen)


def cond_invalid(message: str, gen: int | None) -> dict[str, Any]:
    return cond("Ready", False, "InvalidSpec", message[:1000], gen)


def role_conditions(roles: Mapping[str, RoleOutcome], gen: int | None) -> list[dict[str, Any]]:
    short = [r for r, o in roles.items() if o.ready < o.desired]
    below_min = [r for r, o in roles.items() if o.ready < o.min_units]
    failed = [r for r, o in roles.items() if o.failed]
    progressing = [r for r, o in roles.items() if o.progressing]
    summary = ", ".join(f"{r} {o.ready}/{o.desired}" for r, o in roles.items())
    return [
        cond(
            "Ready",
            not short,
            "AllUnitsReady" if not short else "UnitsNotReady",
            f"ready/desired units: {summary}",
            gen,
        ),
        cond(
            "Progressing",
            bool(progressing),
            "Scaling" if progressing else "Stable",
            "; ".join(f"{r}: {roles[r].reason}" for r in progressing) or "no change under way",
            gen,
        ),
        cond(
            "Degraded",
            bool(below_min or failed),
            "BelowMinimum" if below_min else ("UnitFailed" if failed else "AsDesired"),
            (
                f"fewer ready units than minUnits in {', '.join(below_min)}"
                if below_min
                else (f"a unit failed in {', '.join(failed)}" if failed else "no role degraded")
            ),
            gen,
        ),
    ]


def template_condition(
    conflicts: Sequence[overlay.Conflict], *, any_template: bool, gen: int | None
) -> dict[str, Any]:
    """PodTemplateAccepted: False, naming each field kept, when a pod template set what
    tokenfleet owns; True otherwise."""
    if conflicts:
        kept = "; ".join(str(c) for c in conflicts)
        message = f"{len(conflicts)} field(s) of the pod templates are tokenfleet's: {kept}"
        return cond("PodTemplateAccepted", False, "OperatorFieldsKept", message[:1000], gen)
    if any_template:
        return cond("PodTemplateAccepted", True, "Merged", "pod templates merged", gen)
    return cond("PodTemplateAccepted", True, "NoTemplate", "no pod template: pods as rendered", gen)


def gang_condition(backend: infd_api.Backend, *, served: bool, gen: int | None) -> dict[str, Any]:
    """GangScheduling: whether each unit's pods are placed all together or not at all."""
    if backend is infd_api.Backend.LEADERWORKERSET:
        return cond(
            "GangScheduling",
            False,
            "LeaderWorkerSet",
            "LeaderWorkerSet creates the groups' pods; tokenfleet writes no PodGroup for them",
            gen,
        )
    if served:
        return cond(
            "GangScheduling",
            True,
            "PodGroups",
            "each unit is a PodGroup (scheduling.k8s.io/v1beta1) whose gang is its "
            "nodesPerUnit pods: all are placed, or none",
            gen,
        )
    return cond(
        "GangScheduling",
        False,
        "PodGroupsNotServed",
        "the API server does not serve scheduling.k8s.io/v1beta1 PodGroups (the GenericWorkload "
        "feature gate and that API): a unit's pods are placed one at a time",
        gen,
    )
