"""Units are gangs on the real control plane: the API server serves scheduling.k8s.io/v1beta1
PodGroups (hack/ turns on the GenericWorkload gate and the API), the operator writes one per unit,
and the real scheduler places all of a unit's pods or none. A unit that does not fit places none
of its pods, and goes on when a node comes; two units competing for too few nodes never both end
half-placed, and the held one is placed whole when nodes come; a removed unit takes its
PodGroup with it."""

from __future__ import annotations

import collections
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import nodes
from tests.support import operator as operator_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import operator

pytestmark = pytest.mark.integration

NAME = "gang"
NOW = dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def pool(cluster: cluster_support.Cluster) -> Iterator[str]:
    """A pool whose nodes are the ones each test makes: a node it asks for itself takes a clock
    day to boot, and the clock stands still."""
    name = f"gang-{uuid.uuid4().hex[:6]}"
    doc = nodes.still_pool(name, max_nodes=8)
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(doc))
    yield name
    cluster.kubectl("delete", "gpool", name, "--wait=false", check=False)
    nodes.delete_nodes(cluster, name)


@pytest.fixture
def running_operator(cluster: cluster_support.Cluster) -> Iterator[operator.Operator]:
    with operator_support.running(cluster, clock_mod.FakeClock(NOW)) as op:
        yield op


def _deployment(pool: str, units: int) -> dict[str, Any]:
    return {
        "apiVersion": "tokenfleet.io/v1alpha1",
        "kind": "InferenceDeployment",
        "metadata": {"name": NAME},
        "spec": {
            "model": {"name": "deepseek-ai/DeepSeek-V3"},
            "engine": {"type": "sglang", "image": "lmsysorg/sglang:v0.5.23"},
            "roles": {
                "unified": {
                    "nodesPerUnit": 4,
                    "minUnits": units,
                    "maxUnits": units,
                    "capacityPerNode": 5000,
                }
            },
            "autoscaling": {"enabled": False},
            # No engine answers and the clock stands still: a removed unit goes undrained.
            "router": {"enabled": False, "drainTimeoutSeconds": 0},
            "nodePoolRef": {"name": pool},
        },
    }


def _pods(cluster: cluster_support.Cluster, ns: str) -> list[dict[str, Any]]:
    selector = f"tokenfleet.io/deployment={NAME},app.kubernetes.io/name=tokenfleet-engine"
    out = cluster.kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "yaml").stdout
    items: list[dict[str, Any]] = yaml.safe_load(out)["items"]
    return items


def _unschedulable(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c["type"] == "PodScheduled" and c["status"] == "False" for c in conditions)


def _placed_per_unit(pods: list[dict[str, Any]]) -> dict[str, int]:
    placed: collections.Counter[str] = collections.Counter()
    for pod in pods:
        unit = pod["metadata"]["labels"]["tokenfleet.io/unit"]
        placed[unit] += 1 if pod["spec"].get("nodeName") else 0
    return dict(placed)


def _pod_groups(cluster: cluster_support.Cluster, ns: str) -> dict[str, int]:
    out = cluster.kubectl("get", "podgroups.scheduling.k8s.io", "-n", ns, "-o", "yaml").stdout
    return {
        g["metadata"]["name"]: g["spec"]["schedulingPolicy"]["gang"]["minCount"]
        for g in yaml.safe_load(out)["items"]
    }


def test_a_unit_that_does_not_fit_places_none_of_its_pods(
    cluster: cluster_support.Cluster, pool: str, namespace: str, running_operator: operator.Operator
) -> None:
    nodes.create_nodes(cluster, pool, 3)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(_deployment(pool, 1)))

    def all_held() -> list[dict[str, Any]] | None:
        pods = _pods(cluster, namespace)
        return pods if len(pods) == 4 and all(_unschedulable(p) for p in pods) else None

    pods = wait_for("the unit's 4 pods held unschedulable", all_held, timeout=90)
    assert _placed_per_unit(pods) == {"0": 0}, "3 nodes fit 3 pods, but a unit is all or none"
    assert _pod_groups(cluster, namespace) == {f"{NAME}-unified-0": 4}
    assert all(p["spec"]["schedulingGroup"] == {"podGroupName": f"{NAME}-unified-0"} for p in pods)

    def gang_condition() -> dict[str, Any] | None:
        status = (
            yaml.safe_load(
                cluster.kubectl("get", "infd", NAME, "-n", namespace, "-o", "yaml").stdout
            ).get("status")
            or {}
        )
        found = [c for c in status.get("conditions") or [] if c["type"] == "GangScheduling"]
        return found[0] if found else None

    gang = wait_for("the GangScheduling condition", gang_condition, timeout=30)
    assert (gang["status"], gang["reason"]) == ("True", "PodGroups")

    # A fourth node: the whole unit is placed.
    nodes.create_nodes(cluster, pool, 4)

    def placed() -> dict[str, int] | None:
        per_unit = _placed_per_unit(_pods(cluster, namespace))
        return per_unit if per_unit == {"0": 4} else None

    wait_for("all 4 pods placed", placed, timeout=120)


def test_two_units_competing_for_too_few_nodes_never_both_end_half_placed(
    cluster: cluster_support.Cluster, pool: str, namespace: str, running_operator: operator.Operator
) -> None:
    nodes.create_nodes(cluster, pool, 6)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(_deployment(pool, 2)))

    def settled() -> list[dict[str, Any]] | None:
        pods = _pods(cluster, namespace)
        bound = [p for p in pods if p["spec"].get("nodeName")]
        held = [p for p in pods if _unschedulable(p) and not p["spec"].get("nodeName")]
        return pods if len(pods) == 8 and len(bound) == 4 and len(held) == 4 else None

    pods = wait_for("one unit placed, the other held", settled, timeout=90)
    assert sorted(_placed_per_unit(pods).values()) == [0, 4]
    assert _pod_groups(cluster, namespace) == {f"{NAME}-unified-0": 4, f"{NAME}-unified-1": 4}

    # Two nodes more: the held unit is placed whole. The scheduler usually retries the held
    # gang on the node events at once; when it does not, it retries every unschedulable pod
    # after five minutes (podMaxInUnschedulablePodsDuration), which the wait allows for.
    nodes.create_nodes(cluster, pool, 8)
    wait_for(
        "both units placed",
        lambda: _placed_per_unit(_pods(cluster, namespace)) == {"0": 4, "1": 4},
        timeout=330,
    )
    # One unit fewer: its StatefulSet, Service and PodGroup go.
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(_deployment(pool, 1)))
    wait_for(
        "the second unit's PodGroup removed",
        lambda: _pod_groups(cluster, namespace) == {f"{NAME}-unified-0": 4},
        timeout=60,
    )
