"""Pod templates merged over the engine pods: what they add, what they change, what they cannot.

Covers: the InfiniBand sample's pods (RDMA resources beside the GPUs, IPC_LOCK, host network,
NCCL environment, weights cache, priority class) under both backends; keyed lists merged by key
(env by name, volumes replaced by name, ports by containerPort), tolerations and affinity terms
added; the role's template merged after the deployment's; every field tokenfleet owns kept and
named as a conflict; a changed template rolls the units (template hash); templates without a
container name refused at validation.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pydantic
import pytest
import yaml

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import fleet as fleet_mod
from tokenfleet.workloads import labels, lws, overlay, units

from . import fleet, kube

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "manifests" / "samples" / "deepseek-v3-infiniband.yaml"


def sample() -> tuple[infd_api.InferenceDeployment, pool_api.GPUNodePoolSpec]:
    docs = {d["kind"]: d for d in yaml.safe_load_all(SAMPLE.read_text()) if d}
    infd_doc = docs["InferenceDeployment"]
    infd_doc["metadata"]["namespace"] = fleet.NAMESPACE
    return (
        infd_api.InferenceDeployment.model_validate(infd_doc),
        pool_api.GPUNodePool.model_validate(docs["GPUNodePool"]).spec,
    )


def pod(infd: infd_api.InferenceDeployment, pool: Any, role: str = "prefill") -> dict[str, Any]:
    template: dict[str, Any] = units.unit_objects(infd, pool, role, 0)[1]["spec"]["template"]
    return template


def engine(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in template["spec"]["containers"] if c["name"] == overlay.CONTAINER
    )
    return found


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def with_template(spec_template: Any = None, **roles: Any) -> infd_api.InferenceDeployment:
    spec: dict[str, Any] = {"roles": {role: {"podTemplate": t} for role, t in roles.items()}}
    if spec_template is not None:
        spec["podTemplate"] = spec_template
    return fleet.deployment(spec=spec)


def test_the_infiniband_sample_shapes_pods_for_rdma_and_keeps_the_ranks() -> None:
    infd, pool = sample()
    plain = pod(fleet.deployment(), fleet.pool())
    template = pod(infd, pool, "prefill")
    spec, container = template["spec"], engine(template)
    assert spec["hostNetwork"] is True and spec["hostIPC"] is True
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert spec["priorityClassName"] == "inference-critical"
    assert spec["imagePullSecrets"] == [{"name": "registry-credentials"}]
    assert container["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
    assert container["resources"]["limits"] == {
        "nvidia.com/gpu": "8",
        "cpu": "96",
        "memory": "1500Gi",
        "rdma/ib": "8",
    }
    variables = env(container)
    assert variables["NCCL_IB_GID_INDEX"] == "3"
    assert variables["SGLANG_MOONCAKE_TRANS_THREAD"] == "8"  # the role's, after the deployment's
    assert variables["TOKENFLEET_RANK"] == {
        "fieldRef": {"fieldPath": f"metadata.labels['{labels.STATEFULSET_POD_INDEX}']"}
    }
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts == {
        "/dev/shm": "dshm",
        "/models": "weights-cache",
        "/dev/infiniband": "infiniband",
    }
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["weights-cache"]["hostPath"] == {"path": "/data/models", "type": "Directory"}
    # What tokenfleet renders is still there, unchanged.
    assert container["args"] == engine(pod(infd, pool))["args"]
    assert "--node-rank" in container["command"][2]
    assert template["metadata"]["labels"]["team"] == "inference"
    assert {k: v for k, v in template["metadata"]["labels"].items() if k != "team"} == {
        **plain["metadata"]["labels"],
        labels.DEPLOYMENT: "deepseek-v3-ib",
    }
    assert fleet_mod.template_conflicts(infd, pool) == []
    decode = engine(pod(infd, pool, "decode"))
    assert env(decode)["SGLANG_MOONCAKE_TRANS_THREAD"] == "16"


def test_the_infiniband_sample_is_a_valid_pod_under_both_backends() -> None:
    infd, pool = sample()
    for obj in units.unit_objects(infd, pool, "decode", 2):
        assert (
            kube.schema_errors(
                obj, {"StatefulSet": "V1StatefulSet", "Service": "V1Service"}[obj["kind"]]
            )
            == []
        )
    lws_infd = infd.model_copy(
        update={"spec": infd.spec.model_copy(update={"backend": infd_api.Backend.LEADERWORKERSET})}
    )
    worker = lws.leaderworkerset(lws_infd, pool, "prefill", 3)["spec"]["leaderWorkerTemplate"][
        "workerTemplate"
    ]
    assert kube.schema_errors(worker, "V1PodTemplateSpec") == []
    assert worker["spec"]["hostNetwork"] is True
    assert engine(worker)["resources"]["requests"]["rdma/ib"] == "8"


def test_fields_tokenfleet_owns_are_kept_and_each_is_named() -> None:
    infd = with_template(
        {
            "metadata": {"labels": {labels.ROLE: "decode", "extra": "yes"}},
            "spec": {
                "nodeSelector": {"tokenfleet.io/pool": "elsewhere", "disk": "nvme"},
                "containers": [
                    {
                        "name": "engine",
                        "image": "other:1",
                        "args": ["--tp-size", "1"],
                        "env": [{"name": "TOKENFLEET_RANK", "value": "0"}],
                        "ports": [{"name": "web", "containerPort": 30000}],
                        "resources": {"limits": {"nvidia.com/gpu": "4"}},
                    }
                ],
            },
        }
    )
    template = pod(infd, fleet.pool())
    plain = pod(fleet.deployment(), fleet.pool())
    container, before = engine(template), engine(plain)
    for field in ("image", "args", "command", "ports"):
        assert container[field] == before[field]
    assert env(container)["TOKENFLEET_RANK"] == env(before)["TOKENFLEET_RANK"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert template["metadata"]["labels"][labels.ROLE] == "prefill"
    assert template["metadata"]["labels"]["extra"] == "yes"
    assert template["spec"]["nodeSelector"]["tokenfleet.io/pool"] == fleet.POOL
    assert template["spec"]["nodeSelector"]["disk"] == "nvme"
    paths = [c.path for c in fleet_mod.template_conflicts(infd, fleet.pool())]
    assert paths == [
        f"metadata.labels.{labels.ROLE}",
        "spec.nodeSelector.tokenfleet.io/pool",
        "spec.containers[engine].image",
        "spec.containers[engine].args",
        "spec.containers[engine].env[TOKENFLEET_RANK]",
        "spec.containers[engine].ports[30000]",
        "spec.containers[engine].resources.limits.nvidia.com/gpu",
    ]
    # Reported once for the deployment's template, not once per role.
    assert {c.source for c in fleet_mod.template_conflicts(infd, fleet.pool())} == {
        "spec.podTemplate"
    }


def test_a_role_conflict_names_the_role_template() -> None:
    infd = with_template(decode={"spec": {"containers": [{"name": "engine", "command": ["sh"]}]}})
    conflicts = fleet_mod.template_conflicts(infd, fleet.pool())
    assert [str(c) for c in conflicts] == [
        "spec.roles.decode.podTemplate: spec.containers[engine].command (tokenfleet's value kept)"
    ]
    # An owned field set to tokenfleet's own value is no conflict.
    same = engine(pod(fleet.deployment(), fleet.pool()))["image"]
    infd = with_template({"spec": {"containers": [{"name": "engine", "image": same}]}})
    assert fleet_mod.template_conflicts(infd, fleet.pool()) == []


def test_keyed_lists_merge_by_key_and_terms_add() -> None:
    infd = with_template(
        {
            "spec": {
                "containers": [
                    {
                        "name": "engine",
                        "env": [{"name": "NCCL_DEBUG", "value": "INFO"}],
                        "ports": [{"name": "metrics", "containerPort": 9400, "protocol": "TCP"}],
                        "volumeMounts": [
                            {"name": "dshm", "mountPath": "/dev/shm", "readOnly": False}
                        ],
                        "readinessProbe": {"periodSeconds": 30},
                    },
                    {"name": "exporter", "image": "exporter:1"},
                ],
                "volumes": [
                    {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "128Gi"}}
                ],
                "tolerations": [{"key": "ib", "operator": "Exists"}],
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": "rack", "operator": "In", "values": ["a"]}
                                    ]
                                }
                            ]
                        }
                    },
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 10,
                                "podAffinityTerm": {
                                    "labelSelector": {"matchLabels": {"app": "training"}},
                                    "topologyKey": "kubernetes.io/hostname",
                                },
                            }
                        ]
                    },
                },
            }
        }
    )
    pool = fleet.pool(nodeTaints=[{"key": "gpu", "value": "h800", "effect": "NoSchedule"}])
    plain, template = pod(fleet.deployment(), pool), pod(infd, pool)
    container = engine(template)
    assert [c["name"] for c in template["spec"]["containers"]] == ["engine", "exporter"]
    assert env(container) == {**env(engine(plain)), "NCCL_DEBUG": "INFO"}
    assert [p["containerPort"] for p in container["ports"]] == [
        *(p["containerPort"] for p in engine(plain)["ports"]),
        9400,
    ]
    assert container["volumeMounts"][0] == {
        "name": "dshm",
        "mountPath": "/dev/shm",
        "readOnly": False,
    }
    probe = container["readinessProbe"]
    assert probe["periodSeconds"] == 30 and probe["exec"] == engine(plain)["readinessProbe"]["exec"]
    assert template["spec"]["volumes"][0] == {
        "name": "dshm",
        "emptyDir": {"medium": "Memory", "sizeLimit": "128Gi"},
    }
    assert template["spec"]["tolerations"] == [
        *plain["spec"]["tolerations"],
        {"key": "ib", "operator": "Exists"},
    ]
    affinity = template["spec"]["affinity"]
    assert (
        affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        == (
            plain["spec"]["affinity"]["podAntiAffinity"][
                "requiredDuringSchedulingIgnoredDuringExecution"
            ]
        )
    )
    assert len(affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]) == 1
    assert (
        affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"
        ][0]["matchExpressions"][0]["key"]
        == "rack"
    )
    assert fleet_mod.template_conflicts(infd, pool) == []


def test_a_changed_template_changes_the_template_hash() -> None:
    before = units.unit_objects(fleet.deployment(), fleet.pool(), "decode", 0)[1]
    after = units.unit_objects(
        with_template(decode={"spec": {"priorityClassName": "inference-critical"}}),
        fleet.pool(),
        "decode",
        0,
    )[1]
    prefill = units.unit_objects(
        with_template(decode={"spec": {"priorityClassName": "inference-critical"}}),
        fleet.pool(),
        "prefill",
        0,
    )[1]
    key = labels.TEMPLATE_HASH
    assert after["metadata"]["annotations"][key] != before["metadata"]["annotations"][key]
    plain_prefill = units.unit_objects(fleet.deployment(), fleet.pool(), "prefill", 0)[1]
    assert prefill["metadata"]["annotations"][key] == plain_prefill["metadata"]["annotations"][key]


@pytest.mark.parametrize(
    "spec",
    [
        {"containers": [{"image": "x"}]},
        {"volumes": [{"hostPath": {"path": "/x"}}]},
        {"initContainers": "not a list"},
    ],
)
def test_a_template_whose_named_items_have_no_name_is_refused(spec: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError, match="each with a name"):
        with_template({"spec": spec})


def test_a_template_heavier_than_the_bound_is_refused() -> None:
    big = {"containers": [{"name": "engine", "env": [{"name": "X", "value": "y" * 70_000}]}]}
    with pytest.raises(pydantic.ValidationError, match="bytes of JSON; at most 65536"):
        with_template({"spec": big})
