"""FLEET.yaml: the same custom resources a user applies, read into the API models.

A multi-document YAML holding an InferenceDeployment, the GPUNodePool it names and, optionally,
a PricingPlan. Each document is validated by the model of its `kind`; a mistake is reported with
the file, the document's number, kind and name, and the field's path as it is written in YAML.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import pydantic
import yaml

from tokenfleet.api import gpu_node_pool, inference_deployment, pricing_plan

KINDS: dict[str, type[pydantic.BaseModel]] = {
    "InferenceDeployment": inference_deployment.InferenceDeployment,
    "GPUNodePool": gpu_node_pool.GPUNodePool,
    "PricingPlan": pricing_plan.PricingPlan,
}


class FleetError(ValueError):
    """FLEET.yaml (or the pricing file) cannot be used; the message says where and why."""


@dataclasses.dataclass(frozen=True)
class Fleet:
    """One deployment, its pool and the plan its tokens are priced by (None: no revenue)."""

    deployment_name: str
    deployment: inference_deployment.InferenceDeploymentSpec
    pool_name: str
    pool: gpu_node_pool.GPUNodePoolSpec
    plan_name: str | None = None
    plan: pricing_plan.PricingPlanSpec | None = None

    @property
    def model(self) -> str:
        """The model name prices are looked up by: the served name, else the model."""
        return self.deployment.model.served_name or self.deployment.model.name


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(document)"


def parse(text: str, source: str) -> list[pydantic.BaseModel]:
    """Every document of `text` as its kind's model, in order."""
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise FleetError(f"{source}{at}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    resources = []
    for number, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict):
            raise FleetError(f"{source}: document {number} is not a mapping")
        kind = doc.get("kind")
        name = (doc.get("metadata") or {}).get("name", "(unnamed)")
        label = f"{source}: document {number} ({kind} {name})"
        if kind not in KINDS:
            raise FleetError(f"{label}: kind must be one of {', '.join(KINDS)}")
        try:
            resources.append(KINDS[kind].model_validate(doc))
        except pydantic.ValidationError as exc:
            problems = "; ".join(f"{_where(dict(error))}: {error['msg']}" for error in exc.errors())
            raise FleetError(f"{label}: {problems}") from None
    return resources


def _read(path: pathlib.Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise FleetError(f"{path}: cannot read: {exc.strerror}") from None


def _name(resource: Any) -> str:
    return str((resource.metadata or {}).get("name", ""))


def load(
    path: pathlib.Path, *, pricing: pathlib.Path | None = None, deployment: str | None = None
) -> Fleet:
    """The fleet in `path`; `pricing` overrides its PricingPlan, `deployment` picks one by name."""
    resources = parse(_read(path), str(path))
    deployments = [r for r in resources if isinstance(r, inference_deployment.InferenceDeployment)]
    pools = {_name(r): r for r in resources if isinstance(r, gpu_node_pool.GPUNodePool)}
    plans = {_name(r): r for r in resources if isinstance(r, pricing_plan.PricingPlan)}
    if deployment is not None:
        deployments = [d for d in deployments if _name(d) == deployment]
    if len(deployments) != 1:
        names = ", ".join(_name(d) for d in deployments) or "none"
        raise FleetError(
            f"{path}: need exactly one InferenceDeployment"
            f"{f' named {deployment}' if deployment else ''} (found: {names})"
        )
    infd = deployments[0]
    pool_ref = infd.spec.node_pool_ref.name
    if pool_ref not in pools:
        raise FleetError(
            f"{path}: InferenceDeployment {_name(infd)} spec.nodePoolRef.name is {pool_ref!r}, "
            f"but the file has no GPUNodePool of that name (has: {', '.join(pools) or 'none'})"
        )
    plan: pricing_plan.PricingPlan | None = None
    if pricing is not None:
        found = [
            r
            for r in parse(_read(pricing), str(pricing))
            if isinstance(r, pricing_plan.PricingPlan)
        ]
        if len(found) != 1:
            raise FleetError(f"{pricing}: need exactly one PricingPlan, found {len(found)}")
        plan = found[0]
    elif infd.spec.pricing_plan_ref is not None:
        ref = infd.spec.pricing_plan_ref.name
        if ref not in plans:
            raise FleetError(
                f"{path}: InferenceDeployment {_name(infd)} spec.pricingPlanRef.name is {ref!r}, "
                f"but the file has no PricingPlan of that name; add it or pass --pricing"
            )
        plan = plans[ref]
    elif len(plans) == 1:
        plan = next(iter(plans.values()))
    pool = pools[pool_ref]
    if plan is not None and plan.spec.currency != pool.spec.cost.currency:
        raise FleetError(
            f"{path}: PricingPlan {_name(plan)} is in {plan.spec.currency} but GPUNodePool "
            f"{pool_ref} costs {pool.spec.cost.currency}: use one currency so margins add up"
        )
    return Fleet(
        deployment_name=_name(infd),
        deployment=infd.spec,
        pool_name=pool_ref,
        pool=pool.spec,
        plan_name=None if plan is None else _name(plan),
        plan=None if plan is None else plan.spec,
    )
