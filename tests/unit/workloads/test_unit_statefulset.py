"""One unit under the StatefulSet backend: the complete objects, and how spec fields change them.

Covers: the whole headless Service and StatefulSet of a small unit (2 nodes, unified SGLang,
pool labels and taints, rack topology, weights PVC, /dev/shm size, CPU and memory, user env,
owner reference) compared field by field with a readable diff; the template hash written on the
StatefulSet and its pods; what changes for PD roles, for vLLM, without weights or topology; and
that units of a role differ only where they must.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tokenfleet.workloads import labels, units

from . import fleet, kube

OWNER = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "InferenceDeployment",
    "name": "deepseek-v3",
    "uid": "0b9e7c4e-5b7e-4f57-9d1c-1d2b3c4d5e6f",
    "controller": True,
    "blockOwnerDeletion": True,
}

WRAPPER = """set -eu
case "${TOKENFLEET_RANK:-}" in
  ''|*[!0-9]*)
    echo "tokenfleet: TOKENFLEET_RANK='${TOKENFLEET_RANK:-}' is not a pod ordinal" >&2
    exit 64 ;;
esac
exec "$@" --node-rank "$TOKENFLEET_RANK"
"""

READY = (
    'if [ "$TOKENFLEET_RANK" = 0 ]; then\n'
    '  exec python3 -c "import urllib.request as u; '
    "u.urlopen('http://127.0.0.1:30000/health', timeout=4)\"\n"
    "fi\n"
    "exec python3 -c 'import socket; "
    'socket.create_connection(("127.0.0.1", 30000), timeout=4).close()\'\n'
)

ARGS = [
    "python3", "-m", "sglang.launch_server",
    "--model-path", "/models/DeepSeek-V3",
    "--served-model-name", "deepseek-chat",
    "--host", "0.0.0.0",
    "--port", "30000",
    "--nnodes", "2",
    "--dist-init-addr", "deepseek-v3-unified-1-0.deepseek-v3-unified-1.inference.svc:20102",
    "--tp-size", "16",
    "--attn-dp-size", "16",
    "--ep-size", "16",
    "--moe-a2a-backend", "deepep",
    "--deepep-mode", "auto",
    "--ep-num-redundant-experts", "32",
    "--enable-two-batch-overlap",
    "--moe-dense-tp-size", "1",
    "--enable-dp-lm-head",
    "--enable-metrics",
    "--enable-metrics-for-all-schedulers",
]  # fmt: skip

UNIT_LABELS = {
    "app.kubernetes.io/name": "tokenfleet-engine",
    "app.kubernetes.io/managed-by": "tokenfleet",
    "tokenfleet.io/deployment": "deepseek-v3",
    "tokenfleet.io/role": "unified",
    "tokenfleet.io/unit": "1",
}
ROLE_LABELS = {k: v for k, v in UNIT_LABELS.items() if k != "tokenfleet.io/unit"}


def small_unit() -> list[dict[str, Any]]:
    infd = fleet.unified(
        "sglang",
        nodes=2,
        model={"name": "/models/DeepSeek-V3", "weightsVolume": "deepseek-weights"},
        engine={
            "env": [{"name": "NCCL_DEBUG", "value": "WARN"}],
            "resources": {"cpu": "96", "memory": "1500Gi", "sharedMemory": "128Gi"},
        },
        roles={"unified": {"topologyKey": "topology.kubernetes.io/rack", "warmupSeconds": 1200}},
    )
    pool = fleet.pool(
        nodeLabels={"node.kubernetes.io/instance-type": "h800x8"},
        nodeTaints=[
            {"key": "nvidia.com/gpu", "effect": "NoSchedule"},
            {"key": "tokenfleet.io/dedicated", "value": "inference", "effect": "NoExecute"},
        ],
    )
    return units.unit_objects(infd, pool, "unified", 1, OWNER)


def probe(failure_threshold: int) -> dict[str, Any]:
    return {
        "exec": {"command": ["/bin/sh", "-c", READY]},
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": failure_threshold,
    }


EXPECTED_TEMPLATE: dict[str, Any] = {
    "metadata": {
        "labels": UNIT_LABELS,
        "annotations": {"tokenfleet.io/engine-target": "sglang-0.5.23"},
    },
    "spec": {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "nodeSelector": {
            "node.kubernetes.io/instance-type": "h800x8",
            "tokenfleet.io/pool": "h800",
        },
        "tolerations": [
            {"key": "nvidia.com/gpu", "operator": "Equal", "effect": "NoSchedule"},
            {
                "key": "tokenfleet.io/dedicated",
                "operator": "Equal",
                "value": "inference",
                "effect": "NoExecute",
            },
        ],
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": ROLE_LABELS},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            },
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": UNIT_LABELS},
                        "topologyKey": "topology.kubernetes.io/rack",
                    }
                ]
            },
        },
        "containers": [
            {
                "name": "engine",
                "image": "lmsysorg/sglang:v0.5.23",
                "command": ["/bin/sh", "-c", WRAPPER, "tokenfleet-engine"],
                "args": ARGS,
                "env": [
                    {
                        "name": "TOKENFLEET_RANK",
                        "valueFrom": {
                            "fieldRef": {
                                "fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"
                            }
                        },
                    },
                    {
                        "name": "TOKENFLEET_POD_IP",
                        "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                    },
                    {"name": "NCCL_DEBUG", "value": "WARN"},
                ],
                "ports": [
                    {"name": "http", "containerPort": 30000, "protocol": "TCP"},
                    {"name": "dist-init", "containerPort": 20102, "protocol": "TCP"},
                ],
                "resources": {
                    "limits": {"nvidia.com/gpu": "8", "cpu": "96", "memory": "1500Gi"},
                    "requests": {"nvidia.com/gpu": "8", "cpu": "96", "memory": "1500Gi"},
                },
                "volumeMounts": [
                    {"name": "dshm", "mountPath": "/dev/shm"},
                    {"name": "weights", "mountPath": "/models", "readOnly": True},
                ],
                # 2 x 1200 s of warm-up = 2400 s = 240 probes of 10 s.
                "startupProbe": probe(240),
                "readinessProbe": probe(3),
            }
        ],
        "volumes": [
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "128Gi"}},
            {
                "name": "weights",
                "persistentVolumeClaim": {"claimName": "deepseek-weights", "readOnly": True},
            },
        ],
    },
}


def expected_hash(template: dict[str, Any]) -> str:
    """The template hash as documented: sha256 of the canonical JSON, without the hash itself."""
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def test_a_small_unit_renders_exactly_the_expected_service_and_statefulset() -> None:
    digest = expected_hash(EXPECTED_TEMPLATE)
    template = json.loads(json.dumps(EXPECTED_TEMPLATE))
    template["metadata"]["annotations"]["tokenfleet.io/template-hash"] = digest
    service, statefulset = small_unit()
    kube.assert_same_object(
        service,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "deepseek-v3-unified-1",
                "namespace": "inference",
                "labels": UNIT_LABELS,
                "ownerReferences": [OWNER],
            },
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": UNIT_LABELS,
                "ports": [
                    {"name": "http", "port": 30000, "targetPort": 30000, "protocol": "TCP"},
                    {"name": "dist-init", "port": 20102, "targetPort": 20102, "protocol": "TCP"},
                ],
            },
        },
    )
    kube.assert_same_object(
        statefulset,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {
                "name": "deepseek-v3-unified-1",
                "namespace": "inference",
                "labels": UNIT_LABELS,
                "annotations": {"tokenfleet.io/template-hash": digest},
                "ownerReferences": [OWNER],
            },
            "spec": {
                "serviceName": "deepseek-v3-unified-1",
                "replicas": 2,
                "podManagementPolicy": "Parallel",
                "updateStrategy": {"type": "OnDelete"},
                "selector": {"matchLabels": UNIT_LABELS},
                "template": template,
            },
        },
    )


def test_the_diff_helper_names_the_field_that_differs() -> None:
    _, statefulset = small_unit()
    changed = json.loads(json.dumps(statefulset))
    changed["spec"]["replicas"] = 3
    with pytest.raises(AssertionError, match=r"-  replicas: 3\n\+  replicas: 2"):
        kube.assert_same_object(statefulset, changed)


def test_without_owner_weights_or_topology_those_parts_are_absent() -> None:
    service, sts = units.unit_objects(fleet.unified("sglang"), fleet.pool(), "unified", 0)
    pod = sts["spec"]["template"]["spec"]
    assert "ownerReferences" not in sts["metadata"]
    assert "ownerReferences" not in service["metadata"]
    assert "podAffinity" not in pod["affinity"]
    assert "tolerations" not in pod
    assert [v["name"] for v in pod["volumes"]] == ["dshm"]
    assert pod["volumes"][0]["emptyDir"]["sizeLimit"] == "64Gi"
    assert pod["nodeSelector"] == {"tokenfleet.io/pool": "h800"}
    # No warm-up estimate: the startup probe still allows 30 minutes.
    assert pod["containers"][0]["startupProbe"]["failureThreshold"] == 180


def test_sglang_prefill_units_expose_the_bootstrap_port_decode_units_do_not() -> None:
    infd, pool = fleet.deployment("sglang"), fleet.pool()
    prefill_service, _ = units.unit_objects(infd, pool, "prefill", 0)
    decode_service, _ = units.unit_objects(infd, pool, "decode", 0)
    assert {"name": "pd-bootstrap", "port": 8998, "targetPort": 8998, "protocol": "TCP"} in (
        prefill_service["spec"]["ports"]
    )
    assert "pd-bootstrap" not in [p["name"] for p in decode_service["spec"]["ports"]]


def test_vllm_pd_pods_announce_their_own_ip_for_the_nixl_handshake() -> None:
    _, sts = units.unit_objects(fleet.deployment("vllm"), fleet.pool(), "decode", 0)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    env = kube.container_env(
        container,
        {"metadata.labels['apps.kubernetes.io/pod-index']": "5", "status.podIP": "10.4.0.17"},
    )
    assert env["VLLM_NIXL_SIDE_CHANNEL_HOST"] == "10.4.0.17"
    assert env["VLLM_NIXL_SIDE_CHANNEL_PORT"] == "5600"
    assert env["GLOO_SOCKET_IFNAME"] == "eth0"
    assert {"name": "nixl", "containerPort": 5600, "protocol": "TCP"} in container["ports"]
    assert {"name": "dp-rpc", "containerPort": 13345, "protocol": "TCP"} in container["ports"]


def test_vllm_unified_pods_get_no_nixl_settings() -> None:
    _, sts = units.unit_objects(fleet.unified("vllm"), fleet.pool(), "unified", 0)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    names = [e["name"] for e in container["env"]]
    assert not [n for n in names if n.startswith("VLLM_NIXL")]
    assert "nixl" not in [p["name"] for p in container["ports"]]


def test_units_of_a_role_differ_only_in_name_unit_label_and_leader() -> None:
    infd, pool = fleet.deployment("sglang"), fleet.pool()
    _, first = units.unit_objects(infd, pool, "decode", 0)
    _, second = units.unit_objects(infd, pool, "decode", 7)
    text = json.dumps(first)
    for old, new in (
        ("deepseek-v3-decode-0", "deepseek-v3-decode-7"),
        ('"tokenfleet.io/unit": "0"', '"tokenfleet.io/unit": "7"'),
    ):
        text = text.replace(old, new)
    renamed = json.loads(text)
    for obj in (renamed, second):
        for meta in (obj["metadata"], obj["spec"]["template"]["metadata"]):
            meta["annotations"].pop(labels.TEMPLATE_HASH)
    kube.assert_same_object(second, renamed)


def test_a_unit_has_one_pod_per_node_and_requests_the_role_gpus() -> None:
    _, sts = units.unit_objects(fleet.deployment("vllm"), fleet.pool(), "decode", 3)
    pod = sts["spec"]["template"]["spec"]
    assert sts["spec"]["replicas"] == 18
    term = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == labels.role_labels("deepseek-v3", "decode")
    assert pod["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": "8"}


def test_negative_unit_indexes_are_refused() -> None:
    with pytest.raises(ValueError, match="unit index"):
        units.unit_objects(fleet.deployment("sglang"), fleet.pool(), "prefill", -1)
