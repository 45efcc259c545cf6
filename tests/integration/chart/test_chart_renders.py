"""The chart rendered by the pinned helm: `helm lint --strict`; `helm template` with default and
non-default values (objects, operator configuration through TOKENFLEET_* env, pod security,
image, monitoring objects only where their API is served, RBAC in both scopes, peering on and
off, the dashboards and rules); and values refused by values.schema.json or by the chart's
cross-field checks with a message that names the value and what is allowed."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
import yaml
from tests.integration.chart import helm as h
from tests.support import cluster as cluster_support

pytestmark = pytest.mark.integration

NAMESPACED: dict[str, Any] = {"operator": {"watchNamespaces": ["team-a", "team-b"]}}


@pytest.mark.parametrize(
    "values",
    [
        {},
        NAMESPACED,
        {"replicaCount": 0, "peering": {"enabled": False}, "rbac": {"create": False}},
        {"metrics": {"serviceMonitor": {"enabled": True}}, "prometheusRule": {"enabled": True}},
    ],
    ids=["defaults", "namespaced", "bare", "monitoring"],
)
def test_helm_lint_passes_strict(helm: h.Helm, values: dict[str, Any]) -> None:
    out = helm.run("lint", "--strict", str(h.CHART), values=values)
    assert "1 chart(s) linted, 0 chart(s) failed" in out.stdout


def test_defaults_render_the_operator_and_no_monitoring_object_the_cluster_cannot_serve(
    helm: h.Helm,
) -> None:
    docs = helm.template()
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        ["ServiceAccount", "Deployment", "Service", "ClusterKopfPeering"]
        + ["ClusterRole"] * 2
        + ["ClusterRoleBinding"] * 2
        + ["CustomResourceDefinition"] * 2  # kopf's peering kinds; tokenfleet's are in crds/
        + ["ConfigMap"] * len(list((h.CHART / "dashboards").glob("*.json")))
    )
    deployment = h.one(docs, "Deployment")
    assert deployment["metadata"]["name"] == "tokenfleet"
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    service = h.one(docs, "Service")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_the_operator_is_configured_through_its_tokenfleet_env(helm: h.Helm) -> None:
    docs = helm.template(
        {
            "operator": {
                "watchNamespaces": ["team-a", "team-b"],
                "verbose": True,
                "prometheusURL": "http://prometheus.monitoring.svc:9090",
                "clock": {"start": "2025-01-06T00:00:00+00:00", "speed": 288, "anchor": 1.5e9},
                "extraEnv": [{"name": "EXTRA", "value": "1"}],
                "extraArgs": ["--kubeconfig=/dev/null"],
            },
            "peering": {"name": "fleet-peers"},
            "metrics": {"port": 9100},
        },
        release="prod",
    )
    assert h.env(docs) == {
        "TOKENFLEET_METRICS_PORT": "9100",
        "TOKENFLEET_METRICS_HOST": "0.0.0.0",
        "TOKENFLEET_NAMESPACES": "team-a,team-b",
        "TOKENFLEET_PROMETHEUS_URL": "http://prometheus.monitoring.svc:9090",
        "TOKENFLEET_PEERING": "fleet-peers",
        "TOKENFLEET_CLOCK_START": "2025-01-06T00:00:00+00:00",
        "TOKENFLEET_CLOCK_SPEED": "288",
        "TOKENFLEET_CLOCK_ANCHOR": "1.5e+09",
        "EXTRA": "1",
    }
    assert float(h.env(docs)["TOKENFLEET_CLOCK_ANCHOR"]) == 1.5e9  # what `tokenfleet run` parses
    assert h.container(docs)["args"] == ["run", "--verbose", "--kubeconfig=/dev/null"]
    assert h.container(docs)["ports"] == [
        {"name": "metrics", "containerPort": 9100, "protocol": "TCP"}
    ]
    assert h.one(docs, "Deployment")["metadata"]["name"] == "prod-tokenfleet"


def test_the_default_image_is_the_project_image_at_the_chart_app_version(helm: h.Helm) -> None:
    chart = yaml.safe_load((h.CHART / "Chart.yaml").read_text())
    pyproject = tomllib.loads((cluster_support.ROOT / "pyproject.toml").read_text())
    assert chart["appVersion"] == pyproject["project"]["version"]
    image = h.container(helm.template())["image"]
    assert image == f"tokenfleet/operator:{chart['appVersion']}"
    first = image.split("/")[0]
    assert "." not in first and ":" not in first, "a registry host in the default image"
    digest = "sha256:" + "ab" * 32
    pinned = helm.template({"image": {"digest": digest, "repository": "mirror.example/tf/op"}})
    assert h.container(pinned)["image"] == f"mirror.example/tf/op@{digest}"


def test_the_pod_runs_non_root_read_only_with_tcp_probes_on_the_metrics_port(
    helm: h.Helm,
) -> None:
    docs = helm.template()
    pod = h.one(docs, "Deployment")["spec"]["template"]["spec"]
    box = h.container(docs)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532  # the Dockerfile's USER
    assert box["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert box["livenessProbe"]["tcpSocket"] == {"port": "metrics"}
    assert box["readinessProbe"]["tcpSocket"] == {"port": "metrics"}
    assert {"name": "tmp", "mountPath": "/tmp"} in box["volumeMounts"]
    assert box["resources"]["limits"]["memory"] == "1Gi"


@pytest.mark.parametrize(
    ("values", "api_versions", "expected"),
    [
        ({}, (), set()),
        ({}, h.MONITORING, {"ServiceMonitor", "PrometheusRule"}),
        ({}, h.MONITORING[:1], {"ServiceMonitor"}),
        (
            {"metrics": {"serviceMonitor": {"enabled": True}}, "prometheusRule": {"enabled": True}},
            (),
            {"ServiceMonitor", "PrometheusRule"},
        ),
        (
            {
                "metrics": {"serviceMonitor": {"enabled": False}},
                "prometheusRule": {"enabled": False},
            },
            h.MONITORING,
            set(),
        ),
    ],
    ids=["auto-absent", "auto-served", "auto-only-servicemonitor", "forced-on", "forced-off"],
)
def test_monitoring_objects_render_where_their_api_is_served_or_when_forced(
    helm: h.Helm, values: dict[str, Any], api_versions: tuple[str, ...], expected: set[str]
) -> None:
    docs = helm.template(values, api_versions=api_versions)
    assert {d["kind"] for d in docs} & {"ServiceMonitor", "PrometheusRule"} == expected


def test_the_service_monitor_scrapes_the_metrics_service(helm: h.Helm) -> None:
    docs = helm.template(
        {"metrics": {"serviceMonitor": {"labels": {"release": "kps"}, "interval": "15s"}}},
        api_versions=h.MONITORING,
    )
    monitor = h.one(docs, "ServiceMonitor")
    service = h.one(docs, "Service")
    assert monitor["metadata"]["labels"]["release"] == "kps"
    selected = monitor["spec"]["selector"]["matchLabels"]
    assert selected.items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "15s", "scrapeTimeout": "10s"}
    ]


def test_the_dashboards_are_sidecar_labelled_config_maps(helm: h.Helm) -> None:
    files = sorted(p.name for p in (h.CHART / "dashboards").glob("*.json"))
    assert files, "the chart ships dashboards"
    docs = helm.template(
        {
            "dashboards": {
                "namespace": "monitoring",
                "label": "grafana_dashboard",
                "labelValue": "tokenfleet",
                "annotations": {"grafana_folder": "tokenfleet"},
            }
        }
    )
    maps = h.of_kind(docs, "ConfigMap")
    assert sorted(name for m in maps for name in m["data"]) == files
    for config_map in maps:
        assert config_map["metadata"]["namespace"] == "monitoring"
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "tokenfleet"
        assert config_map["metadata"]["annotations"] == {"grafana_folder": "tokenfleet"}
        for text in config_map["data"].values():
            assert json.loads(text)["title"]
    assert not h.of_kind(helm.template({"dashboards": {"enabled": False}}), "ConfigMap")


def test_the_prometheus_rule_carries_the_alert_threshold_from_values(helm: h.Helm) -> None:
    docs = helm.template(
        {"alerts": {"costPerMillionTokens": 0.8}, "prometheusRule": {"labels": {"release": "kps"}}},
        api_versions=h.MONITORING,
    )
    rule = h.one(docs, "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kps"
    groups = {g["name"]: g for g in rule["spec"]["groups"]}
    assert groups["tokenfleet-thresholds"]["rules"][0]["expr"] == "vector(0.8)"
    assert any(r.get("alert") for g in groups.values() for r in g["rules"])


def test_clusterwide_rbac_binds_both_roles_to_the_service_account_cluster_wide(
    helm: h.Helm,
) -> None:
    docs = helm.template(namespace="ops")
    account = h.one(docs, "ServiceAccount")["metadata"]
    assert (account["name"], account["namespace"]) == ("tokenfleet", "ops")
    bound = {b["roleRef"]["name"] for b in h.of_kind(docs, "ClusterRoleBinding")}
    assert bound == {"tokenfleet", "tokenfleet-namespaced"}
    for binding in h.of_kind(docs, "ClusterRoleBinding"):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "tokenfleet", "namespace": "ops"}
        ]
    assert not h.of_kind(docs, "RoleBinding")
    cluster = h.rules(h.one(docs, "ClusterRole", "tokenfleet"))
    assert ("kopf.dev", "clusterkopfpeerings", "patch") in cluster
    assert ("", "namespaces", "list") not in cluster  # kopf lists namespaces only when namespaced


def test_namespaced_rbac_grants_workload_writes_only_in_the_watched_namespaces(
    helm: h.Helm,
) -> None:
    docs = helm.template(NAMESPACED)
    assert not any(
        b["roleRef"]["name"] == "tokenfleet-namespaced"
        for b in h.of_kind(docs, "ClusterRoleBinding")
    )
    bindings = {
        (b["metadata"]["namespace"], b["roleRef"]["kind"], b["roleRef"]["name"])
        for b in h.of_kind(docs, "RoleBinding")
    }
    assert bindings == {
        ("team-a", "ClusterRole", "tokenfleet-namespaced"),
        ("team-b", "ClusterRole", "tokenfleet-namespaced"),
        ("default", "Role", "tokenfleet-events"),  # events about cluster-scoped GPUNodePools
    }
    namespaced = h.rules(h.one(docs, "ClusterRole", "tokenfleet-namespaced"))
    assert ("kopf.dev", "kopfpeerings", "patch") in namespaced
    cluster = h.rules(h.one(docs, "ClusterRole", "tokenfleet"))
    assert ("kopf.dev", "clusterkopfpeerings", "patch") not in cluster
    assert ("", "namespaces", "watch") in cluster
    peerings = h.of_kind(docs, "KopfPeering")
    assert sorted(p["metadata"]["namespace"] for p in peerings) == ["team-a", "team-b"]
    assert not h.of_kind(docs, "ClusterKopfPeering")


def test_rbac_grants_no_wildcard_secrets_or_rbac_rights(helm: h.Helm) -> None:
    for values in ({}, NAMESPACED):
        docs = helm.template(values)
        granted = set().union(*(h.rules(r) for r in h.of_kind(docs, "ClusterRole")))
        granted |= set().union(*(h.rules(r) for r in h.of_kind(docs, "Role")))
        assert not {g for g in granted if "*" in g}
        resources = {resource for _, resource, _ in granted}
        assert not resources & {"secrets", "configmaps", "clusterroles", "clusterrolebindings"}
        assert not {verb for _, _, verb in granted} & {"escalate", "bind", "impersonate"}
        # Roles and their bindings only where the operator renders workloads (the routers'
        # pod-watching Role), never cluster-wide.
        cluster = h.rules(h.one(docs, "ClusterRole", "tokenfleet"))
        assert not {res for _, res, _ in cluster} & {"roles", "rolebindings", "serviceaccounts"}
        namespaced = h.rules(h.one(docs, "ClusterRole", "tokenfleet-namespaced"))
        assert ("rbac.authorization.k8s.io", "roles", "create") in namespaced
        writes = {(group, res) for group, res, verb in granted if verb in ("create", "delete")}
        assert ("apiextensions.k8s.io", "customresourcedefinitions") not in writes
        assert ("", "namespaces") not in writes


def test_provider_and_backend_switches_drop_their_rules(helm: h.Helm) -> None:
    def groups(values: dict[str, Any]) -> set[str]:
        docs = helm.template(values)
        return {g for r in h.of_kind(docs, "ClusterRole") for g, _, _ in h.rules(r)}

    everything = groups({})
    assert {"cluster.x-k8s.io", "karpenter.sh", "leaderworkerset.x-k8s.io"} <= everything
    off = groups({"rbac": {"clusterAPI": False, "karpenter": False, "leaderWorkerSet": False}})
    assert everything - off == {"cluster.x-k8s.io", "karpenter.sh", "leaderworkerset.x-k8s.io"}
    assert not h.of_kind(helm.template({"rbac": {"create": False}}), "ClusterRole")


def test_without_peering_the_operator_runs_standalone_and_nothing_of_kopf_is_rendered(
    helm: h.Helm,
) -> None:
    docs = helm.template({"peering": {"enabled": False}})
    assert "TOKENFLEET_PEERING" not in h.env(docs)
    assert not [d for d in docs if "kopf" in d["apiVersion"] or "kopf" in str(d.get("spec"))]
    assert ("kopf.dev", "clusterkopfpeerings", "patch") not in h.rules(
        h.one(docs, "ClusterRole", "tokenfleet")
    )


def test_peering_crds_are_kept_on_uninstall_and_the_peering_object_is_a_post_install_hook(
    helm: h.Helm,
) -> None:
    docs = helm.template()
    for crd in h.of_kind(docs, "CustomResourceDefinition"):
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        status = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
        assert status["x-kubernetes-preserve-unknown-fields"] is True  # where kopf writes peers
    peering = h.one(docs, "ClusterKopfPeering")
    assert peering["metadata"]["name"] == "tokenfleet"
    assert peering["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert h.env(docs)["TOKENFLEET_PEERING"] == "tokenfleet"


def test_peering_without_its_crds_still_renders_the_peering_object(helm: h.Helm) -> None:
    docs = helm.template({"peering": {"installCRDs": False, "name": "fleet"}})
    assert not h.of_kind(docs, "CustomResourceDefinition")
    assert h.one(docs, "ClusterKopfPeering")["metadata"]["name"] == "fleet"
    assert h.env(docs)["TOKENFLEET_PEERING"] == "fleet"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"replicaCount": -1}, "at '/replicaCount': minimum: got -1, want 0"),
        ({"replicas": 2}, "additional properties 'replicas' not allowed"),
        ({"image": {"digest": "sha256:abc"}}, "at '/image/digest': 'sha256:abc' does not match"),
        ({"image": {"repository": "Tokenfleet/Operator"}}, "at '/image/repository'"),
        ({"image": {"pullPolicy": "Sometimes"}}, "at '/image/pullPolicy': value must be one of"),
        ({"peering": {"enabled": "yes"}}, "at '/peering/enabled': got string, want boolean"),
        (
            {"metrics": {"serviceMonitor": {"enabled": "maybe"}}},
            "at '/metrics/serviceMonitor/enabled': value must be one of 'auto', true, false",
        ),
        ({"metrics": {"port": 70000}}, "at '/metrics/port': maximum: got 70,000, want 65,535"),
        ({"operator": {"watchNamespaces": ["Team_A"]}}, "at '/operator/watchNamespaces/0'"),
        ({"operator": {"watchNamespaces": ["a", "a"]}}, "at '/operator/watchNamespaces'"),
        ({"operator": {"clock": {"start": "2025-01-06T00:00:00"}}}, "at '/operator/clock/start'"),
        ({"operator": {"clock": {"speed": 0}}}, "at '/operator/clock/speed'"),
        ({"operator": {"prometheusURL": "prometheus:9090"}}, "at '/operator/prometheusURL'"),
        ({"dashboards": {"labelValue": 1}}, "at '/dashboards/labelValue': got number, want string"),
        ({"alerts": {"costPerMillionTokens": -1}}, "at '/alerts/costPerMillionTokens'"),
        ({"strategy": {"type": "BlueGreen"}}, "at '/strategy/type': value must be one of"),
        ({"rbac": {"nodes": False}}, "additional properties 'nodes' not allowed"),
    ],
)
def test_bad_values_are_refused_with_the_value_and_what_is_allowed(
    helm: h.Helm, values: dict[str, Any], message: str
) -> None:
    error = helm.refusal(values)
    assert "values don't meet the specifications of the schema" in error
    assert message in error


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"replicaCount": 2, "peering": {"enabled": False}},
            "replicaCount=2 needs peering.enabled=true",
        ),
        (
            {"peering": {"enabled": False}, "strategy": {"type": "RollingUpdate"}},
            "strategy.type=RollingUpdate needs peering.enabled=true",
        ),
        ({"operator": {"clock": {"anchor": 1.5e9}}}, "operator.clock.anchor needs"),
        (
            {"serviceAccount": {"create": False}},
            "rbac.create=true with serviceAccount.create=false needs serviceAccount.name",
        ),
    ],
)
def test_values_that_contradict_each_other_are_refused_with_a_fix(
    helm: h.Helm, values: dict[str, Any], message: str
) -> None:
    assert message in helm.refusal(values)


def notes(helm: h.Helm, values: dict[str, Any]) -> str:
    out = helm.run(
        "install", "tokenfleet", str(h.CHART), "--namespace", "ops", "--dry-run=client", "-o=json",
        values=values,
    )  # fmt: skip
    return str(json.loads(out.stdout)["info"]["notes"])


def test_the_notes_say_how_to_run_the_operator_and_warn_about_equal_priority_replicas(
    helm: h.Helm,
) -> None:
    single = notes(helm, {})
    assert "rollout status deployment/tokenfleet" in single
    assert 'ClusterKopfPeering "tokenfleet"' in single
    assert "WARNING" not in single
    assert "WARNING: replicaCount=2" in notes(helm, {"replicaCount": 2})
    outside = notes(helm, {"replicaCount": 0, **NAMESPACED})
    assert "create token tokenfleet" in outside
    assert "tokenfleet run --peering tokenfleet --namespace team-a --namespace team-b" in outside
