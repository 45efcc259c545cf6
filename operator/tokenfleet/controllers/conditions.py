"""metav1.Condition lists that keep lastTransitionTime unless the status really changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def condition(
    type_: str, status: bool, reason: str, message: str, generation: int | None
) -> dict[str, Any]:
    return {
        "type": type_,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    }


def merge(
    previous: Sequence[Mapping[str, Any]] | None,
    new: Sequence[Mapping[str, Any]],
    now_rfc3339: str,
) -> list[dict[str, Any]]:
    """The new conditions, each with the old lastTransitionTime when its status is unchanged."""
    before = {c.get("type"): c for c in previous or []}
    out = []
    for cond in new:
        old = before.get(cond["type"])
        same = old is not None and old.get("status") == cond["status"]
        since = old.get("lastTransitionTime") if same and old else None
        out.append({**cond, "lastTransitionTime": since or now_rfc3339})
    return out
