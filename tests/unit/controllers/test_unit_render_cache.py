"""The deployment controller reuses a unit's rendering until something it is made from changes."""

from __future__ import annotations

from tests.unit.workloads import fleet

from tokenfleet.controllers import inference_deployments

OWNER = {"apiVersion": "tokenfleet.io/v1alpha1", "kind": "InferenceDeployment", "uid": "u-1"}


def digest(**changes: object) -> str:
    pool_changes = changes.pop("pool", {})
    assert isinstance(pool_changes, dict)
    owner = changes.pop("owner", OWNER)
    assert isinstance(owner, dict)
    gang = changes.pop("gang", True)
    assert isinstance(gang, bool)
    return inference_deployments.render_inputs(
        fleet.deployment(**changes), fleet.pool(**pool_changes), owner, gang
    )


def test_status_writes_and_bookkeeping_metadata_keep_the_rendering() -> None:
    busy = {"name": fleet.DEPLOYMENT, "namespace": fleet.NAMESPACE, "resourceVersion": "812"}
    assert digest(metadata={**busy, "generation": 7}) == digest()


def test_what_a_unit_is_made_from_renders_it_again() -> None:
    base = digest()
    assert digest(spec={"engine": {"image": "lmsysorg/sglang:v0.5.24"}}) != base
    assert digest(spec={"roles": {"decode": {"redundantExperts": 64}}}) != base
    assert digest(pool={"gpusPerNode": 16}) != base
    assert digest(owner={**OWNER, "uid": "u-2"}) != base
    assert digest(metadata={"name": "deepseek-r1"}) != base
    assert digest(metadata={"namespace": "other"}) != base
    assert digest(gang=False) != base
