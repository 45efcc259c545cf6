"""Reading what a pool's sizing needs: the deployments on it, their units, the pods, the nodes.

A pod belongs to a *live* unit when its InferenceDeployment is on this pool and the unit is
wanted (index below the role's desired units, read from status.roles[*].desiredUnits, or the
schedule's floor and minUnits before the deployment has a status) or is still in the router
(its leader pod is marked routable, or is draining: units leave the router, and finish their
requests, before their pods go; `workloads.routing`). A node running such a pod, or another
GPU pod, is busy and never drained. GPU pods that are not units' (a hand-made StatefulSet, a
batch job) count as demand: the nodes they run on, and the nodes Pending ones would take.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydantic

from tokenfleet.api import common
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, nodes, pods, provider, sizing
from tokenfleet.planner import schedule
from tokenfleet.workloads import naming, routing

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class RoleDemand:
    nodes_per_unit: int
    desired: int
    """Units wanted now."""
    expected: int
    """Units expected one lead time from now (the schedule's floor then, at least `desired`)."""


@dataclasses.dataclass(frozen=True)
class Deployment:
    """An InferenceDeployment on the pool."""

    namespace: str
    name: str
    roles: Mapping[str, RoleDemand]

    @property
    def label(self) -> str:
        return naming.label_value(self.name)


def deployment_demand(
    obj: Mapping[str, Any], now: dt.datetime, lead: dt.timedelta
) -> Deployment | None:
    """Units per role of one InferenceDeployment (None when its spec does not parse)."""
    try:
        spec = infd_api.InferenceDeploymentSpec.model_validate(obj.get("spec") or {})
    except pydantic.ValidationError:
        return None
    status_roles = (obj.get("status") or {}).get("roles") or {}
    floors_now = schedule.minimum_units(spec.autoscaling.schedule, now)
    floors_then = schedule.minimum_units(spec.autoscaling.schedule, now + lead)
    roles: dict[str, RoleDemand] = {}
    for role, rspec in spec.roles.items():
        reported = (status_roles.get(role) or {}).get("desiredUnits")
        if isinstance(reported, int):
            desired = reported
        else:
            desired = min(max(rspec.min_units, floors_now.get(role, 0)), rspec.max_units)
        expected = min(max(desired, floors_then.get(role, 0)), rspec.max_units)
        roles[role] = RoleDemand(rspec.nodes_per_unit, desired, max(desired, expected))
    meta = obj.get("metadata") or {}
    return Deployment(str(meta.get("namespace") or ""), str(meta.get("name")), roles)


def deployments_on(
    kube: kube_client.Kube, pool: str, now: dt.datetime, lead: dt.timedelta
) -> list[Deployment]:
    """The InferenceDeployments, in every namespace, whose nodePoolRef names `pool`."""
    try:
        found = kube.list(common.API_VERSION, "InferenceDeployment")
    except kube_client.NotFound:
        return []
    except kube_client.KubeError as exc:
        raise errors.from_kube("listing InferenceDeployments", exc) from exc
    out = []
    for obj in found:
        if ((obj.get("spec") or {}).get("nodePoolRef") or {}).get("name") != pool:
            continue
        dep = deployment_demand(obj, now, lead)
        if dep is not None:
            out.append(dep)
    return out


class UnitStatus(enum.Enum):
    """Where a pod's unit stands, for sizing and draining."""

    NONE = "none"
    """Not a pod of a unit on this pool."""
    WANTED = "wanted"
    """Its index is below the role's desired units: live, never drained."""
    ROUTED = "routed"
    """Past the desired count but routable or draining: live until its drain ends."""
    LEAVING = "leaving"
    """Past the desired count and out of the router: its pods may go, as a whole unit."""


class Liveness:
    """Answers "is this pod's unit live?", from the unit's index and its leader's marks."""

    def __init__(self, deployments: Iterable[Deployment]) -> None:
        self.by_label = {(d.namespace, d.label): d for d in deployments}
        self.routed: set[pods.UnitKey] = set()
        """Units whose leader is routable or draining (`see` fills it)."""

    def see(self, pod: Mapping[str, Any]) -> None:
        """Take note of a pod's routing marks (only leaders carry them)."""
        key = pods.unit(pod)
        if key is not None and routing.holds_traffic(pod):
            self.routed.add(key)

    def __call__(self, pod: Mapping[str, Any]) -> bool:
        return self.status(pod) in (UnitStatus.WANTED, UnitStatus.ROUTED)

    def status(self, pod: Mapping[str, Any]) -> UnitStatus:
        key = pods.unit(pod)
        if key is None or pods.terminating(pod):
            return UnitStatus.NONE
        dep = self.by_label.get((key.namespace, key.deployment))
        if dep is None or key.role not in dep.roles:
            return UnitStatus.LEAVING
        if key.unit < dep.roles[key.role].desired:
            return UnitStatus.WANTED
        return UnitStatus.ROUTED if key in self.routed else UnitStatus.LEAVING


@dataclasses.dataclass(frozen=True)
class View:
    """One reconcile's picture of a pool."""

    nodes: tuple[sizing.PoolNode, ...]
    """The pool's nodes, those already given back left out."""
    demand: sizing.Demand
    node_objects: Mapping[str, Obj]
    pods_on: Mapping[str, Sequence[Obj]]
    """Movable pods per node name."""
    unit_pods: Mapping[pods.UnitKey, Sequence[Obj]]
    """Every pod of every unit on the pool, wherever it runs."""
    live: Liveness
    released: int = 0
    """Nodes given back whose Node is still there (counted as draining)."""
    pending: int = 0
    """Nodes asked for that have no Node yet (counted as provisioning)."""

    def count(self, state: sizing.NodeState) -> int:
        return sum(1 for n in self.nodes if n.state is state)


def read(
    kube: kube_client.Kube,
    pool: provider.Pool,
    observed: provider.Observed,
    now: dt.datetime,
) -> View:
    """Read deployments and pods and describe the pool's nodes for sizing."""
    lead = dt.timedelta(seconds=sizing.lead_seconds(pool.spec))
    deployments = deployments_on(kube, pool.name, now, lead)
    live = Liveness(deployments)
    try:
        all_pods = kube.list(
            "v1", "Pod", field_selector="status.phase!=Succeeded,status.phase!=Failed"
        )
    except kube_client.KubeError as exc:
        raise errors.from_kube("listing pods", exc) from exc
    mine = [n for n in observed.nodes if not nodes.released(n)]
    names = {nodes.name(n) for n in mine}
    pods_on: dict[str, list[Obj]] = {n: [] for n in names}
    unit_pods: dict[pods.UnitKey, list[Obj]] = {}
    pending_other: list[int] = []
    for pod in all_pods:
        where = pods.node_name(pod)
        key = pods.unit(pod)
        live.see(pod)
        if where in names and pods.movable(pod):
            pods_on[where].append(pod)
        if key is not None and (where in names or pods.selects_pool(pod, pool.name)):
            unit_pods.setdefault(key, []).append(pod)
        is_units = key is not None and (key.namespace, key.deployment) in live.by_label
        if not is_units and pods.unscheduled(pod) and pods.selects_pool(pod, pool.name):
            pending_other.append(pods.gpus(pod))
    leased = nodes.committed(mine, pool.spec.committed_nodes)
    described = []
    other_busy = 0
    for node in mine:
        name = nodes.name(node)
        state = nodes.state(node)
        here = [p for p in pods_on[name] if not pods.terminating(p)]
        runs_unit = any(live(p) for p in here)
        runs_gpu = any(pods.unit(p) is None and pods.gpus(p) > 0 for p in here)
        if runs_gpu and state in (sizing.NodeState.READY, sizing.NodeState.PROVISIONING):
            other_busy += 1
        described.append(
            sizing.PoolNode(
                name=name,
                state=state,
                committed=leased.get(name, False),
                busy=(runs_unit or runs_gpu) and state is not sizing.NodeState.LENT,
                occupied=bool(pods_on[name]),
                created=nodes.created(node),
            )
        )
    unit_nodes = sum(r.desired * r.nodes_per_unit for d in deployments for r in d.roles.values())
    expected = sum(r.expected * r.nodes_per_unit for d in deployments for r in d.roles.values())
    other = other_busy + pods.nodes_for(pending_other, pool.spec.gpus_per_node)
    return View(
        nodes=tuple(described),
        demand=sizing.Demand(
            unit_nodes=unit_nodes, other_nodes=other, expected_nodes=expected + other
        ),
        node_objects={nodes.name(n): n for n in mine},
        pods_on=pods_on,
        unit_pods=unit_pods,
        live=live,
        released=len(observed.nodes) - len(mine),
        pending=observed.pending,
    )
