"""FLEET.yaml: the custom resources of a fleet, read by kind, with readable mistakes.

Covered: a pool, plan and deployment are found and tied by their references; --pricing
overrides the file's plan; a lone plan is used without a reference; a fleet without a plan has
no revenue; a pydantic error names the file, the document, its kind and name and the field as
written in YAML; an unknown kind, a missing pool or plan, two deployments and broken YAML are
refused with a message that says how to fix it, and so is a plan priced in another currency than
the pool.
"""

from __future__ import annotations

import pathlib

import pytest

from tokenfleet.sim import fleet

from . import fleets


def test_the_resources_are_tied_by_their_references(tmp_path: pathlib.Path) -> None:
    loaded = fleet.load(fleets.write_fleet(tmp_path / "f.yaml", fleets.docs()))
    assert (loaded.deployment_name, loaded.pool_name, loaded.plan_name) == (
        "small-model",
        "small",
        "flat",
    )
    assert loaded.pool.max_nodes == 60 and loaded.plan is not None
    assert loaded.model == "org/small-model"


def test_pricing_overrides_and_a_lone_plan_needs_no_reference(tmp_path: pathlib.Path) -> None:
    documents = fleets.docs()
    del documents[2]["spec"]["pricingPlanRef"]
    path = fleets.write_fleet(tmp_path / "f.yaml", documents)
    assert fleet.load(path).plan_name == "flat"
    other = dict(fleets.PLAN, metadata={"name": "other"})
    pricing = fleets.write_fleet(tmp_path / "p.yaml", [other])
    assert fleet.load(path, pricing=pricing).plan_name == "other"
    no_plan = fleets.write_fleet(tmp_path / "n.yaml", [documents[0], documents[2]])
    assert fleet.load(no_plan).plan is None


def test_a_validation_error_names_document_kind_and_field(tmp_path: pathlib.Path) -> None:
    documents = fleets.docs()
    del documents[2]["spec"]["roles"]["decode"]["capacityPerNode"]
    documents[2]["spec"]["roles"]["prefill"]["targetUtilization"] = 1.5
    path = fleets.write_fleet(tmp_path / "f.yaml", documents)
    with pytest.raises(fleet.FleetError) as error:
        fleet.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: document 3 (InferenceDeployment small-model): ")
    assert "spec.roles.decode.capacityPerNode: Field required" in message
    assert (
        "spec.roles.prefill.targetUtilization: Input should be less than or equal to 1" in message
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d[0].update(kind="NodePool"), "kind must be one of InferenceDeployment"),
        (
            lambda d: d[2]["spec"].update(nodePoolRef={"name": "big"}),
            "spec.nodePoolRef.name is 'big', but the file has no GPUNodePool of that name",
        ),
        (
            lambda d: d[2]["spec"].update(pricingPlanRef={"name": "gone"}),
            "no PricingPlan of that name; add it or pass --pricing",
        ),
        (lambda d: d.append(d[2]), "need exactly one InferenceDeployment"),
        (
            lambda d: d[1]["spec"].update(currency="EUR"),
            "PricingPlan flat is in EUR but GPUNodePool small costs USD",
        ),
    ],
)
def test_fleets_that_cannot_be_simulated_are_refused(
    tmp_path: pathlib.Path, change: object, message: str
) -> None:
    documents = fleets.docs()
    change(documents)  # type: ignore[operator]
    with pytest.raises(fleet.FleetError, match=message):
        fleet.load(fleets.write_fleet(tmp_path / "f.yaml", documents))


def test_broken_yaml_names_the_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("kind: GPUNodePool\nspec:\n  maxNodes: [1\n")
    with pytest.raises(fleet.FleetError, match=r"f\.yaml:\d+: not valid YAML"):
        fleet.load(path)
