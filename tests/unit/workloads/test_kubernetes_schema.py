"""Every rendered object matches the Kubernetes API types field by field.

Covers: StatefulSets, headless Services, router Deployments, Services, ServiceAccounts, Roles
and RoleBindings for both engines and
every role, checked against the official client's models (no unknown or misspelt field, no
wrongly typed value); the LeaderWorkerSet's pod template likewise, and its own fields against
the leaderworkerset.x-k8s.io/v1 schema. Also shows the checker catches a misspelt field.
"""

from __future__ import annotations

from typing import Any

import pytest

from tokenfleet.workloads import lws, router, units

from . import fleet, kube

KIND_TYPES = {
    "StatefulSet": "V1StatefulSet",
    "Service": "V1Service",
    "Deployment": "V1Deployment",
    "ServiceAccount": "V1ServiceAccount",
    "Role": "V1Role",
    "RoleBinding": "V1RoleBinding",
}

# leaderworkerset.x-k8s.io/v1 LeaderWorkerSetSpec, the fields we may write (from its Go types).
LWS_SPEC_FIELDS = {"replicas", "leaderWorkerTemplate", "rolloutStrategy", "startupPolicy"}
LWS_TEMPLATE_FIELDS = {
    "leaderTemplate",
    "workerTemplate",
    "size",
    "restartPolicy",
    "subGroupPolicy",
    "volumeClaimTemplates",
}
LWS_ROLLING_FIELDS = {"partition", "maxUnavailable", "maxSurge"}


def rendered(kind: str, shape: str) -> list[dict[str, Any]]:
    roles = ["unified"] if shape == "unified" else ["prefill", "decode"]
    infd = (
        fleet.unified(kind, router={"image": "router:1"}, roles={"unified": {"topologyKey": "r"}})
        if shape == "unified"
        else fleet.deployment(
            kind,
            spec={
                "router": {"image": "router:1"},
                "model": {"weightsVolume": "weights"},
                "roles": {"decode": {"topologyKey": "example.com/rack"}},
            },
        )
    )
    pool = fleet.pool(nodeTaints=[{"key": "gpu", "value": "h800", "effect": "NoSchedule"}])
    objects = [obj for role in roles for obj in units.unit_objects(infd, pool, role, 1, None)]
    objects += router.router_objects(infd)
    return objects


@pytest.mark.parametrize("kind", ["sglang", "vllm"])
@pytest.mark.parametrize("shape", ["pd", "unified"])
def test_core_objects_use_only_real_fields_with_the_right_types(kind: str, shape: str) -> None:
    for obj in rendered(kind, shape):
        assert kube.schema_errors(obj, KIND_TYPES[obj["kind"]]) == []


@pytest.mark.parametrize("kind", ["sglang", "vllm"])
def test_the_leaderworkerset_uses_only_real_fields(kind: str) -> None:
    infd = fleet.deployment(kind, spec={"roles": {"prefill": {"topologyKey": "example.com/rack"}}})
    obj = lws.leaderworkerset(infd, fleet.pool(), "prefill", 2)
    spec = obj["spec"]
    assert set(spec) <= LWS_SPEC_FIELDS
    assert set(spec["leaderWorkerTemplate"]) <= LWS_TEMPLATE_FIELDS
    assert set(spec["rolloutStrategy"]) == {"type", "rollingUpdateConfiguration"}
    assert set(spec["rolloutStrategy"]["rollingUpdateConfiguration"]) <= LWS_ROLLING_FIELDS
    assert kube.schema_errors(obj["metadata"], "V1ObjectMeta") == []
    template = spec["leaderWorkerTemplate"]["workerTemplate"]
    assert kube.schema_errors(template, "V1PodTemplateSpec") == []


def test_the_checker_reports_a_misspelt_field_and_a_wrong_type() -> None:
    _, sts = units.unit_objects(fleet.deployment("sglang"), fleet.pool(), "prefill", 0)
    sts["spec"]["podManagmentPolicy"] = "Parallel"
    sts["spec"]["replicas"] = "4"
    errors = kube.schema_errors(sts, "V1StatefulSet")
    assert ".spec.podManagmentPolicy: not a field of V1StatefulSetSpec" in errors
    assert ".spec.replicas: expected int, got '4'" in errors
