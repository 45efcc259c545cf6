"""The router in front of a deployment's live units: one Deployment and one Service.

The router pairs prefill and decode (DeepSeek's prefill LB -> prefill -> decode LB -> decode), or
balances over unified units. It is given the units' rank-0 hosts and dials each on the engine's
HTTP port; the controller re-renders it when the set of live units changes (hosts are sorted,
so the same set always renders the same Deployment). With no live unit in some role there is
nothing to route to, and the Deployment is rendered with 0 replicas rather than a router that
fails on an empty worker list.

- SGLang: the SGLang router (`python3 -m sglang_router.launch_router`), which ships in the
  SGLang image, so `router.image` defaults to the engine image. PD mode passes each prefill with
  its bootstrap port (`--prefill http://host:30000 8998`).
- vLLM ships no PD router of its own (REFERENCE.md §4.2). We use vllm-router (the
  vllm-project router, a fork of the SGLang router with a vLLM PD mode: `vllm-router
  --vllm-pd-disaggregation --kv-connector nixl`): it keeps the same flags and policies as the
  SGLang router, so both engines are routed the same way, and it speaks the NIXL two-step
  (prefill with max_tokens=1, then decode with the returned kv_transfer_params). It is not in
  the vLLM image and has no image we could default to, so for vLLM `router.image` is required.

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


def router_args(
    spec: infd_api.InferenceDeploymentSpec, leaders: Mapping[str, Sequence[str]]
) -> list[str]:
    """The router's command line for the given rank-0 hosts per role."""
    port = engines.http_port(spec.engine)
    policy = spec.router.policy
    pd = spec.roles.unified is None
    sglang = spec.engine.type is infd_api.EngineType.SGLANG
    argv = ["python3", "-m", "sglang_router.launch_router"] if sglang else ["vllm-router"]
    if pd:
        argv.append("--pd-disaggregation" if sglang else "--vllm-pd-disaggregation")
        if not sglang:
            argv += ["--kv-connector", "nixl"]
        for host in leaders.get("prefill", ()):
            argv += ["--prefill", worker_url(host, port)]
            if sglang:
                argv.append(str(engines.SGLANG_BOOTSTRAP_PORT))
        for host in leaders.get("decode", ()):
            argv += ["--decode", worker_url(host, port)]
        argv += ["--prefill-policy", policy, "--decode-policy", policy]
    else:
        argv += ["--worker-urls", *(worker_url(h, port) for h in leaders.get("unified", ()))]
        argv += ["--policy", policy]
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


def _live_hosts(
    infd: infd_api.InferenceDeployment, leaders: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    roles = [name for name, _ in infd.spec.roles.items()]
    unknown = sorted(set(leaders) - set(roles))
    if unknown:
        raise errors.RenderError(
            f"leaders given for {', '.join(unknown)}, which the deployment does not have "
            f"(roles: {', '.join(roles)})"
        )
    return {role: sorted(set(leaders.get(role, ()))) for role in roles}


def router_objects(
    infd: infd_api.InferenceDeployment,
    leaders: Mapping[str, Sequence[str]],
    owner: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """[Service, Deployment] of the router over `leaders` (rank-0 hosts of live units per role).

    Empty when `router.enabled` is false: the controller then deletes what it applied before.
    """
    spec = infd.spec
    if not spec.router.enabled:
        return []
    name, namespace = context.deployment_identity(infd)
    hosts = _live_hosts(infd, leaders)
    object_name = naming.router_name(name)
    router_labels = labels.router_labels(name)
    replicas = spec.router.replicas if all(hosts.values()) else 0
    template: dict[str, Any] = {
        "metadata": {"labels": dict(router_labels)},
        "spec": {
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "containers": [
                {
                    "name": CONTAINER_NAME,
                    "image": router_image(spec),
                    "command": router_args(spec, hosts),
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
            "replicas": replicas,
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
    return copy.deepcopy([service, deployment])
