"""Engine command lines derived from the spec: SGLang (REFERENCE.md §3) and vLLM (§4).

A unit is one engine instance spread over `nodesPerUnit` pods that share one pod template, so a
command line has two parts:

- `base_args`, the same on every rank: the program, model, sizes (EP = DP-attention = TP =
  nodes x GPUs), where rank 0 listens, the PD mode, then the user's `engine.args` and the
  role's `args`. Both engines' parsers let a later flag win, so users can override any flag we
  derive.
- `rank_args`, what differs by rank; `launch` appends it inside the pod, after everything else,
  so nothing can override a pod's rank.

`engine_argv(ctx, leader, rank)` joins the two: exactly what rank `rank` runs. Flags were checked
against the versions pinned in `engines.TARGET_VERSIONS`.

Per-role choices, after DeepSeek's own split (REFERENCE.md §1.1-1.2):

- SGLang `--deepep-mode`: prefill `normal` (throughput kernels), decode `low_latency` (works
  with CUDA graphs), unified `auto` (SGLang picks per batch).
- vLLM `--all2all-backend`: prefill `deepep_high_throughput`, decode `deepep_low_latency`,
  unified `allgather_reducescatter`, the backend vLLM documents as working for any mix; each
  DeepEP mode is tuned for one phase only and unified units run both.
"""

from __future__ import annotations

import json
from typing import Final

from tokenfleet.api import common
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import context, engines

SGLANG_DEEPEP_MODE: Final[dict[common.RoleName, str]] = {
    "prefill": "normal",
    "decode": "low_latency",
    "unified": "auto",
}
VLLM_ALL2ALL_BACKEND: Final[dict[common.RoleName, str]] = {
    "prefill": "deepep_high_throughput",
    "decode": "deepep_low_latency",
    "unified": "allgather_reducescatter",
}
VLLM_KV_TRANSFER_CONFIG: Final = {"kv_connector": "NixlConnector", "kv_role": "kv_both"}


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def sglang_args(ctx: context.RoleContext, leader: str, nnodes: str | None = None) -> list[str]:
    """`python3 -m sglang.launch_server ...` for one unit of `ctx`'s role, without rank flags.

    `leader` is the host rank 0 listens on; `nnodes` overrides the node count as written (the
    LeaderWorkerSet backend passes `$(LWS_GROUP_SIZE)`).
    """
    world = str(ctx.world_size)
    argv = [
        "python3", "-m", "sglang.launch_server",
        "--model-path", ctx.spec.model.name,
        "--served-model-name", ctx.served_name,
        "--host", "0.0.0.0",
        "--port", str(ctx.port),
        "--nnodes", nnodes if nnodes is not None else str(ctx.nodes),
        "--dist-init-addr", f"{leader}:{engines.SGLANG_DIST_INIT_PORT}",
        "--tp-size", world,
        "--attn-dp-size", world,
        "--ep-size", world,
        "--moe-a2a-backend", "deepep",
        "--deepep-mode", SGLANG_DEEPEP_MODE[ctx.role],
        "--ep-num-redundant-experts", str(ctx.role_spec.redundant_experts),
        "--enable-two-batch-overlap",
        "--moe-dense-tp-size", "1",
        "--enable-dp-lm-head",
        "--enable-metrics",
        "--enable-metrics-for-all-schedulers",
    ]  # fmt: skip
    if ctx.disaggregated:
        argv += [
            "--disaggregation-mode", ctx.role,
            "--disaggregation-bootstrap-port", str(engines.SGLANG_BOOTSTRAP_PORT),
            "--disaggregation-transfer-backend", engines.SGLANG_TRANSFER_BACKEND,
        ]  # fmt: skip
    return argv


def vllm_args(ctx: context.RoleContext, leader: str) -> list[str]:
    """`vllm serve ...` for one unit of `ctx`'s role, without rank flags.

    Each pod runs `gpusPerNode` data-parallel engines (one per GPU, TP 1); experts are spread
    over all DP ranks of the unit (EP = DP = nodes x GPUs).
    """
    eplb = {
        "window_size": engines.VLLM_EPLB_WINDOW_SIZE,
        "step_interval": engines.VLLM_EPLB_STEP_INTERVAL,
        "num_redundant_experts": ctx.role_spec.redundant_experts,
    }
    argv = [
        "vllm", "serve", ctx.spec.model.name,
        "--served-model-name", ctx.served_name,
        "--host", "0.0.0.0",
        "--port", str(ctx.port),
        "--tensor-parallel-size", "1",
        "--data-parallel-size", str(ctx.world_size),
        "--data-parallel-size-local", str(ctx.gpus),
        "--data-parallel-address", leader,
        "--data-parallel-rpc-port", str(engines.VLLM_DP_RPC_PORT),
        "--enable-expert-parallel",
        "--all2all-backend", VLLM_ALL2ALL_BACKEND[ctx.role],
        "--enable-eplb",
        "--eplb-config", _json(eplb),
    ]  # fmt: skip
    if ctx.disaggregated:
        argv += ["--kv-transfer-config", _json(VLLM_KV_TRANSFER_CONFIG)]
    return argv


def user_args(ctx: context.RoleContext) -> list[str]:
    """The user's extra arguments: `engine.args`, then the role's `args`."""
    return [*ctx.spec.engine.args, *ctx.role_spec.args]


def base_args(ctx: context.RoleContext, leader: str, nnodes: str | None = None) -> list[str]:
    """Everything every rank of a unit runs: derived flags, then the user's."""
    if ctx.engine is infd_api.EngineType.SGLANG:
        derived = sglang_args(ctx, leader, nnodes)
    else:
        derived = vllm_args(ctx, leader)
    return derived + user_args(ctx)


def rank_args(ctx: context.RoleContext, rank: int) -> list[str]:
    """The flags that differ by rank, in the order `launch` appends them.

    SGLang: `--node-rank`. vLLM: the first DP rank on this node and, past rank 0, `--headless`
    (no API server: rank 0's serves the whole unit).
    """
    if not 0 <= rank < ctx.nodes:
        raise ValueError(f"rank {rank} is outside a unit of {ctx.nodes} nodes")
    if ctx.engine is infd_api.EngineType.SGLANG:
        return ["--node-rank", str(rank)]
    start = ["--data-parallel-start-rank", str(rank * ctx.gpus)]
    return start if rank == 0 else [*start, "--headless"]


def engine_argv(ctx: context.RoleContext, leader: str, rank: int) -> list[str]:
    """The whole command line rank `rank` of a unit runs."""
    return base_args(ctx, leader) + rank_args(ctx, rank)
