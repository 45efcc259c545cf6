"""InferenceDeployment controller: units of engine pods, gang health, router, status.

Thin by design: it reads the deployment, its pool and its units; asks the pure code
(`workloads.rollout`, the renderers) what to do; applies that with server-side apply; and
reports status, conditions and events. Units are owned by the InferenceDeployment, so deleting
it leaves nothing behind (the garbage collector removes StatefulSets, Services and pods).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Collection, Mapping
from typing import Any

import kopf
import pydantic

from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import conditions, desired_units, gang, role_status, routers
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.kube import client as kube_client
from tokenfleet.workloads import (
    engines,
    fleet,
    labels,
    lws,
    naming,
    observe,
    overlay,
    podgroups,
    rollout,
    router,
    routing,
    units,
)
from tokenfleet.workloads import errors as render_errors

log = logging.getLogger(__name__)
PLURAL = "inferencedeployments"
GANG_RECHECK_SECONDS = 60.0
"""Real seconds between two asks whether PodGroups are served, while they are not."""


def owner_reference(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": common.API_VERSION,
        "kind": "InferenceDeployment",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


Rendered = dict[tuple[str, int], list[dict[str, Any]]]
"""A deployment's rendered units by (role, index), each [headless Service, (PodGroup,)
StatefulSet]."""


@dataclasses.dataclass
class Rendering:
    """What a deployment's units are made from (its digest and whether units are gangs), the
    units rendered so far, and its pod templates' conflicts once worked out."""

    digest: str
    gang: bool
    units: Rendered = dataclasses.field(default_factory=dict)
    conflicts: list[overlay.Conflict] | None = None


def render_inputs(
    infd: infd_api.InferenceDeployment,
    pool: pool_api.GPUNodePoolSpec,
    owner: Mapping[str, Any],
    gang: bool,
) -> str:
    """A digest of everything a unit's rendering reads (of the deployment's metadata, only its
    name and namespace: its resourceVersion changes with every status write)."""
    meta = infd.metadata
    inputs = [
        meta.get("namespace"),
        meta.get("name"),
        infd.spec.model_dump(mode="json"),
        pool.model_dump(mode="json"),
        dict(owner),
        gang,
    ]
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _drain_started(plan: routing.RoutingPlan) -> bool:
    """Whether this step took a leaving unit out of the routers."""
    return any(p.leaves_router and p.unit in plan.draining for p in plan.patches)


def _condition_changed(body: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether `new` differs from the condition of its type in the object's status (an event
    is sent once per change, not once per reconcile)."""
    for old in (body.get("status") or {}).get("conditions") or []:
        if old.get("type") == new["type"]:
            return any(old.get(k) != new[k] for k in ("status", "reason", "message"))
    return True


class Reconciler:
    """Reconciles InferenceDeployments; the ticker runs one reconcile per object at a time.

    A unit's objects are rendered once per change of what they are made from (the deployment,
    its pool, its owner reference) and reused by every reconcile until then: rendering and
    hashing the DeepSeek fleet's 27 units took most of a reconcile's time on two cores.
    """

    def __init__(self, ctx: context_mod.Context) -> None:
        self.ctx = ctx
        self._rendered: dict[tuple[str, str], Rendering] = {}
        self._gang: tuple[float, bool] | None = None
        self.routers = routers.RouterClient()

    def gang_served(self) -> bool:
        """Whether the API server serves PodGroups, so that each unit can be a gang. Asked
        once, and again every GANG_RECHECK_SECONDS while it is not (an API enabled later is
        picked up; units then roll onto PodGroups, as after any change of what they are)."""
        now = time.monotonic()
        if self._gang is None or (not self._gang[1] and now - self._gang[0] > GANG_RECHECK_SECONDS):
            self._gang = (now, self.ctx.kube.serves(podgroups.API_VERSION, podgroups.KIND))
        return self._gang[1]

    def forget(self, namespace: str, name: str) -> None:
        """Drop what was rendered for a deployment that is gone."""
        self._rendered.pop((namespace, name), None)

    def _rendering(
        self,
        infd: infd_api.InferenceDeployment,
        pool: pool_api.GPUNodePoolSpec,
        owner: dict[str, Any],
    ) -> Rendering:
        """This deployment's cache of rendered units, emptied when its inputs changed."""
        key = (str(infd.metadata.get("namespace") or ""), str(infd.metadata.get("name")))
        gang = self.gang_served()
        digest = render_inputs(infd, pool, owner, gang)
        cached = self._rendered.get(key)
        if cached is None or cached.digest != digest:
            cached = Rendering(digest, gang)
            self._rendered[key] = cached
        return cached

    def reconcile(self, body: Mapping[str, Any]) -> None:
        kube = self.ctx.kube
        meta = body["metadata"]
        generation = meta.get("generation")
        try:
            # Only the spec is validated: status may hold fields other writers put there.
            infd = infd_api.InferenceDeployment.model_validate(
                {"metadata": dict(meta), "spec": dict(body["spec"])}
            )
        except pydantic.ValidationError as exc:
            self._status(body, {}, [role_status.cond_invalid(str(exc), generation)])
            return
        pool_body = kube.get_or_none(
            common.API_VERSION, "GPUNodePool", infd.spec.node_pool_ref.name
        )
        if pool_body is None:
            message = (
                f"GPUNodePool {infd.spec.node_pool_ref.name!r} does not exist: create it or fix "
                "spec.nodePoolRef"
            )
            self._status(
                body, {}, [role_status.cond("Ready", False, "PoolNotFound", message, generation)]
            )
            self._event(body, "PoolNotFound", message, warning=True)
            return
        try:
            pool = pool_api.GPUNodePool.model_validate(
                {"metadata": pool_body["metadata"], "spec": pool_body["spec"]}
            )
        except pydantic.ValidationError as exc:
            # Stored before today's bounds, or written around admission: the pool reports it
            # on its own Ready condition; the units wait here without a traceback.
            message = (
                f"GPUNodePool {infd.spec.node_pool_ref.name!r} has an invalid spec "
                f"({exc.error_count()} errors; see its Ready condition)"
            )
            self._status(
                body, {}, [role_status.cond("Ready", False, "PoolInvalid", message, generation)]
            )
            self._event(body, "PoolInvalid", message, warning=True)
            return
        owner = owner_reference(body)
        desired = desired_units.initial_or_decided(infd, self.ctx.clock.now(), body.get("status"))
        rendering = self._rendering(infd, pool.spec, owner)
        try:
            if infd.spec.backend is infd_api.Backend.LEADERWORKERSET:
                roles = self._reconcile_lws(body, infd, pool.spec, desired, owner)
            else:
                roles = self._reconcile_statefulsets(
                    body, infd, pool.spec, desired, owner, rendering
                )
        except render_errors.RenderError as exc:
            message = str(exc)
            log.warning("%s/%s: %s", meta["namespace"], meta["name"], message)
            self._status(
                body, {}, [role_status.cond("Ready", False, "InvalidSpec", message, generation)]
            )
            self._event(body, "InvalidSpec", message, warning=True)
            return
        except kube_client.NotFound as exc:
            message = f"cannot create the units: {exc.message}"
            log.warning("%s/%s: %s", meta["namespace"], meta["name"], message)
            self._status(
                body, {}, [role_status.cond("Ready", False, "BackendMissing", message, generation)]
            )
            return
        except kube_client.KubeError as exc:
            if exc.status != 422:
                raise
            # The API server refused what was rendered: most often a pod template whose merged
            # pod is not a valid pod. Said once per change, not retried in a traceback.
            message = f"the API server refused a unit: {exc.message}"[:1000]
            log.warning("%s/%s: %s", meta["namespace"], meta["name"], message)
            refused = role_status.cond("Ready", False, "Refused", message, generation)
            if _condition_changed(body, refused):
                self._event(body, "Refused", message, warning=True)
            self._status(body, {}, [refused])
            return
        if rendering.conflicts is None:
            rendering.conflicts = fleet.template_conflicts(infd, pool.spec, rendering.gang)
        accepted = role_status.template_condition(
            rendering.conflicts, any_template=fleet.has_templates(infd), gen=generation
        )
        if accepted["status"] == "False" and _condition_changed(body, accepted):
            self._event(body, accepted["reason"], accepted["message"], warning=True)
        ganged = role_status.gang_condition(
            infd.spec.backend, served=rendering.gang, gen=generation
        )
        self._status(
            body, roles, [*role_status.role_conditions(roles, generation), accepted, ganged]
        )

    # --- built-in backend: one StatefulSet + headless Service per unit ------------------------

    def _reconcile_statefulsets(
        self,
        body: Mapping[str, Any],
        infd: infd_api.InferenceDeployment,
        pool: pool_api.GPUNodePoolSpec,
        desired: Mapping[str, int],
        owner: dict[str, Any],
        rendering: Rendering,
    ) -> dict[str, role_status.RoleOutcome]:
        kube = self.ctx.kube
        name, namespace = body["metadata"]["name"], body["metadata"]["namespace"]
        outcomes: dict[str, role_status.RoleOutcome] = {}
        pending_removals: list[tuple[str, int]] = []
        leaving: list[dict[str, Any]] = []
        cache = rendering.units
        for role, spec in infd.spec.roles.items():
            selector = labels.role_labels(name, role)
            statefulsets = kube.list("apps/v1", "StatefulSet", namespace, selector)
            pods = kube.list("v1", "Pod", namespace, selector)
            self._label_ranks(pods, namespace)
            want = desired.get(role, spec.min_units)
            indices = {observe.unit_index(s) for s in statefulsets} | set(range(want + 1))
            rendered: dict[int, list[dict[str, Any]]] = {}
            for i in sorted(x for x in indices if x is not None):
                if (role, i) not in cache:
                    cache[role, i] = units.unit_objects(
                        infd, pool, role, i, owner, gang=rendering.gang
                    )
                rendered[i] = cache[role, i]
            hashes = {i: observe.sts_hash(objs[-1]) or "" for i, objs in rendered.items()}
            observed = observe.observe_units(statefulsets, pods, hashes, spec.nodes_per_unit)
            plan = rollout.plan_role(want, spec.min_units, observed)
            kube.each(kube.apply, [obj for index in plan.apply for obj in rendered[index]])
            for index in plan.recreate:
                self._recreate_unit(body, name, namespace, role, index, pods)
            routed = self._route(infd, namespace, plan.live, plan.remove, pods)
            pending_removals += [(role, i) for i in routed.delete]
            leaving += [p for p in pods if p["metadata"]["name"] in set(routed.unrouted)]
            reason = plan.reason
            if routed.draining:
                reason += f"; draining unit(s) {', '.join(map(str, routed.draining))}"
            if plan.apply or plan.recreate or routed.delete or _drain_started(routed):
                self._event(body, "Units", f"{role}: {reason}")
            outcomes[role] = role_status.RoleOutcome(
                desired=want,
                ready=len(plan.live),
                nodes_per_unit=spec.nodes_per_unit,
                min_units=spec.min_units,
                reason=reason,
                failed=any(u.failed for u in observed),
                progressing=bool(plan.apply or plan.recreate or plan.remove)
                or len(plan.live) != want,
                pods_bound=sum(1 for p in pods if p.get("spec", {}).get("nodeName")),
            )
        kube.each(kube.apply, router.router_objects(infd, owner))
        # Units leave the routers before their pods go: unmarked above, dropped here, deleted
        # once drained (`workloads.routing`).
        self._drop_from_routers(infd, name, namespace, leaving)
        for removed_role, index in pending_removals:
            unit = naming.unit_name(name, removed_role, index)
            kube.delete("apps/v1", "StatefulSet", unit, namespace)
            kube.delete("v1", "Service", unit, namespace)
            if rendering.gang:
                kube.delete(podgroups.API_VERSION, podgroups.KIND, unit, namespace)
        return outcomes

    def _label_ranks(self, pods: list[dict[str, Any]], namespace: str) -> None:
        patches = [
            (pod["metadata"]["name"], patch)
            for pod in pods
            if (patch := labels.rank_patch(pod)) is not None
            and not pod["metadata"].get("deletionTimestamp")
        ]

        def label(item: tuple[str, dict[str, Any]]) -> None:
            # A pod the cache still shows may be gone already (its unit was recreated).
            with contextlib.suppress(kube_client.NotFound):
                self.ctx.kube.patch("v1", "Pod", item[0], item[1], namespace)

        self.ctx.kube.each(label, patches)

    def _recreate_unit(
        self,
        body: Mapping[str, Any],
        name: str,
        namespace: str,
        role: str,
        index: int,
        pods: list[dict[str, Any]],
    ) -> None:
        """Delete every pod of the unit together; the StatefulSet starts them again as a gang."""
        members = [p for p in pods if observe.unit_index(p) == index]
        gang.recreate_pods(self.ctx.kube, members, namespace)
        self._event(body, "UnitRecreated", f"{role} unit {index}: all {len(members)} pods")

    # --- LeaderWorkerSet backend ---------------------------------------------------------------

    def _reconcile_lws(
        self,
        body: Mapping[str, Any],
        infd: infd_api.InferenceDeployment,
        pool: pool_api.GPUNodePoolSpec,
        desired: Mapping[str, int],
        owner: dict[str, Any],
    ) -> dict[str, role_status.RoleOutcome]:
        kube = self.ctx.kube
        name, namespace = body["metadata"]["name"], body["metadata"]["namespace"]
        outcomes: dict[str, role_status.RoleOutcome] = {}
        leaving: list[dict[str, Any]] = []
        for role, spec in infd.spec.roles.items():
            want = desired.get(role, spec.min_units)
            applied = kube.apply(lws.leaderworkerset(infd, pool, role, want, owner))
            ready = int((applied.get("status") or {}).get("readyReplicas") or 0)
            pods = kube.list("v1", "Pod", namespace, labels.role_labels(name, role))
            self._label_ranks(pods, namespace)
            # LWS removes groups past its replicas itself: its units are routed, not drained.
            live = routing.ready_units(pods, spec.nodes_per_unit, below=want)
            routed = self._route(infd, namespace, live, (), pods)
            leaving += [p for p in pods if p["metadata"]["name"] in set(routed.unrouted)]
            outcomes[role] = role_status.RoleOutcome(
                desired=want,
                ready=min(ready, want),
                nodes_per_unit=spec.nodes_per_unit,
                min_units=spec.min_units,
                reason="LeaderWorkerSet applied",
                failed=False,
                progressing=ready != want,
                pods_bound=0,
            )
        kube.each(kube.apply, router.router_objects(infd, owner))
        self._drop_from_routers(infd, name, namespace, leaving)
        return outcomes

    # --- routing: which leaders the routers discover, and draining leaving units ---------------

    def _route(
        self,
        infd: infd_api.InferenceDeployment,
        namespace: str,
        live: Collection[int],
        leaving: Collection[int],
        pods: list[dict[str, Any]],
    ) -> routing.RoutingPlan:
        """Mark, unmark and stamp one role's leaders; say which leaving units are drained.

        A leaving unit's engine is asked whether it is idle only once its drain has begun."""
        now = self.ctx.clock.now()
        port = engines.http_port(infd.spec.engine)
        heads = routing.leaders(pods)
        idle: dict[int, bool] = {}
        for index in leaving:
            leader = heads.get(index)
            if leader is not None and routing.draining_since(leader) is not None:
                answer = self.routers.idle(leader, port, self.ctx.settings.engine_metrics_url)
                if answer is not None:
                    idle[index] = answer
        plan = routing.plan_routing(
            pods, live, leaving, now, infd.spec.router.drain_timeout_seconds, idle
        )

        def write(patch: routing.LeaderPatch) -> None:
            # A pod the cache still shows may be gone already (its unit was recreated).
            with contextlib.suppress(kube_client.NotFound):
                self.ctx.kube.patch("v1", "Pod", patch.pod, patch.patch, namespace)

        self.ctx.kube.each(write, list(plan.patches))
        return plan

    def _drop_from_routers(
        self,
        infd: infd_api.InferenceDeployment,
        name: str,
        namespace: str,
        leaders: list[dict[str, Any]],
    ) -> None:
        """Tell every router replica to stop sending to `leaders` (unmarked or draining)."""
        if not leaders or not infd.spec.router.enabled:
            return
        urls = routers.worker_urls(leaders, engines.http_port(infd.spec.engine))
        replicas = self.ctx.kube.list("v1", "Pod", namespace, labels.router_labels(name))
        self.routers.drop(replicas, infd.spec.router.port, urls)

    # --- status and events ----------------------------------------------------------------------

    def _status(
        self,
        body: Mapping[str, Any],
        roles: Mapping[str, role_status.RoleOutcome],
        new_conditions: list[dict[str, Any]],
    ) -> None:
        meta = body["metadata"]
        previous_status = body.get("status") or {}
        previous = previous_status.get("conditions")
        status: dict[str, Any] = {
            "observedGeneration": meta.get("generation"),
            "conditions": conditions.merge(previous, new_conditions, self.ctx.now_rfc3339()),
        }
        if roles:
            status["roles"] = {
                role: {
                    "desiredUnits": o.desired,
                    "readyUnits": o.ready,
                    "desiredNodes": o.desired * o.nodes_per_unit,
                    "readyNodes": o.ready * o.nodes_per_unit,
                }
                for role, o in roles.items()
            }
            status["readyUnits"] = (
                f"{sum(o.ready for o in roles.values())}/{sum(o.desired for o in roles.values())}"
            )
            status["nodes"] = sum(o.pods_bound for o in roles.values())
        else:
            # An error path: keep what was last observed (an apply that leaves fields out
            # would remove them from status).
            for key in ("roles", "readyUnits", "nodes"):
                if key in previous_status:
                    status[key] = previous_status[key]
        self.ctx.kube.apply_status(
            {
                "apiVersion": common.API_VERSION,
                "kind": "InferenceDeployment",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
                "status": status,
            }
        )

    def _event(
        self, body: Mapping[str, Any], reason: str, message: str, warning: bool = False
    ) -> None:
        self.ctx.kube.event(
            {"apiVersion": common.API_VERSION, "kind": "InferenceDeployment", **body},
            reason,
            message,
            type_="Warning" if warning else "Normal",
            now_rfc3339=self.ctx.now_rfc3339(),
        )


def register(
    registry: kopf.OperatorRegistry, ctx: context_mod.Context, ticker: ticker_mod.Ticker
) -> Reconciler:
    """Reconcile every InferenceDeployment on `ticker`: at once on every change of it (and
    when its pods change, see `wakeups`), and every `inference_interval` of clock time."""
    reconciler = Reconciler(ctx)

    async def step(body: Mapping[str, Any]) -> None:
        await asyncio.to_thread(reconciler.reconcile, body)
        return None

    async def forget(key: ticker_mod.Key) -> None:
        reconciler.forget(*key)

    ticker.every(
        PLURAL,
        "reconcile",
        lambda _: ctx.settings.reconcile.inference_interval,
        step,
        forget,
        on_change=True,
    )

    async def close(**_: Any) -> None:
        reconciler.routers.close()

    kopf.on.cleanup(registry=registry, id="router-client-close")(close)
    return reconciler
