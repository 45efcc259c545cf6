"""Object metadata as every renderer writes it: name, namespace, labels, annotations, owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def object_meta(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
    owner: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`metadata` for a rendered object; `owner` (an ownerReference) is set by the controller."""
    out: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        out["annotations"] = dict(annotations)
    if owner is not None:
        out["ownerReferences"] = [dict(owner)]
    return out
