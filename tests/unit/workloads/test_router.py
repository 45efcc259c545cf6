"""The router Deployment and Service in front of the live units.

Covers: the whole Service and Deployment for an SGLang PD fleet; the router command line per
engine and mode (SGLang PD with bootstrap ports, vllm-router PD over NIXL, unified worker
lists); 0 replicas while a role has no live unit; the same set of leaders in any order renders
the same objects, a changed set changes the template hash; the vLLM router image requirement;
a disabled router renders nothing; leaders for a role the deployment lacks are refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from tokenfleet.workloads import errors, labels, naming, router

from . import fleet, kube

P0 = naming.leader_host("deepseek-v3", "prefill", 0, "inference")
P1 = naming.leader_host("deepseek-v3", "prefill", 1, "inference")
D0 = naming.leader_host("deepseek-v3", "decode", 0, "inference")

SGLANG_PD_COMMAND = [
    "python3", "-m", "sglang_router.launch_router",
    "--pd-disaggregation",
    "--prefill", f"http://{P0}:30000", "8998",
    "--prefill", f"http://{P1}:30000", "8998",
    "--decode", f"http://{D0}:30000",
    "--prefill-policy", "power_of_two",
    "--decode-policy", "power_of_two",
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
    service, deployment = router.router_objects(infd, {"prefill": [P1, P0], "decode": [D0]}, owner)
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
                        "automountServiceAccountToken": False,
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
    objects = router.router_objects(infd, {"prefill": [P0], "decode": [D0]})
    assert command_of(objects) == [
        "vllm-router",
        "--vllm-pd-disaggregation",
        "--kv-connector", "nixl",
        "--prefill", f"http://{P0}:8000",
        "--decode", f"http://{D0}:8000",
        "--prefill-policy", "cache_aware",
        "--decode-policy", "cache_aware",
        "--host", "0.0.0.0",
        "--port", "8000",
        "--prometheus-host", "0.0.0.0",
        "--prometheus-port", "29000",
    ]  # fmt: skip
    container = deployment_of(objects)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "example.com/vllm-router:0.1"


def test_vllm_without_a_router_image_is_refused_with_a_fix() -> None:
    with pytest.raises(errors.RenderError, match=r"router.image is required.*vllm-router"):
        router.router_objects(fleet.deployment("vllm"), {"prefill": [P0], "decode": [D0]})


@pytest.mark.parametrize(("kind", "program"), [("sglang", "python3"), ("vllm", "vllm-router")])
def test_unified_units_are_balanced_as_plain_workers(kind: str, program: str) -> None:
    infd = fleet.unified(kind, router={"image": "router:1", "policy": "round_robin"})
    command = command_of(router.router_objects(infd, {"unified": ["b.x", "a.x"]}))
    port = 30000 if kind == "sglang" else 8000
    assert command[0] == program
    start = command.index("--worker-urls")
    assert command[start + 1 : start + 3] == [f"http://a.x:{port}", f"http://b.x:{port}"]
    assert command[command.index("--policy") + 1] == "round_robin"
    assert "--prefill" not in command
    assert not [arg for arg in command if "disaggregation" in arg]


@pytest.mark.parametrize(
    "leaders",
    [{}, {"prefill": [P0]}, {"decode": [D0]}, {"prefill": [P0], "decode": []}],
)
def test_the_router_has_no_replicas_while_a_role_has_no_live_unit(
    leaders: dict[str, list[str]],
) -> None:
    objects = router.router_objects(fleet.deployment("sglang"), leaders)
    assert deployment_of(objects)["spec"]["replicas"] == 0


def test_the_same_leaders_in_any_order_render_the_same_objects() -> None:
    infd = fleet.deployment("sglang")
    one = router.router_objects(infd, {"prefill": [P0, P1], "decode": [D0]})
    other = router.router_objects(infd, {"decode": [D0, D0], "prefill": [P1, P0]})
    kube.assert_same_object(other, one)


def test_a_changed_set_of_leaders_changes_the_template_hash() -> None:
    infd = fleet.deployment("sglang")
    before = deployment_of(router.router_objects(infd, {"prefill": [P0], "decode": [D0]}))
    after = deployment_of(router.router_objects(infd, {"prefill": [P0, P1], "decode": [D0]}))
    key = labels.TEMPLATE_HASH
    assert before["metadata"]["annotations"][key] != after["metadata"]["annotations"][key]


def test_a_disabled_router_renders_nothing() -> None:
    infd = fleet.deployment("vllm", spec={"router": {"enabled": False}})
    assert router.router_objects(infd, {"prefill": [P0], "decode": [D0]}) == []


def test_leaders_for_a_role_the_deployment_lacks_are_refused() -> None:
    with pytest.raises(errors.RenderError, match="leaders given for unified"):
        router.router_objects(fleet.deployment("sglang"), {"unified": ["a"]})


def test_ipv6_leader_addresses_are_bracketed() -> None:
    assert router.worker_url("fd00::12", 30000) == "http://[fd00::12]:30000"
    assert router.worker_url("[fd00::12]", 30000) == "http://[fd00::12]:30000"
    assert router.worker_url("10.0.0.1", 8000) == "http://10.0.0.1:8000"
