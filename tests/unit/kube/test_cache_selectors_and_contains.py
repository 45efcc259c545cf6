"""What the informer cache selects (as the API server would) and when an apply is skipped."""

from __future__ import annotations

import pytest

from tokenfleet.kube import client, informer, selectors

POD = {
    "metadata": {"name": "p", "namespace": "a", "labels": {"app": "x", "role": "decode"}},
    "spec": {"nodeName": "n1"},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("label_selector", "expected"),
    [
        ("app=x", True),
        ("app==x,role=decode", True),
        ("app=y", False),
        ("role!=prefill", True),
        ("role!=decode", False),
        ("missing!=v", True),
        ("missing=v", False),
        ("", True),
    ],
)
def test_label_selectors_match_as_the_api_server_does(label_selector: str, expected: bool) -> None:
    assert selectors.matches_labels(POD, selectors.parse(label_selector)) is expected


@pytest.mark.parametrize(
    ("field_selector", "expected"),
    [
        ("spec.nodeName=n1", True),
        ("spec.nodeName=n2", False),
        ("status.phase!=Succeeded,status.phase!=Failed", True),
        ("status.phase!=Running", False),
        ("metadata.name=p", True),
    ],
)
def test_field_selectors_read_dotted_paths(field_selector: str, expected: bool) -> None:
    assert selectors.matches_fields(POD, selectors.parse(field_selector)) is expected


def test_set_based_selectors_are_refused_so_the_server_answers() -> None:
    with pytest.raises(ValueError, match="equality"):
        selectors.parse("app in (x,y)")


def test_contains_allows_server_defaults_but_not_changed_values() -> None:
    live = {"spec": {"replicas": 4, "template": {"c": [{"name": "e", "tpm": "File"}]}}}
    assert client.contains(live, {"spec": {"replicas": 4, "template": {"c": [{"name": "e"}]}}})
    assert not client.contains(live, {"spec": {"replicas": 5}})
    assert not client.contains(live, {"spec": {"template": {"c": [{"name": "e"}, {"name": "f"}]}}})
    assert not client.contains(live, {"spec": {"paused": True}})
    assert client.contains({"v": 2}, {"v": 2.0})
    assert not client.contains({"v": 1}, {"v": True})


class _Unused:
    """The informer's resource; these tests never list or watch."""


def test_a_deleted_object_never_comes_back_whatever_the_order_of_delete_and_event() -> None:
    node = {"kind": "Node", "metadata": {"name": "n1", "uid": "u1", "resourceVersion": "7"}}
    cache = informer.Informer(_Unused(), "Node")
    cache.remember(node)
    # The watch reports the deletion first, then the delete call returns the object as it was.
    cache._delete(node)
    cache.forget(node, ("", "n1"))
    assert cache.get("n1") is None
    # A late MODIFIED event of the same object is dropped.
    cache._upsert({**node, "metadata": {**node["metadata"], "resourceVersion": "8"}}, notify=False)
    assert cache.get("n1") is None
    # The other order: the delete's answer first removes it at once.
    other = {"kind": "Node", "metadata": {"name": "n2", "uid": "u2", "resourceVersion": "9"}}
    cache.remember(other)
    cache.forget(other, ("", "n2"))
    assert cache.get("n2") is None


def test_a_delete_with_a_grace_period_leaves_the_object_marked_until_the_watch_removes_it() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a", "uid": "u", "resourceVersion": "3"},
    }
    cache = informer.Informer(_Unused(), "Pod")
    cache.remember(pod)
    marked = {
        **pod,
        "metadata": {**pod["metadata"], "resourceVersion": "4", "deletionTimestamp": "x"},
    }
    cache.forget(marked, ("a", "p"))
    assert cache.get("p", "a") == marked
    cache._delete(marked)
    assert cache.get("p", "a") is None
    cache.forget(marked, ("a", "p"))
    assert cache.get("p", "a") is None, "a marked answer never re-adds what the watch removed"
