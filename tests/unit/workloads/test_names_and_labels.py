"""Names, label values, template hashes and rank labels.

Covers: names are DNS-1035 labels within each kind's budget (StatefulSet 52 so its pods'
revision label fits, LWS 45, others 63) for short, long, dotted and digit-first deployment
names, keep the role and unit readable, and stay distinct for distinct inputs; label values
stay within 63; every rendered object's names and labels obey these limits; the template hash
ignores key order and its own annotation but sees any change; the rank patch copies the
backend's index labels into tokenfleet's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tokenfleet.workloads import labels, lws, naming, router, units

from . import fleet

DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

NAMES = [
    "deepseek-v3",
    "r1",
    "a" * 63,
    "deepseek-r1-0528-with-a-rather-long-name-for-a-production-fleet",
    "deepseek.v3.prod",
    "3fleet",
    "x" * 253,
]


@pytest.mark.parametrize("deployment", NAMES)
def test_unit_names_are_dns_labels_that_leave_room_for_the_revision_hash(deployment: str) -> None:
    name = naming.unit_name(deployment, "prefill", 511)
    assert DNS_1035.match(name)
    assert len(name) <= 52
    assert len(f"{name}-0123456789") <= 63  # controller-revision-hash label of its pods
    assert name.endswith("-prefill-511")


@pytest.mark.parametrize("deployment", NAMES)
def test_lws_and_router_names_fit_their_budgets(deployment: str) -> None:
    lws_name = naming.leaderworkerset_name(deployment, "decode")
    assert DNS_1035.match(lws_name)
    assert len(lws_name) <= 45
    # Worker StatefulSet of group 9999 with its revision hash, and a pod of that group.
    assert len(f"{lws_name}-9999-0123456789") <= 63
    assert len(f"{lws_name}-9999-511") <= 63
    router_name = naming.router_name(deployment)
    assert DNS_1035.match(router_name)
    assert len(router_name) <= 63
    assert router_name.endswith("-router")


def test_short_valid_names_are_kept_as_written() -> None:
    assert naming.unit_name("deepseek-v3", "decode", 7) == "deepseek-v3-decode-7"
    assert naming.leaderworkerset_name("r1", "prefill") == "r1-prefill"
    assert naming.router_name("deepseek-v3") == "deepseek-v3-router"


def test_distinct_deployments_keep_distinct_names_after_cutting() -> None:
    base = "deepseek-r1-0528-with-a-rather-long-name-for-a-production-fleet"
    names = {naming.unit_name(base + suffix, "decode", 0) for suffix in ("-a", "-b", "-c")}
    assert len(names) == 3
    assert naming.unit_name("deepseek.v3", "decode", 0) != naming.unit_name(
        "deepseek-v3", "decode", 0
    )


def test_names_are_deterministic() -> None:
    long = "x" * 200
    assert naming.unit_name(long, "prefill", 3) == naming.unit_name(long, "prefill", 3)


@pytest.mark.parametrize("text", ["deepseek-v3", "a" * 64, "x" * 253, "-leading.dash-", "a b"])
def test_label_values_are_valid_and_at_most_63(text: str) -> None:
    value = naming.label_value(text)
    assert len(value) <= 63
    assert LABEL_VALUE.match(value)


def names_and_labels(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (key, value) of labels and selectors, and metadata names, anywhere in `obj`."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("labels", "matchLabels", "selector", "nodeSelector") and isinstance(
                    v, dict
                ):
                    found.extend((lk, lv) for lk, lv in v.items() if isinstance(lv, str))
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    walk(obj)
    found.append(("metadata.name", obj["metadata"]["name"]))
    return found


def test_every_rendered_object_of_a_long_named_deployment_obeys_the_limits() -> None:
    infd = fleet.deployment(
        "sglang",
        metadata={"name": "deepseek.r1-" + "very-long-" * 20 + "fleet"},
        spec={"nodePoolRef": {"name": "h800-" + "pool-" * 40 + "x"}},
    )
    pool = fleet.pool()
    objects = [
        *units.unit_objects(infd, pool, "decode", 12),
        lws.leaderworkerset(infd, pool, "prefill", 3),
        *router.router_objects(infd),
    ]
    for obj in objects:
        for key, value in names_and_labels(obj):
            assert len(value) <= 63, (key, value)
            assert LABEL_VALUE.match(value), (key, value)
        assert DNS_1035.match(obj["metadata"]["name"])
    # Engine pods select the pool label exactly as node-pool providers are told to write it.
    node_selector = objects[1]["spec"]["template"]["spec"]["nodeSelector"]
    assert node_selector == labels.pool_label(infd.spec.node_pool_ref.name)


def template() -> dict[str, Any]:
    return {
        "metadata": {"labels": {"a": "1", "b": "2"}, "annotations": {"x": "y"}},
        "spec": {"containers": [{"name": "engine", "image": "img:1"}]},
    }


def test_the_template_hash_ignores_key_order_and_its_own_annotation() -> None:
    reordered = {
        "spec": {"containers": [{"image": "img:1", "name": "engine"}]},
        "metadata": {"annotations": {"x": "y"}, "labels": {"b": "2", "a": "1"}},
    }
    assert labels.template_hash(template()) == labels.template_hash(reordered)
    stamped = template()
    digest = labels.stamp(stamped)
    assert stamped["metadata"]["annotations"][labels.TEMPLATE_HASH] == digest
    assert labels.template_hash(stamped) == digest


def test_the_template_hash_sees_any_change() -> None:
    changed = template()
    changed["spec"]["containers"][0]["image"] = "img:2"
    assert labels.template_hash(changed) != labels.template_hash(template())


def test_a_spec_change_changes_the_units_template_hash() -> None:
    pool = fleet.pool()
    before = units.unit_objects(fleet.deployment("sglang"), pool, "prefill", 0)[1]
    image = {"engine": {"image": "lmsysorg/sglang:v0.5.24"}}
    after = units.unit_objects(fleet.deployment("sglang", spec=image), pool, "prefill", 0)[1]
    again = units.unit_objects(fleet.deployment("sglang"), pool, "prefill", 0)[1]
    key = labels.TEMPLATE_HASH
    assert before["metadata"]["annotations"][key] != after["metadata"]["annotations"][key]
    assert before == again


@pytest.mark.parametrize(
    ("pod_labels", "patch"),
    [
        ({labels.STATEFULSET_POD_INDEX: "3"}, {labels.RANK: "3"}),
        ({labels.STATEFULSET_POD_INDEX: "3", labels.RANK: "3"}, None),
        (
            {labels.LWS_WORKER_INDEX: "0", labels.LWS_GROUP_INDEX: "2"},
            {labels.RANK: "0", labels.UNIT: "2"},
        ),
        ({}, None),
    ],
)  # fmt: skip
def test_the_rank_patch_copies_the_backends_index_labels(
    pod_labels: dict[str, str], patch: dict[str, str] | None
) -> None:
    pod = {"metadata": {"labels": pod_labels}}
    expected = None if patch is None else {"metadata": {"labels": patch}}
    assert labels.rank_patch(pod) == expected
