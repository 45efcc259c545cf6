"""Each unit is a gang: its PodGroup (scheduling.k8s.io/v1beta1) and its pods naming it.

Covers: the PodGroup of a unit (named like it, its labels and owner, gang minCount = the unit's
nodes) and its place between the headless Service and the StatefulSet; every pod template
naming its own unit's group; both checked against the official client's models of the API;
without PodGroups served, units render as before; a pod template cannot move pods to another
group; the GangScheduling condition for each backend and both answers.
"""

from __future__ import annotations

from typing import Any

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import role_status
from tokenfleet.workloads import fleet as fleet_mod
from tokenfleet.workloads import labels, units

from . import fleet, kube

OWNER = {"apiVersion": "tokenfleet.io/v1alpha1", "kind": "InferenceDeployment", "name": "x"}


def test_a_unit_is_a_pod_group_of_all_its_pods() -> None:
    infd = fleet.deployment()
    service, group, sts = units.unit_objects(infd, fleet.pool(), "decode", 3, OWNER, gang=True)
    name = "deepseek-v3-decode-3"
    assert (service["kind"], group["kind"], sts["kind"]) == ("Service", "PodGroup", "StatefulSet")
    assert group["apiVersion"] == "scheduling.k8s.io/v1beta1"
    assert group["metadata"]["name"] == sts["metadata"]["name"] == name
    assert group["metadata"]["namespace"] == fleet.NAMESPACE
    assert group["metadata"]["labels"] == labels.unit_labels("deepseek-v3", "decode", 3)
    assert group["metadata"]["ownerReferences"] == [OWNER]
    assert group["spec"] == {"schedulingPolicy": {"gang": {"minCount": 18}}}
    assert sts["spec"]["replicas"] == 18
    assert sts["spec"]["template"]["spec"]["schedulingGroup"] == {"podGroupName": name}
    assert kube.schema_errors(group, "V1beta1PodGroup") == []
    assert kube.schema_errors(sts, "V1StatefulSet") == []


def test_a_group_has_its_pods_priority_class() -> None:
    spec = {"podTemplate": {"spec": {"priorityClassName": "inference-critical"}}}
    _, group, sts = units.unit_objects(
        fleet.deployment(spec=spec), fleet.pool(), "prefill", 0, gang=True
    )
    assert sts["spec"]["template"]["spec"]["priorityClassName"] == "inference-critical"
    assert group["spec"]["priorityClassName"] == "inference-critical"
    assert kube.schema_errors(group, "V1beta1PodGroup") == []


def test_each_unit_names_its_own_group() -> None:
    infd = fleet.deployment()
    objs = fleet_mod.objects(infd, fleet.pool(), {"prefill": 3, "decode": 1}, gang=True)
    groups = [o["metadata"]["name"] for o in objs if o["kind"] == "PodGroup"]
    named = [
        o["spec"]["template"]["spec"]["schedulingGroup"]["podGroupName"]
        for o in objs
        if o["kind"] == "StatefulSet"
    ]
    assert (
        groups
        == named
        == [
            "deepseek-v3-prefill-0",
            "deepseek-v3-prefill-1",
            "deepseek-v3-prefill-2",
            "deepseek-v3-decode-0",
        ]
    )
    minimums = [
        o["spec"]["schedulingPolicy"]["gang"]["minCount"] for o in objs if o["kind"] == "PodGroup"
    ]
    assert minimums == [4, 4, 4, 18]


def test_without_pod_groups_units_render_as_before() -> None:
    infd = fleet.deployment()
    plain = units.unit_objects(infd, fleet.pool(), "prefill", 0)
    assert [o["kind"] for o in plain] == ["Service", "StatefulSet"]
    assert "schedulingGroup" not in plain[1]["spec"]["template"]["spec"]
    ganged = units.unit_objects(infd, fleet.pool(), "prefill", 0, gang=True)
    # The template changes (and with it the hash), so units roll onto their groups.
    key = labels.TEMPLATE_HASH
    assert ganged[2]["metadata"]["annotations"][key] != plain[1]["metadata"]["annotations"][key]


def test_a_pod_template_cannot_move_pods_to_another_group() -> None:
    other: dict[str, Any] = {"spec": {"schedulingGroup": {"podGroupName": "elsewhere"}}}
    infd = fleet.deployment(spec={"podTemplate": other})
    sts = units.unit_objects(infd, fleet.pool(), "prefill", 1, gang=True)[2]
    assert sts["spec"]["template"]["spec"]["schedulingGroup"] == {
        "podGroupName": "deepseek-v3-prefill-1"
    }
    conflicts = fleet_mod.template_conflicts(infd, fleet.pool(), gang=True)
    assert [c.path for c in conflicts] == ["spec.schedulingGroup"]


def test_the_gang_condition_says_how_units_are_placed() -> None:
    served = role_status.gang_condition(infd_api.Backend.STATEFULSET, served=True, gen=4)
    assert (served["status"], served["reason"], served["observedGeneration"]) == (
        "True",
        "PodGroups",
        4,
    )
    missing = role_status.gang_condition(infd_api.Backend.STATEFULSET, served=False, gen=4)
    assert (missing["status"], missing["reason"]) == ("False", "PodGroupsNotServed")
    assert "one at a time" in missing["message"]
    lws = role_status.gang_condition(infd_api.Backend.LEADERWORKERSET, served=True, gen=4)
    assert (lws["status"], lws["reason"]) == ("False", "LeaderWorkerSet")
