"""Node states read back from the marks on Node objects, which nodes are leased, and sizing's
memory kept in annotations.

Covered: every mark maps to its state (lent, draining, reclaiming, kwok provisioning, NotReady,
Ready), nodes given back drop out; explicit capacity-type labels and Karpenter's reserved
capacity win, unlabelled nodes fill the remaining leases oldest first, never more than
committedNodes; the memory round-trips through annotations and forgets what it cannot read.
"""

from __future__ import annotations

import pytest
from tests.unit.nodepools import builders as b

from tokenfleet.nodepools import memory, nodes, sizing

S = sizing.NodeState


@pytest.mark.parametrize(
    ("annotations", "ready", "state"),
    [
        ({}, True, S.READY),
        ({}, False, S.PROVISIONING),
        ({}, None, S.PROVISIONING),
        ({nodes.READY_AT: "2025-01-06T00:10:00Z"}, True, S.PROVISIONING),
        ({nodes.RECLAIMING_SINCE: "2025-01-06T00:00:00Z"}, True, S.PROVISIONING),
        ({nodes.DRAINING_SINCE: "2025-01-06T00:00:00Z"}, True, S.DRAINING),
        ({nodes.LENT_SINCE: "2025-01-06T00:00:00Z"}, True, S.LENT),
    ],
)
def test_a_node_state_is_read_from_its_marks_then_its_ready_condition(
    annotations: dict[str, str], ready: bool | None, state: sizing.NodeState
) -> None:
    assert nodes.state(b.node_object("n", annotations=annotations, ready_condition=ready)) is state


def test_nodes_being_deleted_or_marked_released_are_no_longer_the_pools() -> None:
    assert nodes.released(b.node_object("a", deleting=True))
    assert nodes.released(b.node_object("b", annotations={nodes.RELEASED_AT: "x"}))
    assert not nodes.released(b.node_object("c"))


def test_labels_say_which_nodes_are_leased_and_the_rest_of_the_leases_go_oldest_first() -> None:
    found = [
        b.node_object("young", created="2025-01-05T12:00:00Z"),
        b.node_object("old", created="2025-01-01T00:00:00Z"),
        b.node_object("od", labels={nodes.CAPACITY_TYPE: nodes.ON_DEMAND}),
        b.node_object("lease", labels={nodes.CAPACITY_TYPE: nodes.COMMITTED}),
        b.node_object("karp", labels={nodes.KARPENTER_CAPACITY_TYPE: "reserved"}),
        b.node_object("spot", labels={nodes.KARPENTER_CAPACITY_TYPE: "spot"}),
    ]
    assert nodes.committed(found, 3) == {
        "lease": True,
        "karp": True,
        "od": False,
        "spot": False,
        "old": True,
        "young": False,
    }
    assert sum(nodes.committed(found, 1).values()) == 1  # never more than the pool leases


def test_sizing_memory_round_trips_through_annotations() -> None:
    kept = sizing.Memory(
        (sizing.Change(b.at(0), added=3), sizing.Change(b.at(30), removed=2)), b.at(10)
    )
    assert memory.read(memory.to_annotations(kept)) == kept
    assert memory.to_annotations(sizing.Memory()) == {
        memory.HISTORY: None,
        memory.SURPLUS_SINCE: None,
    }


def test_unreadable_memory_is_forgotten_not_fatal() -> None:
    marks = {memory.HISTORY: "not json", memory.SURPLUS_SINCE: "yesterday"}
    assert memory.read(marks) == sizing.Memory()
    mixed = {memory.HISTORY: '[["2025-01-06T00:00:00Z", 1, 0], ["bad"], [1, 2, 3]]'}
    assert memory.read(mixed).changes == (sizing.Change(b.T0, added=1),)
