"""What pods tell the pool: GPUs asked for, units, what a drain may move, nodes they need.

Covered: GPU requests (limits alone, init containers); unit keys from the renderers' labels;
DaemonSet, mirror and finished pods are not drained; pool selection by nodeSelector; first-fit
packing of Pending GPU pods onto nodes.
"""

from __future__ import annotations

import pytest
from tests.unit.nodepools import builders as b

from tokenfleet.nodepools import pods


def test_gpus_come_from_requests_or_limits_and_init_containers_count_at_their_peak() -> None:
    p = b.pod("p", gpus=0)
    p["spec"]["containers"] = [
        {"name": "a", "resources": {"limits": {"nvidia.com/gpu": "2"}}},
        {"name": "b", "resources": {"requests": {"nvidia.com/gpu": "1"}}},
    ]
    assert pods.gpus(p) == 3
    p["spec"]["initContainers"] = [{"name": "i", "resources": {"limits": {"nvidia.com/gpu": 8}}}]
    assert pods.gpus(p) == 8


def test_engine_pods_name_their_unit() -> None:
    p = b.pod("p", namespace="prod", unit=("v3", "decode", 2))
    assert pods.unit(p) == pods.UnitKey("prod", "v3", "decode", 2)
    assert pods.unit(b.pod("q")) is None


@pytest.mark.parametrize(
    ("kwargs", "movable"),
    [
        ({}, True),
        ({"owner_kind": "DaemonSet"}, False),
        ({"owner_kind": "StatefulSet"}, True),
        ({"phase": "Succeeded"}, False),
        ({"phase": "Failed"}, False),
        ({"terminating": True}, True),  # still there: the drain waits for it
    ],
)
def test_a_drain_moves_every_pod_but_the_nodes_own_and_finished_ones(
    kwargs: dict[str, object], movable: bool
) -> None:
    assert pods.movable(b.pod("p", **kwargs)) is movable  # type: ignore[arg-type]


def test_mirror_pods_stay() -> None:
    p = b.pod("p")
    p["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "x"}
    assert not pods.movable(p)


def test_a_pod_selects_the_pool_by_its_label() -> None:
    assert pods.selects_pool(b.pod("p", selector={"tokenfleet.io/pool": "h800"}), "h800")
    assert not pods.selects_pool(b.pod("p", selector={"tokenfleet.io/pool": "a100"}), "h800")
    assert not pods.selects_pool(b.pod("p"), "h800")


def test_unscheduled_means_pending_without_a_node() -> None:
    assert pods.unscheduled(b.pod("p", node=None, phase="Pending"))
    assert not pods.unscheduled(b.pod("p", node="n1", phase="Pending"))
    assert not pods.unscheduled(b.pod("p", node=None, phase="Pending", terminating=True))


@pytest.mark.parametrize(
    ("requests", "nodes"),
    [
        ([], 0),
        ([8, 8, 8], 3),
        ([4, 4, 4], 2),
        ([6, 2, 5, 3], 2),  # first fit, largest first: 6+2, 5+3
        ([1] * 17, 3),
        ([0, 0], 0),
        ([16], 1),  # larger than a node: counts once, it fits nowhere anyway
    ],
)
def test_pending_gpu_pods_are_packed_onto_whole_nodes(requests: list[int], nodes: int) -> None:
    assert pods.nodes_for(requests, 8) == nodes
