"""Drain decisions: what leaves a cordoned node, and when a drain is called off.

Covered: an empty node is done; a wanted unit's pod calls the drain off; a unit still in the
router is waited for, even past the timeout; a leaving unit is evicted whole, its pods on other
nodes too; other pods are evicted; pods already terminating are not asked twice until the
timeout, after which everything left is deleted; the pool's drain timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.unit.nodepools import builders as b

from tokenfleet.nodepools import drain, observe, pods

U = observe.UnitStatus


def by_unit(status: dict[int, observe.UnitStatus]) -> Any:
    def answer(pod: Mapping[str, Any]) -> observe.UnitStatus:
        key = pods.unit(pod)
        return U.NONE if key is None else status[key.unit]

    return answer


def names(decision: drain.Decision) -> list[str]:
    return sorted(p["metadata"]["name"] for p in decision.evict)


def test_an_empty_node_is_drained() -> None:
    assert drain.decide([], by_unit({}), {}, b.T0, b.T0, 600).done


def test_daemon_pods_do_not_keep_a_node_from_being_drained() -> None:
    on_node = [b.pod("ds", owner_kind="DaemonSet")]
    assert drain.decide(on_node, by_unit({}), {}, b.T0, b.T0, 600).done


def test_a_wanted_units_pod_calls_the_drain_off() -> None:
    on_node = [b.pod("stray", gpus=0), b.pod("u0", unit=("v3", "decode", 0))]
    decision = drain.decide(on_node, by_unit({0: U.WANTED}), {}, b.T0, b.at(9999), 600)
    assert decision.abort and not decision.evict


def test_a_unit_still_in_the_router_is_waited_for_even_past_the_timeout() -> None:
    on_node = [b.pod("u3", unit=("v3", "decode", 3))]
    decision = drain.decide(on_node, by_unit({3: U.ROUTED}), {}, b.T0, b.at(9999), 600)
    assert not decision.done and not decision.abort
    assert decision.evict == () and decision.left == 1


def test_a_leaving_unit_is_evicted_whole_wherever_its_pods_run() -> None:
    here = b.pod("u3-0", unit=("v3", "decode", 3), node="n0")
    there = b.pod("u3-1", unit=("v3", "decode", 3), node="n9")
    unit_pods = {pods.UnitKey("ns", "v3", "decode", 3): [here, there]}
    decision = drain.decide([here], by_unit({3: U.LEAVING}), unit_pods, b.T0, b.T0, 600)
    assert names(decision) == ["u3-0", "u3-1"]
    assert not decision.force


def test_terminating_pods_are_waited_for_until_the_timeout_then_deleted() -> None:
    leaving = b.pod("going", terminating=True, gpus=0)
    stray = b.pod("stray", gpus=0)
    early = drain.decide([leaving, stray], by_unit({}), {}, b.T0, b.at(599), 600)
    assert names(early) == ["stray"] and not early.force and early.left == 2
    late = drain.decide([leaving, stray], by_unit({}), {}, b.T0, b.at(600), 600)
    assert names(late) == ["going", "stray"] and late.force


def test_the_drain_timeout_is_the_pools_lending_setting_else_the_default() -> None:
    assert drain.timeout_seconds(b.spec()) == drain.DEFAULT_TIMEOUT
    lending = b.spec(
        provider={
            "type": "lending",
            "lending": {"nodeSelector": {"a": "b"}, "drainTimeoutSeconds": 42},
        }
    )
    assert drain.timeout_seconds(lending) == 42
