"""What to do with one role's units, given what is observed: pure, no I/O.

A unit is a gang: it serves only when every pod is Ready on the current template. The
controller observes each unit (its StatefulSet's template hash, its pods) and this module says
which units to create or update, which to recreate whole, which to remove, and which are live
(the ones the router may send traffic to). Rules, in order:

1. Units past the desired count are removed, highest index first; they leave the router in the
   same step, before their pods go.
2. Missing units below the desired count are created.
3. A failed unit (a pod Failed, restarted, or gone for good) is recreated whole: an expert-
   parallel group cannot run with a hole.
4. A unit on an outdated template is rolled, one unit at a time per role, and only while the
   role keeps `min_units` ready units without it; when it would not, one extra unit on the new
   template is started first (a surge) and removed once the units below it hold `min_units`
   ready ones again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class ObservedUnit:
    """One unit as the controller found it."""

    index: int
    exists: bool
    """The unit's StatefulSet exists."""
    outdated: bool
    """Its template differs from a fresh rendering of the spec."""
    pods_ready: int
    """Pods Ready and on the StatefulSet's current template."""
    nodes: int
    """Pods the unit needs (nodesPerUnit)."""
    failed: bool = False
    """A pod failed or restarted: the gang is broken."""

    @property
    def ready(self) -> bool:
        return self.exists and not self.failed and self.pods_ready >= self.nodes


@dataclasses.dataclass(frozen=True)
class RolePlan:
    """The actions for one role, and a sentence saying why."""

    apply: tuple[int, ...] = ()
    """Units whose StatefulSet and Service to apply (create, or update the template)."""
    recreate: tuple[int, ...] = ()
    """Units whose pods to delete all together (after `apply`), so they restart as one gang."""
    remove: tuple[int, ...] = ()
    """Units to delete (StatefulSet and Service)."""
    live: tuple[int, ...] = ()
    """Ready units that stay: the router's members."""
    target_units: int = 0
    """Units kept after this step, surge included."""
    reason: str = ""


def plan_role(desired: int, min_units: int, observed: Sequence[ObservedUnit]) -> RolePlan:
    """Decide one reconcile step for one role (see the module docstring for the rules)."""
    units = {u.index: u for u in observed if u.exists}
    outdated = sorted(i for i, u in units.items() if i < desired and u.outdated)
    ready = {i for i, u in units.items() if u.ready}
    # A surge unit (index `desired`) exists only while an outdated unit cannot be rolled
    # without dropping below `min_units` ready units.
    # Once nothing is outdated it stays only while the units below it hold fewer than
    # `min_units` ready: kept until every unit below it was ready, a unit left over from a
    # scale-down would hold nodes that a lower unit waiting for room (a gang on a full pool)
    # needs, and neither would ever move.
    surging = bool(outdated) and (
        desired in units or len(ready - {desired}) - (outdated[0] in ready) < min_units
    )
    surging = surging or (
        desired in units
        and not units[desired].outdated
        and len(ready & set(range(desired))) < min_units
    )
    target = desired + 1 if surging else desired
    reasons: list[str] = []

    remove = tuple(sorted((i for i in units if i >= target), reverse=True))
    if remove:
        reasons.append(f"remove unit(s) {', '.join(map(str, remove))}")
    apply = [i for i in range(target) if i not in units]
    reasons += [f"create unit {i}" + (" (surge)" if i == desired else "") for i in apply]
    recreate = [i for i, u in units.items() if i < target and u.failed and not u.outdated]
    reasons += [f"recreate unit {i}: a pod failed or restarted" for i in recreate]

    if outdated:
        in_flight = [
            i for i in range(target) if (i not in ready and i not in outdated) or i in recreate
        ]
        candidate = outdated[0]
        after = len(ready & set(range(target))) - (candidate in ready)
        if in_flight:
            reasons.append(
                f"{len(outdated)} unit(s) outdated: waiting for unit(s) "
                f"{', '.join(map(str, sorted(set(in_flight))))} to be ready"
            )
        elif after < min_units:
            reasons.append(f"{len(outdated)} unit(s) outdated: waiting for the surge unit")
        else:
            apply.append(candidate)
            recreate.append(candidate)
            reasons.append(f"roll unit {candidate} to the new template")

    live = tuple(sorted(i for i in ready if i < target and i not in recreate))
    return RolePlan(
        apply=tuple(sorted(set(apply))),
        recreate=tuple(sorted(set(recreate))),
        remove=remove,
        live=live,
        target_units=target,
        reason="; ".join(reasons) or "steady",
    )
