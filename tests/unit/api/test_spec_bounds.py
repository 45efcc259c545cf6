"""Every field a user writes is bounded at admission.

What the API server accepts, the operator must be able to act on: a 100,000-character image, a
maxNodes of 1e18 or 5,000 environment variables would be stored, then fail (or worse) when the
operator writes a pod or a Node. The generated CRD schemas are walked: every string in a spec
has a maxLength (or is an enum), every list a maxItems, every map a maxProperties and every
number a maximum. A new field without a bound fails here, naming its path.
"""

from __future__ import annotations

from typing import Any

import pytest

from tokenfleet.api import crd


def _unbounded(node: dict[str, Any], path: str) -> list[str]:
    out: list[str] = []
    kind = node.get("type")
    if kind == "string" and "enum" not in node and "maxLength" not in node:
        out.append(f"{path}: string without maxLength")
    if kind in ("integer", "number") and "maximum" not in node:
        out.append(f"{path}: {kind} without maximum")
    if kind == "array":
        if "maxItems" not in node:
            out.append(f"{path}: list without maxItems")
        out += _unbounded(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        if "maxProperties" not in node:
            out.append(f"{path}: map without maxProperties")
        out += _unbounded(node["additionalProperties"], f"{path}{{}}")
    for name, sub in (node.get("properties") or {}).items():
        out += _unbounded(sub, f"{path}.{name}")
    return out


@pytest.mark.parametrize("kind", crd.KINDS, ids=[k.kind for k in crd.KINDS])
def test_every_spec_field_has_a_bound(kind: crd.Kind) -> None:
    spec = crd.openapi_schema(kind.model)["properties"]["spec"]
    assert _unbounded(spec, "spec") == []


def test_the_walk_finds_an_unbounded_field() -> None:
    schema = {
        "type": "object",
        "properties": {
            "image": {"type": "string"},
            "args": {"type": "array", "items": {"type": "string", "maxLength": 5}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "replicas": {"type": "integer", "minimum": 0},
            "mode": {"type": "string", "enum": ["a", "b"]},
        },
    }
    assert _unbounded(schema, "spec") == [
        "spec.image: string without maxLength",
        "spec.args: list without maxItems",
        "spec.labels: map without maxProperties",
        "spec.labels{}: string without maxLength",
        "spec.replicas: integer without maximum",
    ]
