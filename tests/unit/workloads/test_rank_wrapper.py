"""What each pod of a rendered unit actually executes, run through /bin/sh rank by rank.

The pod template is shared by every rank, so the rank is decided in the pod: Kubernetes fills
TOKENFLEET_RANK (StatefulSet: the pod-index label; LWS: LWS_WORKER_INDEX), expands `$(VAR)`s,
and the wrapper appends the rank flags. These tests do the same (see `kube.py`) for every rank of
DeepSeek's prefill (4) and decode (18) units on both backends and both engines, and compare with
`args.engine_argv`; they also check the wrapper refuses a pod without a usable rank.
"""

from __future__ import annotations

import pytest

from tokenfleet.workloads import args, context, labels, lws, naming, units

from . import fleet, kube

POD_INDEX = f"metadata.labels['{labels.STATEFULSET_POD_INDEX}']"

RANKS = [
    (engine, role, rank)
    for engine in ("sglang", "vllm")
    for role, nodes in (("prefill", 4), ("decode", 18))
    for rank in range(nodes)
]


@pytest.mark.parametrize(("engine", "role", "rank"), RANKS)
def test_statefulset_pod_at_each_ordinal_runs_that_ranks_command_line(
    engine: str, role: str, rank: int
) -> None:
    infd, pool = fleet.deployment(engine), fleet.pool()
    _, sts = units.unit_objects(infd, pool, role, unit=2)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    env = kube.container_env(container, {POD_INDEX: str(rank), "status.podIP": "10.1.2.3"})
    leader = naming.leader_host(fleet.DEPLOYMENT, role, 2, fleet.NAMESPACE)
    ctx = context.resolve(infd, pool, role)
    assert kube.executed_argv(container, env) == args.engine_argv(ctx, leader, rank)


@pytest.mark.parametrize(("engine", "role", "rank"), RANKS)
def test_leaderworkerset_pod_at_each_worker_index_runs_that_ranks_command_line(
    engine: str, role: str, rank: int
) -> None:
    infd, pool = fleet.deployment(engine), fleet.pool()
    obj = lws.leaderworkerset(infd, pool, role, units=3)
    container = obj["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]
    leader = naming.lws_leader_host(fleet.DEPLOYMENT, role, 1, fleet.NAMESPACE)
    size = obj["spec"]["leaderWorkerTemplate"]["size"]
    injected = {
        "LWS_LEADER_ADDRESS": leader,
        "LWS_GROUP_SIZE": str(size),
        "LWS_WORKER_INDEX": str(rank),
    }
    env = kube.container_env(container, {"status.podIP": "10.1.2.3"}, injected)
    ctx = context.resolve(infd, pool, role)
    assert kube.executed_argv(container, env) == args.engine_argv(ctx, leader, rank)


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
@pytest.mark.parametrize("bad_rank", ["", "x", "-1", "1.5"])
def test_a_pod_without_a_numeric_rank_refuses_to_start(engine: str, bad_rank: str) -> None:
    _, sts = units.unit_objects(fleet.deployment(engine), fleet.pool(), "prefill", unit=0)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    env = kube.container_env(container, {POD_INDEX: bad_rank, "status.podIP": "10.1.2.3"})
    done = kube.run_engine(container, env)
    assert done.returncode == 64
    assert "is not a pod ordinal" in done.stderr
    assert done.stdout == ""
