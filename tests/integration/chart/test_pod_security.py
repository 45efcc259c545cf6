"""The operator's pod meets the restricted Pod Security Standard: the API server's own
PodSecurity admission, enforcing `restricted` on a namespace, admits the pod the chart renders,
and refuses it once any of the settings that profile asks for is taken away (so the check can
fail, and each setting is shown to be needed)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.chart import helm as h
from tests.support import cluster as cluster_support

pytestmark = pytest.mark.integration

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def restricted(cluster: cluster_support.Cluster, helm: h.Helm) -> Iterator[str]:
    """A namespace whose pods must meet the restricted profile (enforced, latest version), with
    the chart's ServiceAccount in it, which the pod runs as."""
    name = f"tokenfleet-restricted-{uuid.uuid4().hex[:6]}"
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(namespace))
    account = h.one(helm.template(namespace=name), "ServiceAccount")
    cluster.kubectl("apply", "-f", "-", input=json.dumps(account))
    try:
        yield name
    finally:
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def operator_pod(helm: h.Helm, namespace: str) -> Obj:
    """The pod the chart's Deployment would create in `namespace`."""
    template = h.one(helm.template(namespace=namespace), "Deployment")["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "tokenfleet-operator", "namespace": namespace, **template["metadata"]},
        "spec": template["spec"],
    }


def create(cluster: cluster_support.Cluster, pod: Obj) -> tuple[bool, str]:
    """Create the pod in a server-side dry-run: every admission plugin runs, nothing is kept."""
    out = cluster.kubectl(
        "create", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False
    )
    return out.returncode == 0, out.stderr


def _container(pod: Obj) -> Obj:
    container: Obj = pod["spec"]["containers"][0]
    return container


WEAKENED: dict[str, Callable[[Obj], None]] = {
    "runs as root": lambda pod: pod["spec"]["securityContext"].update(
        runAsNonRoot=False, runAsUser=0
    ),
    "privilege escalation allowed": lambda pod: _container(pod)["securityContext"].update(
        allowPrivilegeEscalation=True
    ),
    "capabilities kept": lambda pod: _container(pod)["securityContext"].pop("capabilities"),
    "no seccomp profile": lambda pod: pod["spec"]["securityContext"].pop("seccompProfile"),
    "host network": lambda pod: pod["spec"].update(hostNetwork=True),
}


def test_the_restricted_profile_admits_the_operator_pod(
    cluster: cluster_support.Cluster, helm: h.Helm, restricted: str
) -> None:
    admitted, why = create(cluster, operator_pod(helm, restricted))
    assert admitted, why


@pytest.mark.parametrize("weakened", sorted(WEAKENED))
def test_the_profile_refuses_the_pod_without_each_of_its_settings(
    cluster: cluster_support.Cluster, helm: h.Helm, restricted: str, weakened: str
) -> None:
    pod = copy.deepcopy(operator_pod(helm, restricted))
    WEAKENED[weakened](pod)
    admitted, why = create(cluster, pod)
    assert not admitted, f"a pod that {weakened} was admitted"
    assert 'violates PodSecurity "restricted:latest"' in why, why
