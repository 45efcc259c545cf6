"""What the renderers assume about the engines: target versions, ports and fixed flag values.

Engines rename flags between releases (REFERENCE.md §3 and §4 list what moved). Every flag the
renderers write was checked against the argument parsers of the versions pinned here; when an
engine image moves to a newer release, check its flags and move the pin, in this one place.
"""

from __future__ import annotations

from typing import Final

from tokenfleet.api import inference_deployment as infd_api

EngineType = infd_api.EngineType

TARGET_VERSIONS: Final[dict[EngineType, str]] = {
    EngineType.SGLANG: "0.5.23",
    EngineType.VLLM: "0.33.0",
}
"""Engine releases whose command-line flags the renderers write."""

HTTP_PORTS: Final[dict[EngineType, int]] = {
    EngineType.SGLANG: 30000,
    EngineType.VLLM: 8000,
}
"""Default HTTP port (API, /health, /metrics) of each engine; `engine.port` overrides it."""

# SGLang: rank 0 hosts the torch.distributed rendezvous here (one of the ports its recipes use).
SGLANG_DIST_INIT_PORT: Final = 20102
# SGLang: the prefill side's bootstrap server, which decode instances contact for KV transfer.
SGLANG_BOOTSTRAP_PORT: Final = 8998
# SGLang: KV transfer between prefill and decode; mooncake is its default and needs no IB list.
SGLANG_TRANSFER_BACKEND: Final = "mooncake"

# vLLM: rank 0's data-parallel coordination port (the one vLLM's own docs use).
VLLM_DP_RPC_PORT: Final = 13345
# vLLM: the NIXL handshake listener each pod opens for PD KV transfer.
VLLM_NIXL_SIDE_CHANNEL_PORT: Final = 5600
# vLLM: expert-parallel load balancer settings, vLLM's documented large-scale values.
VLLM_EPLB_WINDOW_SIZE: Final = 1000
VLLM_EPLB_STEP_INTERVAL: Final = 3000

# Router (SGLang router, vllm-router): Prometheus listener, the default of both.
ROUTER_METRICS_PORT: Final = 29000


def http_port(engine: infd_api.EngineSpec) -> int:
    """The port the engine serves HTTP on: `engine.port`, else the engine's default."""
    return engine.port if engine.port is not None else HTTP_PORTS[engine.type]


def target(engine: EngineType) -> str:
    """'sglang-0.5.23': the engine and the release its rendered flags were checked against."""
    return f"{engine.value}-{TARGET_VERSIONS[engine]}"
