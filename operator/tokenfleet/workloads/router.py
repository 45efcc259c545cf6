"""The router in front of a deployment's units: a Deployment, a Service, and the rights to
discover its workers.

The router pairs prefill and decode (DeepSeek's prefill LB -> prefill -> decode LB -> decode), or
balances over unified units. It finds its workers itself, by Kubernetes service discovery
(`--service-discovery`): it watches the pods of its namespace that match one selector per role
(`discovery_selectors`) and dials each on the engine's HTTP port. The selectors name the
`tokenfleet.io/routable=true` label, which the controller puts on a unit's leader (rank-0) pod
only while the whole unit is Ready and takes off when the unit leaves (`workloads.routing`).
So the router's command line never names a unit: scaling changes labels, not the Deployment,
and never restarts the router. The router reads pods with its own ServiceAccount, bound to a
Role that may get, list and watch pods in its namespace and nothing else.

- SGLang: the SGLang router (`python3 -m sglang_router.launch_router`), which ships in the
  SGLang image, so `router.image` defaults to the engine image. In PD mode it reads each
  prefill pod's KV bootstrap port from the pod's `sglang.ai/bootstrap-port` annotation, which
  the prefill pods carry.
- vLLM ships no PD router of its own (REFERENCE.md §4.2). We use vllm-router (the
  vllm-project router, a fork of the SGLang router with a vLLM PD mode: `vllm-router
  --vllm-pd-disaggregation --kv-connector nixl`): it keeps the same flags, discovery and
  policies as the SGLang router, so both engines are routed the same way, and it speaks the
  NIXL two-step (prefill with max_tokens=1, then decode with the returned kv_transfer_params).
  It is not in the vLLM image and has no image we could default to, so for vLLM `router.image`
  is required.

Both listen on `router.port` and export Prometheus metrics on port 29000.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import context, engines, errors, labels, meta, naming

CONTAINER_NAME: Final = "router"


def worker_url(host: str, port: int) -> str:
    """`http://host:port`, with IPv6 literals bracketed."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def discovery_selectors(deployment: str, roles: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per role, the labels of the pods the router sends that role's traffic to."""
    return {role: labels.routable_selector(deployment, role) for role in roles}


def _selector_args(selector: Mapping[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in sorted(selector.items())]


def router_args(
    spec: infd_api.InferenceDeploymentSpec, deployment: str, namespace: str
) -> list[str]:
    """The router's command line: it discovers the routable leaders of `deployment`'s units."""
    policy = spec.router.policy
    pd = spec.roles.unified is None
    sglang = spec.engine.type is infd_api.EngineType.SGLANG
    selectors = discovery_selectors(deployment, [name for name, _ in spec.roles.items()])
    argv = ["python3", "-m", "sglang_router.launch_router"] if sglang else ["vllm-router"]
    if pd:
        argv.append("--pd-disaggregation" if sglang else "--vllm-pd-disaggregation")
        if not sglang:
            argv += ["--kv-connector", "nixl"]
        argv += ["--prefill-policy", policy, "--decode-policy", policy]
    else:
        argv += ["--policy", policy]
    argv += [
        "--service-discovery",
        "--service-discovery-namespace", namespace,
        "--service-discovery-port", str(engines.http_port(spec.engine)),
    ]  # fmt: skip
    if pd:
        argv += ["--prefill-selector", *_selector_args(selectors["prefill"])]
        argv += ["--decode-selector", *_selector_args(selectors["decode"])]
    else:
        argv += ["--selector", *_selector_args(selectors["unified"])]
    argv += [
        "--host", "0.0.0.0",
        "--port", str(spec.router.port),
        "--prometheus-host", "0.0.0.0",
        "--prometheus-port", str(engines.ROUTER_METRICS_PORT),
    ]  # fmt: skip
    return argv


def router_image(spec: infd_api.InferenceDeploymentSpec) -> str:
    """`router.image`, else the engine image for SGLang (which ships the router)."""
    if spec.router.image:
        return spec.router.image
    if spec.engine.type is infd_api.EngineType.SGLANG:
        return spec.engine.image
    raise errors.RenderError(
        "router.image is required with engine.type vllm: the vLLM image has no PD router; set it "
        "to an image that provides vllm-router, or set router.enabled to false"
    )


def rbac_objects(
    name: str, namespace: str, owner: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """[ServiceAccount, Role, RoleBinding] that let deployment `name`'s router watch the pods of
    its namespace (service discovery), and do nothing else."""
    object_name = naming.router_name(name)
    router_labels = labels.router_labels(name)
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta.object_meta(object_name, namespace, router_labels, owner=owner),
        },
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": meta.object_meta(object_name, namespace, router_labels, owner=owner),
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": meta.object_meta(object_name, namespace, router_labels, owner=owner),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": object_name,
            },
            "subjects": [{"kind": "ServiceAccount", "name": object_name, "namespace": namespace}],
        },
    ]


def router_objects(
    infd: infd_api.InferenceDeployment, owner: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """[ServiceAccount, Role, RoleBinding, Service, Deployment] of the deployment's router.

    Nothing in them depends on which units are live: the router discovers those itself. Empty
    when `router.enabled` is false.
    """
    spec = infd.spec
    if not spec.router.enabled:
        return []
    name, namespace = context.deployment_identity(infd)
    object_name = naming.router_name(name)
    router_labels = labels.router_labels(name)
    template: dict[str, Any] = {
        "metadata": {"labels": dict(router_labels)},
        "spec": {
            # Service discovery reads pods with this account's token.
            "serviceAccountName": object_name,
            "automountServiceAccountToken": True,
            "enableServiceLinks": False,
            "containers": [
                {
                    "name": CONTAINER_NAME,
                    "image": router_image(spec),
                    "command": router_args(spec, name, namespace),
                    "ports": [
                        {"name": "http", "containerPort": spec.router.port, "protocol": "TCP"},
                        {
                            "name": "metrics",
                            "containerPort": engines.ROUTER_METRICS_PORT,
                            "protocol": "TCP",
                        },
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
    }
    digest = labels.stamp(template)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta.object_meta(
            object_name, namespace, router_labels, {labels.TEMPLATE_HASH: digest}, owner
        ),
        "spec": {
            "replicas": spec.router.replicas,
            "selector": {"matchLabels": dict(router_labels)},
            # A new router is up before the old one goes: clients never see no router.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": template,
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta.object_meta(object_name, namespace, router_labels, owner=owner),
        "spec": {
            "type": "ClusterIP",
            "selector": dict(router_labels),
            "ports": [
                {"name": "http", "port": spec.router.port, "targetPort": "http", "protocol": "TCP"},
                {
                    "name": "metrics",
                    "port": engines.ROUTER_METRICS_PORT,
                    "targetPort": "metrics",
                    "protocol": "TCP",
                },
            ],
        },
    }
    return copy.deepcopy([*rbac_objects(name, namespace, owner), service, deployment])
