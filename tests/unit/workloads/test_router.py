"""The router in front of the units: its Deployment, Service and discovery rights.

Covers: the whole Service and Deployment for an SGLang PD fleet; the router command line per
engine and mode (SGLang PD, vllm-router PD over NIXL, unified), each discovering exactly the
routable leaders of its own deployment's roles in its own namespace; the account and the Role
that let it watch pods and nothing else; the rendering does not depend on which units are live
(scaling never restarts the router); the vLLM router image requirement; a disabled router
renders nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tokenfleet.workloads import errors, labels, router

from . import fleet, kube

SELECTOR = [
    "app.kubernetes.io/managed-by=tokenfleet",
    "app.kubernetes.io/name=tokenfleet-engine",
    "tokenfleet.io/deployment=deepseek-v3",
]

PREFILL = [*SELECTOR, "tokenfleet.io/role=prefill", "tokenfleet.io/routable=true"]
DECODE = [*SELECTOR, "tokenfleet.io/role=decode", "tokenfleet.io/routable=true"]

SGLANG_PD_COMMAND = [
    "python3", "-m", "sglang_router.launch_router",
    "--pd-disaggregation",
    "--prefill-policy", "power_of_two",
    "--decode-policy", "power_of_two",
    "--service-discovery",
    "--service-discovery-namespace", "inference",
    "--service-discovery-port", "30000",
    "--prefill-selector", *PREFILL,
    "--decode-selector", *DECODE,
    "--host", "0.0.0.0",
    "--port", "8000",
    "--prometheus-host", "0.0.0.0",
    "--prometheus-port", "29000",
]  # fmt: skip

ROUTER_LABELS = {
    "app.kubernetes.io/name": "tokenfleet-router",
    "app.kubernetes.io/managed-by": "tokenfleet",
    "tokenfleet.io/deployment": "deepseek-v3",
}


def deployment_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == "Deployment"]
    return found


def command_of(objects: list[dict[str, Any]]) -> list[str]:
    command: list[str] = deployment_of(objects)["spec"]["template"]["spec"]["containers"][0][
        "command"
    ]
    return command


def test_an_sglang_pd_router_renders_exactly_the_expected_objects() -> None:
    owner = {"apiVersion": "tokenfleet.io/v1alpha1", "kind": "InferenceDeployment", "uid": "u"}
    infd = fleet.deployment("sglang", spec={"router": {"replicas": 2, "policy": "power_of_two"}})
    account, role, binding, service, deployment = router.router_objects(infd, owner)
    meta = {
        "name": "deepseek-v3-router",
        "namespace": "inference",
        "labels": ROUTER_LABELS,
        "ownerReferences": [owner],
    }
    kube.assert_same_object(
        account, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    )
    kube.assert_same_object(
        role,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
            ],
        },
    )
    kube.assert_same_object(
        binding,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "deepseek-v3-router",
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": "deepseek-v3-router", "namespace": "inference"}
            ],
        },
    )
    template = deployment["spec"]["template"]
    digest = labels.template_hash(template)
    kube.assert_same_object(
        service,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "deepseek-v3-router",
                "namespace": "inference",
                "labels": ROUTER_LABELS,
                "ownerReferences": [owner],
            },
            "spec": {
                "type": "ClusterIP",
                "selector": ROUTER_LABELS,
                "ports": [
                    {"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"},
                    {"name": "metrics", "port": 29000, "targetPort": "metrics", "protocol": "TCP"},
                ],
            },
        },
    )
    kube.assert_same_object(
        deployment,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "deepseek-v3-router",
                "namespace": "inference",
                "labels": ROUTER_LABELS,
                "annotations": {"tokenfleet.io/template-hash": digest},
                "ownerReferences": [owner],
            },
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": ROUTER_LABELS},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
                },
                "template": {
                    "metadata": {
                        "labels": ROUTER_LABELS,
                        "annotations": {"tokenfleet.io/template-hash": digest},
                    },
                    "spec": {
                        "serviceAccountName": "deepseek-v3-router",
                        "automountServiceAccountToken": True,
                        "enableServiceLinks": False,
                        "containers": [
                            {
                                "name": "router",
                                "image": "lmsysorg/sglang:v0.5.23",
                                "command": SGLANG_PD_COMMAND,
                                "ports": [
                                    {"name": "http", "containerPort": 8000, "protocol": "TCP"},
                                    {"name": "metrics", "containerPort": 29000, "protocol": "TCP"},
                                ],
                                "readinessProbe": {
                                    "httpGet": {"path": "/health", "port": "http"},
                                    "periodSeconds": 10,
                                    "failureThreshold": 3,
                                },
                                "livenessProbe": {
                                    "tcpSocket": {"port": "http"},
                                    "periodSeconds": 10,
                                    "failureThreshold": 6,
                                },
                                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                            }
                        ],
                    },
                },
            },
        },
    )


def test_vllm_pd_is_routed_by_vllm_router_over_nixl() -> None:
    infd = fleet.deployment("vllm", spec={"router": {"image": "example.com/vllm-router:0.1"}})
    objects = router.router_objects(infd)
    assert command_of(objects) == [
        "vllm-router",
        "--vllm-pd-disaggregation",
        "--kv-connector", "nixl",
        "--prefill-policy", "cache_aware",
        "--decode-policy", "cache_aware",
        "--service-discovery",
        "--service-discovery-namespace", "inference",
        "--service-discovery-port", "8000",
        "--prefill-selector", *PREFILL,
        "--decode-selector", *DECODE,
        "--host", "0.0.0.0",
        "--port", "8000",
        "--prometheus-host", "0.0.0.0",
        "--prometheus-port", "29000",
    ]  # fmt: skip
    container = deployment_of(objects)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "example.com/vllm-router:0.1"


def test_vllm_without_a_router_image_is_refused_with_a_fix() -> None:
    with pytest.raises(errors.RenderError, match=r"router.image is required.*vllm-router"):
        router.router_objects(fleet.deployment("vllm"))


@pytest.mark.parametrize(("kind", "program"), [("sglang", "python3"), ("vllm", "vllm-router")])
def test_unified_units_are_discovered_as_plain_workers(kind: str, program: str) -> None:
    infd = fleet.unified(kind, router={"image": "router:1", "policy": "round_robin"})
    command = command_of(router.router_objects(infd))
    assert command[0] == program
    start = command.index("--selector")
    assert command[start + 1 : start + 6] == [
        *SELECTOR,
        "tokenfleet.io/role=unified",
        "tokenfleet.io/routable=true",
    ]
    assert command[command.index("--policy") + 1] == "round_robin"
    assert "--prefill-selector" not in command
    assert not [arg for arg in command if "disaggregation" in arg]


def test_the_router_runs_its_replicas_whatever_units_are_live() -> None:
    objects = router.router_objects(fleet.deployment("sglang", spec={"router": {"replicas": 3}}))
    assert deployment_of(objects)["spec"]["replicas"] == 3


def test_the_router_selects_exactly_what_the_leaders_are_labelled_with() -> None:
    selectors = router.discovery_selectors("deepseek-v3", ["prefill", "decode"])
    for role, selector in selectors.items():
        leader_labels = {**labels.unit_labels("deepseek-v3", role, 4), labels.ROUTABLE: "true"}
        assert selector.items() <= leader_labels.items()
        assert selector[labels.ROUTABLE] == "true"
    assert selectors["prefill"][labels.ROLE] == "prefill"


def test_a_disabled_router_renders_nothing() -> None:
    infd = fleet.deployment("vllm", spec={"router": {"enabled": False}})
    assert router.router_objects(infd) == []


def test_ipv6_leader_addresses_are_bracketed() -> None:
    assert router.worker_url("fd00::12", 30000) == "http://[fd00::12]:30000"
    assert router.worker_url("[fd00::12]", 30000) == "http://[fd00::12]:30000"
    assert router.worker_url("10.0.0.1", 8000) == "http://10.0.0.1:8000"
