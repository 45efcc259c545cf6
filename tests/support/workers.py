"""Engine stand-ins at KWOK pod addresses, for the real routers to discover and health-check.

KWOK gives pods addresses in 127.100.0.0/16 (hack/cluster-up.sh), all loopback: a server bound
to a pod's address is that pod, as far as a router dialling `http://<pod IP>:<port>` can tell.
Each answers what sglang-router and vllm-router ask a worker (`/health`, `/server_info`,
`/model_info` and their `get_` forms, with no model path so nothing is fetched) and serves
/metrics with the running and queued requests the test sets, in SGLang's names.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import json
import threading
from collections.abc import Iterator
from typing import Any

KWOK_POD_NETWORK = ipaddress.ip_network("127.100.0.0/16")


class Workers:
    """One HTTP server per pod address, started on demand, all stopped together."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.running: dict[str, float] = {}
        """Running requests each address reports (0 when unset)."""
        self._servers: dict[str, http.server.ThreadingHTTPServer] = {}
        self._lock = threading.Lock()

    def serve(self, ip: str) -> None:
        if ipaddress.ip_address(ip) not in KWOK_POD_NETWORK:
            raise ValueError(f"{ip} is not a KWOK pod address on loopback")
        with self._lock:
            if ip in self._servers:
                return
            server = http.server.ThreadingHTTPServer((ip, self.port), self._handler(ip))
            server.daemon_threads = True
            self._servers[ip] = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.shutdown()
            server.server_close()

    def _handler(self, ip: str) -> type[http.server.BaseHTTPRequestHandler]:
        workers = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    running = workers.running.get(ip, 0.0)
                    text = (
                        "# TYPE sglang:num_running_reqs gauge\n"
                        f"sglang:num_running_reqs {running}\n"
                        "# TYPE sglang:num_queue_reqs gauge\n"
                        "sglang:num_queue_reqs 0\n"
                    )
                    self._send(text.encode(), "text/plain; version=0.0.4")
                else:
                    self._send(json.dumps({}).encode(), "application/json")

            do_POST = do_GET

        return Handler


@contextlib.contextmanager
def serving(port: int) -> Iterator[Workers]:
    workers = Workers(port)
    try:
        yield workers
    finally:
        workers.close()
