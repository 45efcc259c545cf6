"""Every sample manifest parses into the pydantic models, so the models and the CRDs agree."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

from tokenfleet.api import gpu_node_pool, inference_deployment, pricing_plan

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLES = sorted((ROOT / "manifests" / "samples").glob("*.yaml"))
MODELS: dict[str, Any] = {
    "InferenceDeployment": inference_deployment.InferenceDeployment,
    "PricingPlan": pricing_plan.PricingPlan,
    "GPUNodePool": gpu_node_pool.GPUNodePool,
}


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_documents_validate(path: pathlib.Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs
    ours = [doc for doc in docs if doc["apiVersion"].startswith("tokenfleet.io/")]
    assert ours
    for doc in ours:
        MODELS[doc["kind"]].model_validate(doc)


def test_the_reference_fleet_is_deepseeks() -> None:
    docs = list(yaml.safe_load_all((ROOT / "manifests/samples/deepseek-v3.yaml").read_text()))
    infd = inference_deployment.InferenceDeployment.model_validate(docs[2])
    prefill, decode = infd.spec.roles.prefill, infd.spec.roles.decode
    assert prefill is not None and decode is not None
    assert (prefill.nodes_per_unit * prefill.gpus_per_node, prefill.capacity_per_node) == (
        32,
        73700,
    )
    assert (decode.nodes_per_unit * decode.gpus_per_node, decode.capacity_per_node) == (144, 14800)
    pool = gpu_node_pool.GPUNodePool.model_validate(docs[0])
    assert pool.spec.max_nodes == 400 and pool.spec.cost.on_demand_per_gpu_hour == 2
    assert pool.spec.provisioning_delay_seconds == 600
