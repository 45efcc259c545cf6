"""The LeaderWorkerSet backend: one LWS per role, one group per unit.

Covers: the LWS object whole (size = nodesPerUnit, replicas = units, LeaderCreated,
RecreateGroupOnPodRestart, one group rolled at a time, the template hash); its pod template is
the StatefulSet backend's except where LWS's variables stand in for per-unit facts (rank,
leader address, node count, unit label, topology term by group key); leader host names match
what LWS puts in LWS_LEADER_ADDRESS.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tokenfleet.workloads import errors, labels, lws, naming, units

from . import fleet, kube

ROLE_LABELS = {
    "app.kubernetes.io/name": "tokenfleet-engine",
    "app.kubernetes.io/managed-by": "tokenfleet",
    "tokenfleet.io/deployment": "deepseek-v3",
    "tokenfleet.io/role": "decode",
}


def test_the_leaderworkerset_holds_every_unit_of_a_role_as_one_group_each() -> None:
    owner = {"apiVersion": "tokenfleet.io/v1alpha1", "kind": "InferenceDeployment", "uid": "u"}
    obj = lws.leaderworkerset(fleet.deployment("sglang"), fleet.pool(), "decode", 5, owner)
    template = obj["spec"]["leaderWorkerTemplate"].pop("workerTemplate")
    digest = labels.template_hash(template)
    assert template["metadata"]["annotations"][labels.TEMPLATE_HASH] == digest
    kube.assert_same_object(
        obj,
        {
            "apiVersion": "leaderworkerset.x-k8s.io/v1",
            "kind": "LeaderWorkerSet",
            "metadata": {
                "name": "deepseek-v3-decode",
                "namespace": "inference",
                "labels": ROLE_LABELS,
                "annotations": {"tokenfleet.io/template-hash": digest},
                "ownerReferences": [owner],
            },
            "spec": {
                "replicas": 5,
                "startupPolicy": "LeaderCreated",
                "rolloutStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0},
                },
                "leaderWorkerTemplate": {
                    "size": 18,
                    "restartPolicy": "RecreateGroupOnPodRestart",
                },
            },
        },
    )


def sts_template_as_lws_would_have_it(sts: dict[str, Any], leader: str) -> dict[str, Any]:
    """The StatefulSet pod template with each per-unit fact replaced by its LWS variable."""
    template: dict[str, Any] = copy.deepcopy(sts["spec"]["template"])
    template["metadata"]["labels"].pop(labels.UNIT)
    template["metadata"]["annotations"].pop(labels.TEMPLATE_HASH)
    container = template["spec"]["containers"][0]
    container["env"][0] = {"name": "TOKENFLEET_RANK", "value": "$(LWS_WORKER_INDEX)"}
    text = json.dumps(container["args"]).replace(leader, "$(LWS_LEADER_ADDRESS)")
    container["args"] = json.loads(text)
    if "--nnodes" in container["args"]:
        container["args"][container["args"].index("--nnodes") + 1] = "$(LWS_GROUP_SIZE)"
    affinity = template["spec"]["affinity"]
    if "podAffinity" in affinity:
        term = affinity["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        term["labelSelector"]["matchLabels"].pop(labels.UNIT)
        term["matchLabelKeys"] = [labels.LWS_GROUP_KEY]
    return template


@pytest.mark.parametrize("kind", ["sglang", "vllm"])
@pytest.mark.parametrize("role", ["prefill", "decode"])
def test_the_pod_template_is_the_statefulset_one_with_lws_variables_for_unit_facts(
    kind: str, role: str
) -> None:
    infd = fleet.deployment(kind, spec={"roles": {role: {"topologyKey": "example.com/rack"}}})
    pool = fleet.pool()
    _, sts = units.unit_objects(infd, pool, role, 0)
    leader = naming.leader_host(fleet.DEPLOYMENT, role, 0, fleet.NAMESPACE)
    obj = lws.leaderworkerset(infd, pool, role, 2)
    template = obj["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    template["metadata"]["annotations"].pop(labels.TEMPLATE_HASH)
    kube.assert_same_object(template, sts_template_as_lws_would_have_it(sts, leader))


def test_lws_leader_hosts_follow_the_lws_address_scheme() -> None:
    # LWS sets LWS_LEADER_ADDRESS to <lws>-<group>.<subdomain>.<namespace>; the subdomain is the
    # LWS name under the default (shared) subdomain policy.
    host = naming.lws_leader_host("deepseek-v3", "prefill", 4, "inference")
    assert host == "deepseek-v3-prefill-4.deepseek-v3-prefill.inference.svc"


def test_zero_units_is_a_valid_size_and_negative_is_refused() -> None:
    infd, pool = fleet.deployment("vllm"), fleet.pool()
    assert lws.leaderworkerset(infd, pool, "prefill", 0)["spec"]["replicas"] == 0
    with pytest.raises(ValueError, match="units must be >= 0"):
        lws.leaderworkerset(infd, pool, "prefill", -1)


def test_rendering_checks_the_spec_like_the_statefulset_backend() -> None:
    with pytest.raises(errors.RenderError, match="no unified role"):
        lws.leaderworkerset(fleet.deployment("sglang"), fleet.pool(), "unified", 1)
