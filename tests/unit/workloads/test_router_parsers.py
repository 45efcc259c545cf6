"""The router command lines we render, read by the real routers' own argument parsers.

Covers: for sglang-router 0.3.2 and vllm-router 0.1.17 (the PyPI wheels, test dependencies),
in PD and unified mode, the parsed arguments turn service discovery on in the deployment's
namespace on the engine's port, with exactly our selectors per role and our policy; the
SGLang router reads prefill bootstrap ports from the annotation our prefill pods carry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sglang_router import launch_router as sglang_launch
from vllm_router import launch_router as vllm_launch

from tokenfleet.workloads import engines, labels, router, units

from . import fleet

PARSERS: dict[str, Callable[[list[str]], Any]] = {
    "sglang": sglang_launch.parse_router_args,
    "vllm": vllm_launch.parse_router_args,
}
PROGRAMS = {"sglang": ["python3", "-m", "sglang_router.launch_router"], "vllm": ["vllm-router"]}


def parsed(kind: str, argv: list[str]) -> Any:
    program = PROGRAMS[kind]
    assert argv[: len(program)] == program
    return PARSERS[kind](argv[len(program) :])


@pytest.mark.parametrize("kind", ["sglang", "vllm"])
def test_pd_routers_discover_exactly_the_routable_leaders_of_each_role(kind: str) -> None:
    infd = fleet.deployment(kind, spec={"router": {"image": "r:1", "policy": "power_of_two"}})
    args = parsed(kind, router.router_args(infd.spec, "deepseek-v3", "inference"))
    selectors = router.discovery_selectors("deepseek-v3", ["prefill", "decode"])
    assert args.service_discovery is True
    assert args.service_discovery_namespace == "inference"
    assert args.service_discovery_port == engines.http_port(infd.spec.engine)
    assert args.prefill_selector == selectors["prefill"]
    assert args.decode_selector == selectors["decode"]
    assert (args.prefill_policy, args.decode_policy) == ("power_of_two", "power_of_two")
    assert args.port == 8000 and args.prometheus_port == engines.ROUTER_METRICS_PORT
    if kind == "sglang":
        assert args.pd_disaggregation is True
        assert args.bootstrap_port_annotation == labels.SGLANG_BOOTSTRAP_PORT
    else:
        assert args.vllm_pd_disaggregation is True


@pytest.mark.parametrize("kind", ["sglang", "vllm"])
def test_unified_routers_discover_the_routable_unified_leaders(kind: str) -> None:
    infd = fleet.unified(kind, router={"image": "r:1", "policy": "round_robin"})
    args = parsed(kind, router.router_args(infd.spec, "deepseek-v3", "inference"))
    assert args.service_discovery is True
    assert args.selector == router.discovery_selectors("deepseek-v3", ["unified"])["unified"]
    assert args.policy == "round_robin"
    assert args.prefill_selector == {} and args.decode_selector == {}


def test_sglang_prefill_pods_carry_the_bootstrap_port_the_router_reads() -> None:
    infd = fleet.deployment("sglang")
    pool = fleet.pool()
    for role, expected in (("prefill", str(engines.SGLANG_BOOTSTRAP_PORT)), ("decode", None)):
        sts = units.unit_objects(infd, pool, role, 0, None)[-1]
        annotations = sts["spec"]["template"]["metadata"]["annotations"]
        assert annotations.get(labels.SGLANG_BOOTSTRAP_PORT) == expected
