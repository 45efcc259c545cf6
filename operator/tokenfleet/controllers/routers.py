"""Talking to the routers and to draining engines over HTTP, for the unit reconcile.

The routers find new workers themselves (service discovery on the `tokenfleet.io/routable`
label). Removing the label is not enough to stop traffic: sglang-router 0.3.2 keeps a worker
it discovered after the worker's pod loses the label, and even after the pod is deleted. So
when a leader leaves the routers, every router replica is also told to drop it through the
router's worker API (`GET /workers`, then `DELETE /workers/{id}`; sglang-router names a worker
by an id, vllm-router by its URL, and both list `id`-or-`url` with the URL), which works the
same on both routers. A router replica that starts later discovers only labelled leaders.

Whether a leaving unit still has work is read from its leader's engine metrics: running plus
queued requests (`sglang:num_running_reqs` + `sglang:num_queue_reqs`, or vLLM's). Every call
is short (`TIMEOUT_SECONDS`) and never raises: an unreachable router or engine is logged and
the drain waits for its timeout instead.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

import httpx

from tokenfleet.signals import exposition, scrape
from tokenfleet.workloads import router

log = logging.getLogger(__name__)
TIMEOUT_SECONDS: Final = 2.0

Pod = Mapping[str, Any]


def _ip(pod: Pod) -> str | None:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return None
    ip = status.get("podIP")
    return str(ip) if ip else None


def worker_urls(leaders: Iterable[Pod], port: int) -> set[str]:
    """The URLs the routers know these leader pods by (service discovery: pod IP and port)."""
    return {router.worker_url(ip, port) for pod in leaders if (ip := _ip(pod)) is not None}


class RouterClient:
    """Drops workers from a deployment's router replicas; reads draining engines' load."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self._client.close()

    def drop(self, router_pods: Iterable[Pod], router_port: int, urls: Collection[str]) -> int:
        """Remove `urls` from every running router replica; returns how many removals the
        routers accepted (a worker a router does not list is already gone from it)."""
        if not urls:
            return 0
        dropped = 0
        for pod in router_pods:
            ip = _ip(pod)
            if ip is None:
                continue
            base = router.worker_url(ip, router_port)
            try:
                listed = self._client.get(f"{base}/workers")
                listed.raise_for_status()
                workers = listed.json().get("workers") or []
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                log.warning("router %s: cannot list its workers: %s", base, exc)
                continue
            for worker in workers:
                url = worker.get("url") if isinstance(worker, dict) else None
                if url not in urls:
                    continue
                ref = worker.get("id") or urllib.parse.quote(str(url), safe="")
                try:
                    self._client.delete(f"{base}/workers/{ref}").raise_for_status()
                    dropped += 1
                except httpx.HTTPError as exc:
                    log.warning("router %s: cannot drop worker %s: %s", base, url, exc)
        return dropped

    def idle(self, leader: Pod, port: int, url_template: str | None = None) -> bool | None:
        """Whether the engine behind `leader` has no running and no queued request; None when
        its metrics cannot be read."""
        target = scrape.metrics_target(leader, port, url_template)
        if target is None:
            return None
        try:
            response = self._client.get(target.url)
            response.raise_for_status()
            reading = exposition.read(response.text)
        except (httpx.HTTPError, ValueError):
            return None
        if reading.running_requests is None:
            return None
        return reading.running_requests + (reading.queue_depth or 0.0) == 0
