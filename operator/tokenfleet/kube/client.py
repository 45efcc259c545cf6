"""A small, typed facade over the Kubernetes dynamic client.

Everything tokenfleet writes goes through `Kube.apply` (server-side apply with one field
manager), so reconciling twice writes nothing the second time: the API server treats an
identical apply as a no-op and the resourceVersion stays. Calls are synchronous; kopf runs sync
handlers in its thread pool, and async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Mapping
from typing import Any, cast

from kubernetes import client, config, dynamic
from kubernetes.client import exceptions as k8s_exceptions
from kubernetes.dynamic import exceptions as dyn_exceptions

FIELD_MANAGER = "tokenfleet"
Obj = dict[str, Any]


def _plain(_client: Any, obj: Obj) -> Obj:
    """Keep the server's JSON as dicts: the dynamic client's ResourceInstance wrappers (and
    their `to_dict`) cost more CPU than the request itself on lists of hundreds of pods."""
    return obj


class KubeError(Exception):
    """An API call failed; `status` is the HTTP status code and the message is the server's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class NotFound(KubeError):
    """The object (or its kind) does not exist."""


def _wrap(exc: Exception) -> KubeError:
    status = int(getattr(exc, "status", 0) or 0)
    body = getattr(exc, "body", None) or getattr(exc, "summary", lambda: str(exc))
    message = body() if callable(body) else str(body)
    if status == 404:
        return NotFound(status, message)
    return KubeError(status, message)


class Kube:
    """Reads and writes any kind by apiVersion and kind."""

    def __init__(self, api_client: client.ApiClient) -> None:
        # Controllers run in kopf's thread pool and share this client: one connection each.
        api_client.rest_client.pool_manager.connection_pool_kw["maxsize"] = 32
        self.api_client = api_client
        self._dynamic = dynamic.DynamicClient(api_client)  # type: ignore[no-untyped-call]

    @classmethod
    def from_kubeconfig(cls, path: str | pathlib.Path | None = None) -> Kube:
        """From a kubeconfig file, or in-cluster config when none is given and none is found."""
        if path is None:
            try:
                config.load_incluster_config()  # type: ignore[no-untyped-call]
                return cls(client.ApiClient())
            except config.ConfigException:
                pass
        return cls(config.new_client_from_config(config_file=str(path) if path else None))  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]

    def _resource(self, api_version: str, kind: str) -> Any:
        try:
            return self._dynamic.resources.get(api_version=api_version, kind=kind)
        except dyn_exceptions.ResourceNotFoundError as exc:
            raise NotFound(404, f"the API server does not serve {kind} in {api_version}") from exc

    def apply(self, obj: Mapping[str, Any], field_manager: str = FIELD_MANAGER) -> Obj:
        """Server-side apply `obj` as `field_manager`, taking ownership of its fields."""
        res = self._resource(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        try:
            out = res.server_side_apply(
                serializer=_plain,
                body=dict(obj),
                name=meta["name"],
                namespace=meta.get("namespace"),
                field_manager=field_manager,
                force_conflicts=True,
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            raise _wrap(exc) from exc
        return cast(Obj, out)

    def apply_status(self, obj: Mapping[str, Any], field_manager: str = FIELD_MANAGER) -> Obj:
        """Server-side apply the status subresource of `obj`.

        Writers of different parts of one status use different field managers: an apply
        removes the fields its manager applied before and left out this time.
        """
        res = self._resource(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        try:
            out = res.status.server_side_apply(
                serializer=_plain,
                body=dict(obj),
                name=meta["name"],
                namespace=meta.get("namespace"),
                field_manager=field_manager,
                force_conflicts=True,
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            raise _wrap(exc) from exc
        return cast(Obj, out)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        try:
            out = self._resource(api_version, kind).get(
                name=name, namespace=namespace, serializer=_plain
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            raise _wrap(exc) from exc
        return cast(Obj, out)

    def get_or_none(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        try:
            return self.get(api_version, kind, name, namespace)
        except NotFound:
            return None

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        field_selector: str | None = None,
    ) -> list[Obj]:
        selector = ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or None
        try:
            out = self._resource(api_version, kind).get(
                namespace=namespace,
                label_selector=selector,
                field_selector=field_selector,
                serializer=_plain,
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            raise _wrap(exc) from exc
        return cast(list[Obj], out.get("items") or [])

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        propagation: str = "Background",
    ) -> bool:
        """Delete; True if it was there, False if it was already gone."""
        try:
            self._resource(api_version, kind).delete(
                name=name, namespace=namespace, body={"propagationPolicy": propagation}
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            err = _wrap(exc)
            if isinstance(err, NotFound):
                return False
            raise err from exc
        return True

    def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Mapping[str, Any],
        namespace: str | None = None,
    ) -> Obj:
        """A JSON merge patch (for small edits such as labels or cordon)."""
        try:
            out = self._resource(api_version, kind).patch(
                serializer=_plain,
                name=name,
                namespace=namespace,
                body=dict(patch),
                content_type="application/merge-patch+json",
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            raise _wrap(exc) from exc
        return cast(Obj, out)

    def event(
        self,
        regarding: Mapping[str, Any],
        reason: str,
        message: str,
        *,
        type_: str = "Normal",
        now_rfc3339: str,
    ) -> None:
        """Record a core/v1 Event about `regarding` (best effort: failures are swallowed)."""
        meta = regarding["metadata"]
        namespace = meta.get("namespace") or "default"
        body = client.CoreV1Event(
            metadata=client.V1ObjectMeta(generate_name=f"{meta['name']}.", namespace=namespace),
            involved_object=client.V1ObjectReference(
                api_version=regarding["apiVersion"],
                kind=regarding["kind"],
                name=meta["name"],
                namespace=meta.get("namespace"),
                uid=meta.get("uid"),
            ),
            reason=reason,
            message=message[:1024],
            type=type_,
            first_timestamp=now_rfc3339,
            last_timestamp=now_rfc3339,
            count=1,
            source=client.V1EventSource(component="tokenfleet"),
            reporting_component="tokenfleet",
            reporting_instance="tokenfleet",
        )
        with contextlib.suppress(k8s_exceptions.ApiException):
            client.CoreV1Api(self.api_client).create_namespaced_event(namespace, body)
