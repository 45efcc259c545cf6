"""Engine command lines for DeepSeek's reference fleet, every rank of every role, both engines.

Covers: the sizes (EP = DP-attention = TP = nodes x GPUs: prefill EP32, decode EP144), the
rendezvous address, the per-role DeepEP / all2all mode, redundant experts, PD flags, and what
differs by rank (SGLang `--node-rank`; vLLM start rank and `--headless`); the unified role;
the user's arguments coming after ours and before the rank's; the complete command line of one
rank per engine, written out as the REFERENCE.md recipes read.
"""

from __future__ import annotations

import json

import pytest

from tokenfleet.workloads import args, context, errors

from . import fleet

LEADER = "deepseek-v3-prefill-0-0.deepseek-v3-prefill-0.inference.svc"


def ctx_for(kind: str, role: str, **spec: object) -> context.RoleContext:
    """Context of `role` in the reference fleet on engine `kind`, with `spec` changes merged."""
    return context.resolve(fleet.deployment(kind, spec=spec), fleet.pool(), role)


def value(argv: list[str], flag: str) -> str:
    """The value after the last occurrence of `flag`."""
    positions = [i for i, arg in enumerate(argv) if arg == flag]
    assert positions, f"{flag} missing from {argv}"
    return argv[positions[-1] + 1]


# (engine, role, nodes, world size, mode flag, mode)
SIZES = [
    ("sglang", "prefill", 4, 32, "--deepep-mode", "normal"),
    ("sglang", "decode", 18, 144, "--deepep-mode", "low_latency"),
    ("vllm", "prefill", 4, 32, "--all2all-backend", "deepep_high_throughput"),
    ("vllm", "decode", 18, 144, "--all2all-backend", "deepep_low_latency"),
]


@pytest.mark.parametrize(("engine", "role", "nodes", "world", "mode_flag", "mode"), SIZES)
def test_unit_sizes_and_expert_modes_follow_deepseeks_split(
    engine: str, role: str, nodes: int, world: int, mode_flag: str, mode: str
) -> None:
    ctx = ctx_for(engine, role)
    argv = args.base_args(ctx, LEADER)
    assert value(argv, mode_flag) == mode
    if engine == "sglang":
        assert value(argv, "--nnodes") == str(nodes)
        for flag in ("--tp-size", "--attn-dp-size", "--ep-size"):
            assert value(argv, flag) == str(world)
        assert value(argv, "--dist-init-addr") == f"{LEADER}:20102"
        assert value(argv, "--ep-num-redundant-experts") == "32"
        assert value(argv, "--disaggregation-mode") == role
        assert value(argv, "--disaggregation-bootstrap-port") == "8998"
        assert value(argv, "--moe-a2a-backend") == "deepep"
    else:
        assert value(argv, "--data-parallel-size") == str(world)
        assert value(argv, "--data-parallel-size-local") == "8"
        assert value(argv, "--tensor-parallel-size") == "1"
        assert value(argv, "--data-parallel-address") == LEADER
        assert value(argv, "--data-parallel-rpc-port") == "13345"
        eplb = json.loads(value(argv, "--eplb-config"))
        assert eplb == {"window_size": 1000, "step_interval": 3000, "num_redundant_experts": 32}
        kv = json.loads(value(argv, "--kv-transfer-config"))
        assert kv == {"kv_connector": "NixlConnector", "kv_role": "kv_both"}
        assert "--enable-expert-parallel" in argv


RANKS = [
    (engine, role, rank)
    for engine in ("sglang", "vllm")
    for role, nodes in (("prefill", 4), ("decode", 18))
    for rank in range(nodes)
]


@pytest.mark.parametrize(("engine", "role", "rank"), RANKS)
def test_every_rank_gets_its_own_rank_flags_and_only_rank_0_serves_http(
    engine: str, role: str, rank: int
) -> None:
    ctx = ctx_for(engine, role)
    argv = args.engine_argv(ctx, LEADER, rank)
    if engine == "sglang":
        assert value(argv, "--node-rank") == str(rank)
        assert argv.count("--node-rank") == 1
    else:
        assert value(argv, "--data-parallel-start-rank") == str(8 * rank)
        assert ("--headless" in argv) == (rank > 0)
    # Everything but the rank flags is identical across the unit.
    assert argv[: len(argv) - len(args.rank_args(ctx, rank))] == args.base_args(ctx, LEADER)


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_ranks_outside_the_unit_are_refused(engine: str) -> None:
    ctx = ctx_for(engine, "prefill")
    with pytest.raises(ValueError, match="outside a unit of 4"):
        args.rank_args(ctx, 4)
    with pytest.raises(ValueError):
        args.rank_args(ctx, -1)


def test_sglang_prefill_rank_1_runs_the_recipe_command_line() -> None:
    argv = args.engine_argv(ctx_for("sglang", "prefill"), LEADER, 1)
    assert argv == [
        "python3", "-m", "sglang.launch_server",
        "--model-path", "deepseek-ai/DeepSeek-V3",
        "--served-model-name", "deepseek-chat",
        "--host", "0.0.0.0",
        "--port", "30000",
        "--nnodes", "4",
        "--dist-init-addr", f"{LEADER}:20102",
        "--tp-size", "32",
        "--attn-dp-size", "32",
        "--ep-size", "32",
        "--moe-a2a-backend", "deepep",
        "--deepep-mode", "normal",
        "--ep-num-redundant-experts", "32",
        "--enable-two-batch-overlap",
        "--moe-dense-tp-size", "1",
        "--enable-dp-lm-head",
        "--enable-metrics",
        "--enable-metrics-for-all-schedulers",
        "--disaggregation-mode", "prefill",
        "--disaggregation-bootstrap-port", "8998",
        "--disaggregation-transfer-backend", "mooncake",
        "--node-rank", "1",
    ]  # fmt: skip


def test_vllm_decode_rank_3_runs_the_recipe_command_line() -> None:
    leader = "deepseek-v3-decode-2-0.deepseek-v3-decode-2.inference.svc"
    argv = args.engine_argv(ctx_for("vllm", "decode"), leader, 3)
    assert argv == [
        "vllm", "serve", "deepseek-ai/DeepSeek-V3",
        "--served-model-name", "deepseek-chat",
        "--host", "0.0.0.0",
        "--port", "8000",
        "--tensor-parallel-size", "1",
        "--data-parallel-size", "144",
        "--data-parallel-size-local", "8",
        "--data-parallel-address", leader,
        "--data-parallel-rpc-port", "13345",
        "--enable-expert-parallel",
        "--all2all-backend", "deepep_low_latency",
        "--enable-eplb",
        "--eplb-config", '{"window_size":1000,"step_interval":3000,"num_redundant_experts":32}',
        "--kv-transfer-config", '{"kv_connector":"NixlConnector","kv_role":"kv_both"}',
        "--data-parallel-start-rank", "24",
        "--headless",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("engine", "absent", "mode_flag", "mode"),
    [
        ("sglang", "--disaggregation-mode", "--deepep-mode", "auto"),
        ("vllm", "--kv-transfer-config", "--all2all-backend", "allgather_reducescatter"),
    ],
)
def test_a_unified_role_has_no_pd_flags_and_a_mixed_workload_mode(
    engine: str, absent: str, mode_flag: str, mode: str
) -> None:
    ctx = context.resolve(fleet.unified(engine, nodes=2), fleet.pool(), "unified")
    argv = args.engine_argv(ctx, "leader", 1)
    assert absent not in argv
    assert "--disaggregation-bootstrap-port" not in argv
    assert value(argv, mode_flag) == mode
    world_flag = "--ep-size" if engine == "sglang" else "--data-parallel-size"
    assert value(argv, world_flag) == "16"


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_user_arguments_follow_ours_so_they_win_and_rank_flags_come_last(engine: str) -> None:
    ctx = ctx_for(
        engine,
        "decode",
        engine={"args": ["--mem-fraction-static", "0.8"]},
        roles={"decode": {"args": ["--max-running-requests", "512"]}},
    )
    argv = args.engine_argv(ctx, LEADER, 2)
    derived = args.sglang_args(ctx, LEADER) if engine == "sglang" else args.vllm_args(ctx, LEADER)
    rank = args.rank_args(ctx, 2)
    assert argv == [
        *derived,
        "--mem-fraction-static", "0.8",
        "--max-running-requests", "512",
        *rank,
    ]  # fmt: skip


def test_served_name_defaults_to_the_model_name() -> None:
    ctx = ctx_for("sglang", "prefill", model={"servedName": None})
    assert value(args.base_args(ctx, LEADER), "--served-model-name") == "deepseek-ai/DeepSeek-V3"


def test_engine_port_override_reaches_the_command_line() -> None:
    ctx = ctx_for("sglang", "decode", engine={"port": 31000})
    assert value(args.base_args(ctx, LEADER), "--port") == "31000"


def test_a_role_needing_more_gpus_than_a_pool_node_has_is_refused() -> None:
    infd = fleet.deployment("sglang")
    with pytest.raises(errors.RenderError, match="gpusPerNode is 8 but the nodes"):
        context.resolve(infd, fleet.pool(gpusPerNode=4), "prefill")


def test_a_role_the_deployment_does_not_have_is_refused() -> None:
    with pytest.raises(errors.RenderError, match="has no unified role"):
        context.resolve(fleet.deployment("sglang"), fleet.pool(), "unified")
    with pytest.raises(errors.RenderError, match="unknown role"):
        context.resolve(fleet.deployment("sglang"), fleet.pool(), "router")
