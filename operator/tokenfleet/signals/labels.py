"""The labels that tie an engine's metrics to the deployment and role it serves.

tokenfleet puts `tokenfleet.io/deployment`, `tokenfleet.io/role` and `tokenfleet.io/unit` on every
engine pod. The engines know nothing of them, so Prometheus must copy them onto the scraped
series as target labels. Prometheus turns the dots and slashes of a pod label into underscores
(`__meta_kubernetes_pod_label_tokenfleet_io_role`); the scrape config keeps them under those
names, plus `namespace`, `pod` and `node` (the node joins DCGM's GPU metrics to engine pods).
`RELABEL_CONFIGS` is exactly that, for a plain `kubernetes_sd_configs` pod job; a
ServiceMonitor/PodMonitor writes the same rules as `relabelings` (sourceLabels, targetLabel),
with `__meta_kubernetes_pod_node_name` -> `node`. DCGM's exporter needs no relabelling: its
`Hostname` (or, from 2026 on, `hostname`) label carries the node name.
"""

from __future__ import annotations

from typing import Any

from tokenfleet.workloads import labels as pod_labels

# Pod labels tokenfleet writes on engine pods (the deployment's is `naming.label_value` of
# its name, which is the name itself unless that is too long for a label).
POD_DEPLOYMENT = pod_labels.DEPLOYMENT
POD_ROLE = pod_labels.ROLE
POD_UNIT = pod_labels.UNIT

# The same, as Prometheus target labels on every engine series.
NAMESPACE = "namespace"
DEPLOYMENT = "tokenfleet_io_deployment"
ROLE = "tokenfleet_io_role"
UNIT = "tokenfleet_io_unit"
POD = "pod"
NODE = "node"

# What every per-role query groups by.
BY_ROLE = (NAMESPACE, DEPLOYMENT, ROLE)

# DCGM's host label, spelled both ways (renamed after release 4.5.3-4.8.2).
DCGM_HOST_LABELS = ("Hostname", "hostname")


def prometheus_name(pod_label: str) -> str:
    """The name Prometheus's Kubernetes discovery gives a pod label (non-alphanumerics -> `_`)."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in pod_label)


def _keep(source: str, target: str) -> dict[str, Any]:
    return {"source_labels": [source], "target_label": target, "action": "replace"}


RELABEL_CONFIGS: list[dict[str, Any]] = [
    # Scrape only tokenfleet's engine pods.
    {
        "source_labels": [f"__meta_kubernetes_pod_label_{prometheus_name(POD_ROLE)}"],
        "regex": ".+",
        "action": "keep",
    },
    _keep(f"__meta_kubernetes_pod_label_{prometheus_name(POD_DEPLOYMENT)}", DEPLOYMENT),
    _keep(f"__meta_kubernetes_pod_label_{prometheus_name(POD_ROLE)}", ROLE),
    _keep(f"__meta_kubernetes_pod_label_{prometheus_name(POD_UNIT)}", UNIT),
    _keep("__meta_kubernetes_namespace", NAMESPACE),
    _keep("__meta_kubernetes_pod_name", POD),
    _keep("__meta_kubernetes_pod_node_name", NODE),
]
