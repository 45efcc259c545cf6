"""A small, typed facade over the Kubernetes dynamic client.

Everything tokenfleet writes goes through `Kube.apply` (server-side apply with one field
manager). Calls are synchronous; kopf runs sync handlers in its thread pool, and async callers
use `asyncio.to_thread`.

Once `watch` has started informers for some kinds, reads of those kinds come from memory
(`kube.informer`), and an apply whose content is already in the cached object and equal to what
this process last applied is not sent at all: a reconcile that changes nothing makes no request.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import pathlib
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from kubernetes import client, config, dynamic
from kubernetes.client import exceptions as k8s_exceptions
from kubernetes.dynamic import exceptions as dyn_exceptions

from tokenfleet.kube import informer as informer_mod

FIELD_MANAGER = "tokenfleet"
Obj = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")

WRITERS = 8
"""Requests `Kube.each` keeps in flight: a pool step that creates a hundred Nodes, or a
reconcile that labels a hundred new pods, waits for the API server's round trips side by side
instead of one after another."""


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
        self._informers: dict[tuple[str, str], informer_mod.Informer] = {}
        self._applied: dict[tuple[str, str, str, str, str, bool], str] = {}
        """Digest of the last body this process applied, per object, field manager and
        subresource: an apply is skipped only when it would send the same body again."""
        self._applied_lock = threading.Lock()
        self._writers = concurrent.futures.ThreadPoolExecutor(
            max_workers=WRITERS, thread_name_prefix="kube-writer"
        )
        self.requests = 0
        """Requests sent to the API server (reads and writes), for benchmarks."""
        self.skipped_writes = 0
        """Applies not sent because the cache already held their content."""

    # --- watch-backed reads ----------------------------------------------------------------------

    def watch(
        self,
        kinds: Iterable[tuple[str, str, Mapping[str, str] | None]],
        *,
        sync_timeout: float = 60.0,
    ) -> dict[tuple[str, str], informer_mod.Informer]:
        """Start informers for `(apiVersion, kind, scope labels)` and wait for their first lists.

        Kinds the API server does not serve are left to direct reads.
        """
        started = []
        for api_version, kind, scope in kinds:
            if (api_version, kind) in self._informers:
                continue
            try:
                resource = self._resource(api_version, kind)
            except NotFound:
                continue
            inf = informer_mod.Informer(resource, kind, scope)
            self._informers[(api_version, kind)] = inf
            inf.start()
            started.append(inf)
        for inf in started:
            inf.wait_synced(sync_timeout)
        return dict(self._informers)

    def informer(
        self, api_version: str, kind: str, labels: Mapping[str, str] | None = None
    ) -> informer_mod.Informer | None:
        """The synced informer of a kind whose scope covers `labels`, or None (reads then go
        to the API server)."""
        inf = self._informers.get((api_version, kind))
        if inf is None or not inf.wait_synced(0) or not inf.covers(labels):
            return None
        return inf

    def _scoped_informer(self, api_version: str, kind: str) -> informer_mod.Informer | None:
        """The synced informer of a kind, whatever its scope (for reads by name)."""
        inf = self._informers.get((api_version, kind))
        return inf if inf is not None and inf.wait_synced(0) else None

    def stop_watching(self) -> None:
        informers, self._informers = list(self._informers.values()), {}
        for inf in informers:
            inf.stop()

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
        self.stop_watching()
        self._writers.shutdown(wait=True)
        self.api_client.close()  # type: ignore[no-untyped-call]

    def each(self, call: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`call` on every item, `WRITERS` at a time; results in the items' order. The first
        exception is raised once every call has ended (none is left running behind)."""
        batch = list(items)
        if len(batch) <= 1:
            return [call(item) for item in batch]
        futures = [self._writers.submit(call, item) for item in batch]
        concurrent.futures.wait(futures)
        return [f.result() for f in futures]

    def _resource(self, api_version: str, kind: str) -> Any:
        try:
            return self._dynamic.resources.get(api_version=api_version, kind=kind)
        except dyn_exceptions.ResourceNotFoundError as exc:
            raise NotFound(404, f"the API server does not serve {kind} in {api_version}") from exc

    def serves(self, api_version: str, kind: str) -> bool:
        """Whether the API server serves `kind` in `api_version` (from discovery)."""
        try:
            self._resource(api_version, kind)
        except NotFound:
            return False
        return True

    def _unchanged(
        self, obj: Mapping[str, Any], field_manager: str, status: bool
    ) -> tuple[tuple[str, str, str, str, str, bool], str, Obj | None]:
        """The apply's memory key, its digest, and the cached object when sending it would
        change nothing (the cache holds every field of `obj` and we sent this very body)."""
        meta = obj["metadata"]
        key = (
            obj["apiVersion"],
            obj["kind"],
            str(meta.get("namespace") or ""),
            str(meta["name"]),
            field_manager,
            status,
        )
        digest = hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()
        inf = self.informer(obj["apiVersion"], obj["kind"], meta.get("labels"))
        if inf is None:
            return key, digest, None
        with self._applied_lock:
            same = self._applied.get(key) == digest
        if not same:
            return key, digest, None
        live = inf.get(str(meta["name"]), meta.get("namespace"))
        if live is None or (live.get("metadata") or {}).get("deletionTimestamp"):
            return key, digest, None
        part = "status" if status else None
        wanted = obj.get(part) if part else {k: v for k, v in obj.items() if k != "status"}
        have = live.get(part) if part else live
        return key, digest, live if contains(have, wanted) else None

    def _applied_now(
        self, key: tuple[str, str, str, str, str, bool], digest: str, out: Obj
    ) -> None:
        with self._applied_lock:
            self._applied[key] = digest
        inf = self._informers.get((key[0], key[1]))
        if inf is not None:
            inf.remember(out)

    def apply(self, obj: Mapping[str, Any], field_manager: str = FIELD_MANAGER) -> Obj:
        """Server-side apply `obj` as `field_manager`, taking ownership of its fields."""
        memo, digest, live = self._unchanged(obj, field_manager, status=False)
        if live is not None:
            self.skipped_writes += 1
            return live
        res = self._resource(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        self.requests += 1
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
        self._applied_now(memo, digest, cast(Obj, out))
        return cast(Obj, out)

    def apply_status(self, obj: Mapping[str, Any], field_manager: str = FIELD_MANAGER) -> Obj:
        """Server-side apply the status subresource of `obj`.

        Writers of different parts of one status use different field managers: an apply
        removes the fields its manager applied before and left out this time.
        """
        memo, digest, live = self._unchanged(obj, field_manager, status=True)
        if live is not None:
            self.skipped_writes += 1
            return live
        res = self._resource(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        self.requests += 1
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
        self._applied_now(memo, digest, cast(Obj, out))
        return cast(Obj, out)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        inf = self._scoped_informer(api_version, kind)
        if inf is not None:
            found = inf.get(name, namespace)
            if found is not None:
                return found
            if not inf.scope:
                raise NotFound(404, f'{kind} "{name}" not found')
        self.requests += 1
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
        *,
        fresh: bool = False,
    ) -> list[Obj]:
        """Objects of a kind, from the cache when one is synced unless `fresh` asks the API
        server (for a decision that must see what landed a moment ago)."""
        selector = ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or None
        inf = None if fresh else self.informer(api_version, kind, labels)
        if inf is not None:
            try:
                return inf.list(namespace, selector, field_selector)
            except ValueError:
                pass  # a selector the cache does not understand: ask the server
        self.requests += 1
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
        grace_period_seconds: int | None = None,
    ) -> bool:
        """Delete; True if it was there, False if it was already gone. `grace_period_seconds`
        overrides the object's own (0: at once, as after a drain's timeout)."""
        inf = self._informers.get((api_version, kind))
        options: dict[str, Any] = {"propagationPolicy": propagation}
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        self.requests += 1
        try:
            out = self._resource(api_version, kind).delete(
                serializer=_plain,
                name=name,
                namespace=namespace,
                body=options,
            )
        except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
            err = _wrap(exc)
            if isinstance(err, NotFound):
                if inf is not None:
                    inf.forget(None, (namespace or "", name))
                return False
            raise err from exc
        if inf is not None:
            inf.forget(out if isinstance(out, dict) else None, (namespace or "", name))
        return True

    def evict(self, name: str, namespace: str) -> bool:
        """Ask the Eviction API to remove pod `namespace/name`, honouring its disruption
        budgets: True when it goes (or was gone), False when a budget refuses it now (429)."""
        body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=namespace))
        self.requests += 1
        try:
            client.CoreV1Api(self.api_client).create_namespaced_pod_eviction(name, namespace, body)
        except k8s_exceptions.ApiException as exc:
            if exc.status == 404:
                return True
            if exc.status == 429:
                return False
            raise _wrap(exc) from exc
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
        self.requests += 1
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
        inf = self._informers.get((api_version, kind))
        if inf is not None:
            inf.remember(cast(Obj, out))
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
        self.requests += 1
        with contextlib.suppress(k8s_exceptions.ApiException):
            client.CoreV1Api(self.api_client).create_namespaced_event(namespace, body)


def contains(have: Any, want: Any) -> bool:
    """True when `have` holds every field of `want` with the same value (extra fields in `have`,
    such as server defaults, are allowed; lists must match item by item)."""
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(
            k in have and contains(have[k], v) for k, v in want.items()
        )
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(have) == len(want)
            and all(contains(h, w) for h, w in zip(have, want, strict=True))
        )
    if isinstance(want, bool) or isinstance(have, bool):
        return have is want
    if isinstance(want, int | float) and isinstance(have, int | float):
        return float(have) == float(want)
    return bool(have == want)
