"""The engine container's environment: ours first, the user's after it and never overwritten.

Covers: the user's variables kept verbatim and in order; a user variable with the name of one of
ours wins (ours is dropped, so the list has no duplicates for server-side apply to reject); the
user's `$(VAR)` references to our variables resolve, because ours come first; reserved
TOKENFLEET_* names and duplicates refused with a message; the same rules under LeaderWorkerSet.
"""

from __future__ import annotations

from typing import Any

import pytest

from tokenfleet.workloads import errors, lws, units

from . import fleet, kube

FIELDS = {"metadata.labels['apps.kubernetes.io/pod-index']": "3", "status.podIP": "10.9.8.7"}


def engine_container(kind: str, env: list[dict[str, str]], role: str = "prefill") -> dict[str, Any]:
    infd = fleet.deployment(kind, spec={"engine": {"env": env}})
    _, sts = units.unit_objects(infd, fleet.pool(), role, 0)
    container: dict[str, Any] = sts["spec"]["template"]["spec"]["containers"][0]
    return container


def test_user_variables_follow_ours_verbatim_and_in_order() -> None:
    user = [
        {"name": "NCCL_IB_HCA", "value": "mlx5_0,mlx5_1"},
        {"name": "SGLANG_DISAGGREGATION_BOOTSTRAP_TIMEOUT", "value": "600"},
        {"name": "EMPTY", "value": ""},
    ]
    env = engine_container("sglang", user)["env"]
    assert [e["name"] for e in env[:2]] == ["TOKENFLEET_RANK", "TOKENFLEET_POD_IP"]
    assert env[2:] == user


def test_a_user_variable_named_like_one_of_ours_is_kept_and_ours_dropped() -> None:
    user = [
        {"name": "VLLM_NIXL_SIDE_CHANNEL_PORT", "value": "5601"},
        {"name": "GLOO_SOCKET_IFNAME", "value": "bond0"},
    ]
    env = engine_container("vllm", user, role="decode")["env"]
    names = [e["name"] for e in env]
    assert len(names) == len(set(names))
    assert env[-2:] == user
    assert "VLLM_NIXL_SIDE_CHANNEL_HOST" in names  # the ones the user did not set stay
    resolved = kube.container_env({"env": env}, FIELDS)
    assert resolved["VLLM_NIXL_SIDE_CHANNEL_PORT"] == "5601"
    assert resolved["GLOO_SOCKET_IFNAME"] == "bond0"


def test_user_references_to_our_variables_resolve() -> None:
    user = [
        {"name": "MY_RANK_TAG", "value": "rank-$(TOKENFLEET_RANK)"},
        {"name": "SGLANG_HOST_IP", "value": "$(TOKENFLEET_POD_IP)"},
        {"name": "LITERAL", "value": "$$(TOKENFLEET_RANK)"},
    ]
    resolved = kube.container_env({"env": engine_container("sglang", user)["env"]}, FIELDS)
    assert resolved["MY_RANK_TAG"] == "rank-3"
    assert resolved["SGLANG_HOST_IP"] == "10.9.8.7"
    assert resolved["LITERAL"] == "$(TOKENFLEET_RANK)"


def test_reserved_names_are_refused_with_a_fix() -> None:
    with pytest.raises(errors.RenderError, match=r"TOKENFLEET_RANK.*set by tokenfleet.*remove"):
        engine_container("sglang", [{"name": "TOKENFLEET_RANK", "value": "0"}])


def test_a_variable_listed_twice_is_refused() -> None:
    twice = [{"name": "NCCL_DEBUG", "value": "INFO"}, {"name": "NCCL_DEBUG", "value": "WARN"}]
    with pytest.raises(errors.RenderError, match="NCCL_DEBUG more than once"):
        engine_container("sglang", twice)


def test_under_leaderworkerset_user_variables_are_kept_and_the_rank_comes_from_lws() -> None:
    user = [{"name": "NCCL_DEBUG", "value": "WARN"}]
    infd = fleet.deployment("sglang", spec={"engine": {"env": user}})
    obj = lws.leaderworkerset(infd, fleet.pool(), "decode", units=2)
    container = obj["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]
    assert container["env"][0] == {"name": "TOKENFLEET_RANK", "value": "$(LWS_WORKER_INDEX)"}
    assert container["env"][-1:] == user
    injected = {"LWS_LEADER_ADDRESS": "x", "LWS_GROUP_SIZE": "18", "LWS_WORKER_INDEX": "11"}
    resolved = kube.container_env(container, {"status.podIP": "10.0.0.1"}, injected)
    assert resolved["TOKENFLEET_RANK"] == "11"
