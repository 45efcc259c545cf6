"""Dropping workers from router replicas and reading a draining engine, over HTTP.

Covers: a worker listed with an id (sglang-router) is deleted by id, one listed by URL only
(vllm-router) by its escaped URL; workers not leaving are left alone; a router that does not
answer or answers nonsense is skipped without raising; pods not running are not dialled; an
engine is idle only when it reports no running and no queued request, and unknown when its
metrics cannot be read. (The real routers are exercised in
tests/integration/test_router_discovery.py.)
"""

from __future__ import annotations

from typing import Any

import httpx

from tokenfleet.controllers import routers


def running(ip: str) -> dict[str, Any]:
    return {"metadata": {"name": ip, "labels": {}}, "status": {"phase": "Running", "podIP": ip}}


def test_workers_are_dropped_by_id_or_by_escaped_url_and_others_kept() -> None:
    calls: list[tuple[str, str]] = []
    listing = {
        "127.0.0.11": {"workers": [{"id": "u-1", "url": "http://127.100.0.5:30000"},
                                   {"id": "u-2", "url": "http://127.100.0.6:30000"}]},
        "127.0.0.12": {"workers": [{"url": "http://127.100.0.5:30000"}]},
    }  # fmt: skip

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, str(request.url)))
        if request.method == "GET":
            return httpx.Response(200, json=listing[request.url.host])
        return httpx.Response(200, json={"success": True})

    client = routers.RouterClient(httpx.Client(transport=httpx.MockTransport(handle)))
    replicas = [running("127.0.0.11"), running("127.0.0.12"), {"status": {"phase": "Pending"}}]
    dropped = client.drop(replicas, 8000, {"http://127.100.0.5:30000"})
    assert dropped == 2
    assert [c for c in calls if c[0] == "DELETE"] == [
        ("DELETE", "http://127.0.0.11:8000/workers/u-1"),
        ("DELETE", "http://127.0.0.12:8000/workers/http%3A%2F%2F127.100.0.5%3A30000"),
    ]


def test_an_unreachable_or_confused_router_is_skipped() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "127.0.0.11":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, text="<html>not a router</html>")

    client = routers.RouterClient(httpx.Client(transport=httpx.MockTransport(handle)))
    urls = {"http://127.100.0.5:30000"}
    assert client.drop([running("127.0.0.11"), running("127.0.0.12")], 8000, urls) == 0


def test_an_engine_is_idle_only_with_nothing_running_or_queued() -> None:
    pages = {
        "127.100.0.1": "sglang:num_running_reqs 0\nsglang:num_queue_reqs 0\n",
        "127.100.0.2": "sglang:num_running_reqs 0\nsglang:num_queue_reqs 2\n",
        "127.100.0.3": "sglang:num_running_reqs 5\nsglang:num_queue_reqs 0\n",
    }

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host not in pages:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, text=pages[request.url.host])

    client = routers.RouterClient(httpx.Client(transport=httpx.MockTransport(handle)))

    def leader(ip: str) -> dict[str, Any]:
        labels = {"tokenfleet.io/deployment": "d", "tokenfleet.io/role": "prefill"}
        return {**running(ip), "metadata": {"name": "p", "namespace": "n", "labels": labels}}

    assert client.idle(leader("127.100.0.1"), 30000) is True
    assert client.idle(leader("127.100.0.2"), 30000) is False
    assert client.idle(leader("127.100.0.3"), 30000) is False
    assert client.idle(leader("127.100.0.4"), 30000) is None
    assert client.idle({"status": {"phase": "Pending"}}, 30000) is None
