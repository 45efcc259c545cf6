"""What the operator keeps in watch-backed caches, and whom a change there wakes.

Every controller reads nodes, pods, unit StatefulSets, routers and tokenfleet's own objects from
informers (`kube.informer`) started here before the first step, so a step makes no LIST: it
reads memory and writes only what changed. A change the informers see wakes the step that
depends on it through the ticker: an engine pod's change (scheduled, Ready, gone) wakes its
InferenceDeployment's reconcile at once, and a change of an InferenceDeployment (its desired
units in status) wakes the reconcile of the GPUNodePool it runs on. A deleted engine pod also
starts its unit's gang recreation (`gang.on_pod_event`), from the same watch: kopf need not
watch pods at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Final

import kopf

from tokenfleet.api import common
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import gang
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.workloads import labels, naming

log = logging.getLogger(__name__)

OURS: Final = {labels.MANAGED_BY: labels.MANAGER}
KINDS: Final[tuple[tuple[str, str, Mapping[str, str] | None], ...]] = (
    ("v1", "Node", None),
    ("v1", "Pod", None),
    ("apps/v1", "StatefulSet", OURS),
    ("apps/v1", "Deployment", OURS),
    ("v1", "Service", OURS),
    ("v1", "ServiceAccount", OURS),
    ("rbac.authorization.k8s.io/v1", "Role", OURS),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", OURS),
    (common.API_VERSION, "InferenceDeployment", None),
    (common.API_VERSION, "GPUNodePool", None),
    (common.API_VERSION, "PricingPlan", None),
)
"""(apiVersion, kind, scope): pods and nodes whole (a pool counts every GPU pod on its nodes),
the workloads tokenfleet renders (StatefulSets, Deployments, Services, the routers' accounts
and Roles) only its own, so applying an unchanged one sends nothing."""

INFDS: Final = "inferencedeployments"
POOLS: Final = "gpunodepools"


def deployment_of_pod(
    pod: Mapping[str, Any], deployments: Mapping[ticker_mod.Key, Any]
) -> ticker_mod.Key | None:
    """The InferenceDeployment an engine pod belongs to, by its labels; None for other pods."""
    meta = pod.get("metadata") or {}
    pod_labels = meta.get("labels") or {}
    if pod_labels.get(labels.NAME) != labels.ENGINE_APP:
        return None
    value = pod_labels.get(labels.DEPLOYMENT)
    namespace = str(meta.get("namespace") or "")
    for key in deployments:
        if key[0] == namespace and naming.label_value(key[1]) == value:
            return key
    return None


def pool_of(deployment: Mapping[str, Any]) -> str | None:
    """The GPUNodePool an InferenceDeployment's spec names."""
    ref = ((deployment.get("spec") or {}).get("nodePoolRef") or {}).get("name")
    return str(ref) if ref else None


def register(
    registry: kopf.OperatorRegistry, ctx: context_mod.Context, ticker: ticker_mod.Ticker
) -> None:
    """Start the informers before any handler runs, wire their wake-ups, stop them at exit."""

    loop: asyncio.AbstractEventLoop | None = None

    def on_pod(kind: str, pod: dict[str, Any]) -> None:
        key = deployment_of_pod(pod, ticker.objects.get(INFDS, {}))
        if key is None:
            return
        ticker.poke_threadsafe(INFDS, key, "reconcile")
        if kind == "DELETED" and loop is not None and not loop.is_closed():
            # Its API calls run in a worker thread: the informer's thread only hands over.
            event = {"type": kind, "object": pod}
            asyncio.run_coroutine_threadsafe(asyncio.to_thread(gang.on_pod_event, ctx, event), loop)

    def on_deployment(_kind: str, deployment: dict[str, Any]) -> None:
        pool = pool_of(deployment)
        if pool is not None:
            ticker.poke_threadsafe(POOLS, ("", pool), "pool")

    async def start(**_: Any) -> None:
        nonlocal loop
        loop = asyncio.get_running_loop()
        informers = await asyncio.to_thread(ctx.kube.watch, KINDS)
        pods = informers.get(("v1", "Pod"))
        if pods is not None:
            pods.add_listener(on_pod)
        infds = informers.get((common.API_VERSION, "InferenceDeployment"))
        if infds is not None:
            infds.add_listener(on_deployment)
        log.info("watching %s", ", ".join(f"{k}: {len(i)}" for (_, k), i in informers.items()))

    async def stop(**_: Any) -> None:
        await asyncio.to_thread(ctx.kube.stop_watching)

    kopf.on.startup(registry=registry, id="watch-start")(start)
    kopf.on.cleanup(registry=registry, id="watch-stop")(stop)
