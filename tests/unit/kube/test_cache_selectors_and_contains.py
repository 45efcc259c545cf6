"""What the informer cache selects (as the API server would) and when an apply is skipped."""

from __future__ import annotations

import pytest

from tokenfleet.kube import client, selectors

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
