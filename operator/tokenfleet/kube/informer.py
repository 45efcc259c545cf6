"""Watch-backed caches of whole kinds: one LIST at start, then a WATCH keeps them current.

Controllers read nodes, pods and their own objects many times a second on a busy fleet; a LIST
per read costs the API server and the operator seconds at a few hundred objects. An `Informer`
lists a kind once, then follows a watch from the list's resourceVersion (relisting when the
server says the version has expired, and after any broken stream), and answers reads from
memory. Writes the operator makes are folded in at once from the API server's answer
(`remember`), so a controller reads its own writes without waiting for the watch; an object
is only replaced by a newer resourceVersion, so a late watch event never rolls it back.

Each informer runs in a daemon thread of its own (the Kubernetes client is synchronous) and
tells listeners about every change, so controllers can be woken by what they watch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kubernetes.client import exceptions as k8s_exceptions
from kubernetes.dynamic import exceptions as dyn_exceptions
from kubernetes.watch import watch as k8s_watch

from tokenfleet.kube import selectors

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Key = tuple[str, str]
"""(namespace or "", name)."""
Listener = Callable[[str, Obj], None]
"""Called with the event type (ADDED, MODIFIED, DELETED) and the object, from the informer's
thread: a listener hands work to its own loop and returns at once."""

WATCH_TIMEOUT_SECONDS = 240
"""How long one watch request lasts before it is renewed (the server closes it then)."""
RETRY_SECONDS = 1.0
"""Real seconds to wait after a failed list or a broken stream before listing again."""
UNSERVED_RETRY_SECONDS = 30.0
"""Real seconds between tries of a kind the API server does not serve (its CRD may come) or
will not list to us (RBAC may change)."""


def key_of(obj: Mapping[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def resource_version(obj: Mapping[str, Any]) -> int:
    """The object's resourceVersion as a number (etcd's revision); -1 when it has none.

    resourceVersions are opaque to clients in general, but every kube-apiserver backed by etcd
    writes the store's revision there; comparing them is what keeps a late event from
    replacing a newer write.
    """
    raw = str((obj.get("metadata") or {}).get("resourceVersion") or "")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1


class Informer:
    """One kind, cluster-wide, kept in memory by list and watch; `scope` (a label selector)
    keeps only the objects carrying those labels, e.g. only tokenfleet's own Deployments."""

    def __init__(self, resource: Any, kind: str, scope: Mapping[str, str] | None = None) -> None:
        self._resource = resource
        self.kind = kind
        self.scope: Mapping[str, str] = dict(scope or {})
        self._scope_selector = ",".join(f"{k}={v}" for k, v in self.scope.items()) or None
        self._objects: dict[Key, Obj] = {}
        self._gone: dict[str, int] = {}
        """uids the operator deleted, with their last resourceVersion: late events for them
        are dropped until the watch reports the deletion."""
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._listeners: list[Listener] = []
        self._response: Any = None
        self.served = True
        self.relists = 0
        self._thread = threading.Thread(target=self._main, name=f"informer-{kind}", daemon=True)

    # --- reading -------------------------------------------------------------------------------

    def covers(self, labels: Mapping[str, str] | None) -> bool:
        """True when every object a LIST with `labels` returns is inside this informer's scope."""
        return all((labels or {}).get(k) == v for k, v in self.scope.items())

    def wait_synced(self, timeout: float) -> bool:
        """True once the first list has been stored (and the kind is served)."""
        return self._synced.wait(timeout) and self.served

    def get(self, name: str, namespace: str | None = None) -> Obj | None:
        with self._lock:
            return self._objects.get((namespace or "", name))

    def list(
        self,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[Obj]:
        """What a LIST with the same arguments would return, from memory (sorted by name)."""
        by_label = selectors.parse(label_selector)
        by_field = selectors.parse(field_selector)
        with self._lock:
            found = [
                obj
                for (ns, _), obj in self._objects.items()
                if (namespace is None or ns == namespace)
                and selectors.matches_labels(obj, by_label)
                and selectors.matches_fields(obj, by_field)
            ]
        return sorted(found, key=key_of)

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)

    # --- writes the operator made ---------------------------------------------------------------

    def remember(self, obj: Mapping[str, Any]) -> None:
        """Fold in an object the API server just returned for one of our writes."""
        if obj.get("kind") not in (None, self.kind) or not obj.get("metadata"):
            return
        if not selectors.matches_labels(obj, selectors.parse(self._scope_selector)):
            return
        self._upsert(dict(obj), notify=False)

    def forget(self, obj: Mapping[str, Any] | None, key: Key) -> None:
        """The operator deleted the object at `key`; `obj` is what the delete returned.

        A delete that returns the object with a deletionTimestamp (finalizers, grace period)
        leaves it in place, marked; one that returns a Status removed it at once.
        """
        if obj is not None and obj.get("kind") == self.kind and obj.get("metadata"):
            self._upsert(dict(obj), notify=False)
            return
        with self._lock:
            old = self._objects.pop(key, None)
            if old is not None:
                uid = (old.get("metadata") or {}).get("uid")
                if uid:
                    self._gone[str(uid)] = resource_version(old)

    # --- the watch -------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        response = self._response
        sock = getattr(getattr(response, "connection", None), "sock", None)
        if sock is not None:
            # Closing the response would wait for the reading thread; shutting the socket down
            # ends its blocking read at once.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    def _main(self) -> None:
        while not self._stop.is_set():
            try:
                version: str | None = self._relist()
                self.served = True
                self._synced.set()
                while not self._stop.is_set() and version is not None:
                    version = self._watch(version)
            except (k8s_exceptions.ApiException, dyn_exceptions.DynamicApiError) as exc:
                if getattr(exc, "status", None) in (403, 404):
                    # Not served, or not ours to list cluster-wide: reads go to the server.
                    self.served = False
                    self._synced.set()
                    self._stop.wait(UNSERVED_RETRY_SECONDS)
                    continue
                log.warning("watching %s: %s; listing again", self.kind, exc)
            except Exception:  # a broken stream or a bad line: list again, never die
                if self._stop.is_set():
                    return
                log.warning("watching %s failed; listing again", self.kind, exc_info=True)
            self._stop.wait(RETRY_SECONDS)

    def _relist(self) -> str:
        answer = self._resource.get(serializer=lambda _c, o: o, label_selector=self._scope_selector)
        items = answer.get("items") or []
        stamp = {"kind": self.kind, "apiVersion": answer.get("apiVersion")}
        fresh = {key_of(o): {**o, **stamp} for o in items}
        with self._lock:
            before = self._objects
            self._objects = fresh
            self._gone.clear()
        self.relists += 1
        for key, obj in fresh.items():
            if before.get(key) != obj:
                self._notify("ADDED" if key not in before else "MODIFIED", obj)
        for key, obj in before.items():
            if key not in fresh:
                self._notify("DELETED", obj)
        return str((answer.get("metadata") or {}).get("resourceVersion") or "")

    def _watch(self, version: str) -> str | None:
        """Follow one watch request; the version to go on from, or None to list again."""
        response = self._resource.get(
            serialize=False,
            watch=True,
            label_selector=self._scope_selector,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=WATCH_TIMEOUT_SECONDS,
            _request_timeout=(10, WATCH_TIMEOUT_SECONDS + 30),
        )
        self._response = response
        try:
            for line in _lines(response):
                event = json.loads(line)
                kind = event.get("type")
                obj = event.get("object") or {}
                if kind == "ERROR":
                    return None  # 410 Gone (or any error): the version is too old, list again
                if kind == "BOOKMARK":
                    version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                    continue
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind == "DELETED":
                    self._delete(obj)
                elif kind in ("ADDED", "MODIFIED"):
                    self._upsert(obj, notify=True)
        finally:
            self._response = None
            response.release_conn()
        return version

    def _upsert(self, obj: Obj, *, notify: bool) -> None:
        key = key_of(obj)
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        with self._lock:
            if uid and uid in self._gone:
                return
            old = self._objects.get(key)
            if old is not None and resource_version(old) >= resource_version(obj):
                return
            self._objects[key] = obj
        if notify:
            self._notify("ADDED" if old is None else "MODIFIED", obj)

    def _delete(self, obj: Obj) -> None:
        key = key_of(obj)
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        with self._lock:
            self._gone.pop(uid, None)
            old = self._objects.get(key)
            if old is not None and (old.get("metadata") or {}).get("uid") == uid:
                del self._objects[key]
        self._notify("DELETED", obj)

    def _notify(self, kind: str, obj: Obj) -> None:
        for listener in self._listeners:
            try:
                listener(kind, obj)
            except Exception:  # a listener's bug must not stop the watch
                log.exception("a listener of %s failed", self.kind)


def _lines(response: Any) -> Iterator[str]:
    for line in k8s_watch.iter_resp_lines(response):  # type: ignore[no-untyped-call]
        if line:
            yield line if isinstance(line, str) else line.decode("utf8")
