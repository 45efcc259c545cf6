"""Simulating a cluster's engine pods: which pods count, what they carry, refreshes and failures."""

from __future__ import annotations

from typing import Any

import pytest

from tokenfleet.enginesim import cluster, fleet


def pod(name: str, phase: str = "Running", role: str | None = "decode") -> dict[str, Any]:
    labels = {"tokenfleet.io/deployment": "dsv3", "tokenfleet.io/unit": "2"}
    if role:
        labels["tokenfleet.io/role"] = role
    return {
        "metadata": {"name": name, "namespace": "llm", "labels": labels},
        "spec": {"nodeName": f"h800-{name}"},
        "status": {"phase": phase},
    }


def test_a_running_engine_pod_keeps_its_identity_and_node() -> None:
    assert cluster.sim_pod(pod("dsv3-decode-2-0")) == fleet.SimPod(
        namespace="llm",
        name="dsv3-decode-2-0",
        deployment="dsv3",
        role="decode",
        unit="2",
        node="h800-dsv3-decode-2-0",
    )


@pytest.mark.parametrize("other", [pod("p", phase="Pending"), pod("p", role=None), {}])
def test_pods_not_running_or_without_a_role_are_not_simulated(other: dict[str, Any]) -> None:
    assert cluster.sim_pod(other) is None


async def test_refresh_replaces_the_list_and_a_failure_keeps_the_last_one() -> None:
    answers: list[Any] = [[pod("a"), pod("b", phase="Pending")], RuntimeError("apiserver down")]

    def list_pods() -> list[dict[str, Any]]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    pods = cluster.ClusterPods(list_pods)
    assert pods() == []
    await pods.refresh()
    assert [p.name for p in pods()] == ["a"]
    with pytest.raises(RuntimeError):
        await pods.refresh()
    assert [p.name for p in pods()] == ["a"]


def test_every_pod_of_a_unit_whose_leader_drains_stops_serving() -> None:
    def ranked(name: str, unit: str, draining: bool = False) -> dict[str, Any]:
        p = pod(name)
        p["metadata"]["labels"]["tokenfleet.io/unit"] = unit
        if draining:
            p["metadata"]["annotations"] = {"tokenfleet.io/draining-since": "2025-01-06T20:00:00Z"}
        return p

    listed = [
        ranked("dsv3-decode-1-0", "1"),
        ranked("dsv3-decode-1-1", "1"),
        ranked("dsv3-decode-2-0", "2", draining=True),
        ranked("dsv3-decode-2-1", "2"),
    ]
    serving = {p.name: p.serving for p in cluster.sim_pods(listed)}
    assert serving == {
        "dsv3-decode-1-0": True,
        "dsv3-decode-1-1": True,
        "dsv3-decode-2-0": False,
        "dsv3-decode-2-1": False,
    }
