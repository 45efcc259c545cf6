"""CustomResourceDefinitions generated from the pydantic models.

Pydantic emits JSON Schema 2020-12; the API server wants a *structural* OpenAPI v3 schema: no
$ref, no anyOf-with-null, boolean exclusive bounds, and every field typed. This module turns the
one into the other and adds what only a CRD has: names, printer columns, the status subresource.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from tokenfleet.api import common, gpu_node_pool, inference_deployment, pricing_plan

JSONSchema = dict[str, Any]
_DROP = {"title", "$defs"}


@dataclass(frozen=True)
class Kind:
    """What a CRD needs beyond the schema."""

    model: type[BaseModel]
    kind: str
    plural: str
    singular: str
    short_names: list[str]
    scope: str
    printer_columns: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=lambda: ["tokenfleet"])

    @property
    def name(self) -> str:
        return f"{self.plural}.{common.GROUP}"


def _age() -> dict[str, Any]:
    return {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


KINDS: list[Kind] = [
    Kind(
        model=inference_deployment.InferenceDeployment,
        kind="InferenceDeployment",
        plural="inferencedeployments",
        singular="inferencedeployment",
        short_names=["infd"],
        scope="Namespaced",
        printer_columns=[
            {"name": "Engine", "type": "string", "jsonPath": ".spec.engine.type"},
            {"name": "Model", "type": "string", "jsonPath": ".spec.model.name", "priority": 1},
            {
                "name": "Units",
                "type": "string",
                "jsonPath": ".status.readyUnits",
                "description": "Ready/desired units over all roles.",
            },
            {"name": "Nodes", "type": "integer", "jsonPath": ".status.nodes"},
            {
                "name": "Ready",
                "type": "string",
                "jsonPath": ".status.conditions[?(@.type=='Ready')].status",
            },
            {
                "name": "$/M-Out",
                "type": "number",
                "jsonPath": ".status.economics.costPerMillionOutputTokens",
                "description": "Cost per million output tokens over the last hour.",
            },
            {"name": "Margin", "type": "number", "jsonPath": ".status.economics.margin"},
            {"name": "Pool", "type": "string", "jsonPath": ".spec.nodePoolRef.name", "priority": 1},
            {
                "name": "Last-Decision",
                "type": "string",
                "jsonPath": ".status.lastDecision.reason",
                "priority": 1,
            },
            _age(),
        ],
    ),
    Kind(
        model=pricing_plan.PricingPlan,
        kind="PricingPlan",
        plural="pricingplans",
        singular="pricingplan",
        short_names=["pp"],
        scope="Namespaced",
        printer_columns=[
            {"name": "Currency", "type": "string", "jsonPath": ".spec.currency"},
            {"name": "Window", "type": "string", "jsonPath": ".status.activeWindow"},
            {
                "name": "Out/M",
                "type": "number",
                "jsonPath": ".spec.prices.output",
                "description": "Default list price per million output tokens.",
            },
            {"name": "Next-Change", "type": "date", "jsonPath": ".status.nextChange"},
            _age(),
        ],
    ),
    Kind(
        model=gpu_node_pool.GPUNodePool,
        kind="GPUNodePool",
        plural="gpunodepools",
        singular="gpunodepool",
        short_names=["gpool"],
        scope="Cluster",
        printer_columns=[
            {"name": "GPU", "type": "string", "jsonPath": ".spec.gpuType"},
            {"name": "Provider", "type": "string", "jsonPath": ".spec.provider.type"},
            {"name": "Desired", "type": "integer", "jsonPath": ".status.desiredNodes"},
            {"name": "Ready", "type": "integer", "jsonPath": ".status.nodes.ready"},
            {"name": "Allocated", "type": "integer", "jsonPath": ".status.nodes.allocated"},
            {"name": "Provisioning", "type": "integer", "jsonPath": ".status.nodes.provisioning"},
            {"name": "Lent", "type": "integer", "jsonPath": ".status.nodes.lent"},
            {"name": "Max", "type": "integer", "jsonPath": ".spec.maxNodes"},
            {
                "name": "Idle-$/h",
                "type": "number",
                "jsonPath": ".status.idleCostPerHour",
                "priority": 1,
            },
            _age(),
        ],
    ),
]


def _resolve(node: Any, defs: dict[str, JSONSchema]) -> Any:
    """Inline every $ref; siblings of a $ref (a field's description) win over the target's."""
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _resolve({**target, **siblings}, defs)
    return {k: _resolve(v, defs) for k, v in node.items()}


def _collapse_any_of(node: JSONSchema) -> JSONSchema:
    """Optional[X] becomes X; Decimal (number or numeric string) becomes number."""
    options = [o for o in node.pop("anyOf") if o.get("type") != "null"]
    numeric = [o for o in options if o.get("type") == "number"]
    if len(options) == 1:
        chosen = options[0]
    elif numeric:
        chosen = numeric[0]
    else:
        raise ValueError(f"cannot express anyOf {options} in a structural schema")
    merged = {**chosen, **node}
    if merged.get("default", 0) is None:
        del merged["default"]
    return merged


def _without_nulls(value: Any) -> Any:
    """Defaults are applied by the API server, which refuses null where a type is declared."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _structural(node: Any) -> Any:
    if isinstance(node, list):
        return [_structural(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "anyOf" in node:
        node = _collapse_any_of(dict(node))
    node = {k: v for k, v in node.items() if k not in _DROP}
    if "default" in node:
        node["default"] = _without_nulls(node["default"])
    if "enum" in node and "type" not in node:
        node["type"] = "string"
    for bound in ("Minimum", "Maximum"):
        key = f"exclusive{bound}"
        if key in node and not isinstance(node[key], bool):
            node[bound.lower()] = node.pop(key)
            node[key] = True
    if "pattern" in node and node.get("type") == "number":
        del node["pattern"]
    free_form = node.get("x-kubernetes-preserve-unknown-fields")
    if free_form and node.get("additionalProperties") is True:
        # Free-form (a pod spec): the marker keeps unknown fields; `true` adds nothing.
        del node["additionalProperties"]
    if node.get("additionalProperties") is False:
        # Structural schemas forbid it beside properties; unknown fields are pruned anyway.
        del node["additionalProperties"]
    out: JSONSchema = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _structural(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _structural(value)
        else:
            out[key] = value
    if "properties" in out:
        out.setdefault("type", "object")
    return out


def openapi_schema(model: type[BaseModel]) -> JSONSchema:
    """The structural OpenAPI v3 schema of a kind's model."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    schema: JSONSchema = _structural(_resolve(raw, raw.get("$defs", {})))
    props = schema["properties"]
    props["apiVersion"] = {"type": "string", "description": props["apiVersion"]["description"]}
    props["kind"] = {"type": "string", "description": props["kind"]["description"]}
    props["metadata"] = {"type": "object"}
    # kopf keeps handler progress in status; undeclared fields would be pruned silently.
    props["status"]["x-kubernetes-preserve-unknown-fields"] = True
    schema["required"] = ["spec"]
    return schema


def crd(kind: Kind) -> dict[str, Any]:
    """The CustomResourceDefinition object of one kind."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": kind.name,
            "labels": {"app.kubernetes.io/part-of": "tokenfleet"},
        },
        "spec": {
            "group": common.GROUP,
            "scope": kind.scope,
            "names": {
                "kind": kind.kind,
                "listKind": f"{kind.kind}List",
                "plural": kind.plural,
                "singular": kind.singular,
                "shortNames": kind.short_names,
                "categories": kind.categories,
            },
            "versions": [
                {
                    "name": common.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": kind.printer_columns,
                    "schema": {"openAPIV3Schema": openapi_schema(kind.model)},
                }
            ],
        },
    }


def file_name(kind: Kind) -> str:
    return f"{common.GROUP}_{kind.plural}.yaml"
