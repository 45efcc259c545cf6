"""kopf logs in with the same credentials as the Kubernetes client tokenfleet already built.

One source of credentials: the kubeconfig (or in-cluster service account) that `Kube` loaded,
so the watch streams and the writes always talk to the same cluster as the same user.
"""

from __future__ import annotations

from typing import Any

import kopf

from tokenfleet.kube import client as kube_client


def connection_info(kube: kube_client.Kube) -> kopf.ConnectionInfo:
    conf: Any = kube.api_client.configuration
    token = (conf.api_key or {}).get("authorization") or (conf.api_key or {}).get("BearerToken")
    scheme = None
    if token:
        scheme, _, token = str(token).partition(" ") if " " in str(token) else ("Bearer", "", token)
    return kopf.ConnectionInfo(
        server=conf.host,
        ca_path=conf.ssl_ca_cert,
        insecure=not conf.verify_ssl,
        certificate_path=conf.cert_file,
        private_key_path=conf.key_file,
        scheme=scheme,
        token=token or None,
    )


def register(registry: kopf.OperatorRegistry, kube: kube_client.Kube) -> None:
    def login(**_: Any) -> kopf.ConnectionInfo:
        return connection_info(kube)

    kopf.on.login(registry=registry, id="tokenfleet-login")(login)
