"""The documented scrape config turns pod labels into the target labels queries group by."""

from __future__ import annotations

from tokenfleet.signals import labels


def test_prometheus_spells_pod_labels_with_underscores() -> None:
    assert labels.prometheus_name("tokenfleet.io/deployment") == "tokenfleet_io_deployment"


def test_the_queries_group_by_labels_the_relabelling_writes() -> None:
    written = {rule.get("target_label") for rule in labels.RELABEL_CONFIGS}
    assert set(labels.BY_ROLE) | {labels.NODE, labels.POD, labels.UNIT} <= written


def test_only_pods_with_a_role_label_are_kept() -> None:
    keep = [rule for rule in labels.RELABEL_CONFIGS if rule["action"] == "keep"]
    assert keep == [
        {
            "source_labels": ["__meta_kubernetes_pod_label_tokenfleet_io_role"],
            "regex": ".+",
            "action": "keep",
        }
    ]


def test_the_deployment_and_role_come_from_the_pod_labels_the_workloads_write() -> None:
    sources = {
        rule["target_label"]: rule["source_labels"][0]
        for rule in labels.RELABEL_CONFIGS
        if "target_label" in rule
    }
    assert sources[labels.DEPLOYMENT] == "__meta_kubernetes_pod_label_tokenfleet_io_deployment"
    assert sources[labels.ROLE] == "__meta_kubernetes_pod_label_tokenfleet_io_role"
    assert sources[labels.NODE] == "__meta_kubernetes_pod_node_name"
