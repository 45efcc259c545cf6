"""How an engine pod starts and proves it serves: its environment, rank wrapper and probes.

All pods of a unit share one template, yet rank 0 differs from the rest (SGLang's `--node-rank`,
vLLM's start rank and `--headless`, and what "ready" can mean). The template therefore carries
the pod's rank in `TOKENFLEET_RANK` (from the StatefulSet's `apps.kubernetes.io/pod-index` label,
Kubernetes >= 1.28, or from LWS's `LWS_WORKER_INDEX`), and a small `/bin/sh` wrapper appends
`args.rank_args(rank)` before it `exec`s the engine, which then runs as PID 1.

Environment: the variables we inject come first, so the user's `$(VAR)` references to them
resolve, and the user's own variables are never overwritten: when the user sets one of ours
(say `VLLM_NIXL_SIDE_CHANNEL_PORT`) theirs is kept and ours dropped. `TOKENFLEET_*` names are
reserved, since the wrapper and the probes depend on their values.

Probes are honest about what each rank can show:

- Rank 0 gets `/health`, which proves the unit serves: SGLang's rank 0 answers only once every
  rank's schedulers joined the rendezvous (and generates a token when idle); vLLM's API server
  on rank 0 starts only after every DP engine of the unit, headless ones included, connected.
- SGLang ranks >= 1 answer 200 on any path once their schedulers are up (a dummy server), so
  they get a TCP check of that port, which says the same without pretending to say more.
- vLLM headless ranks serve nothing; their check is that the engine process (PID 1) is alive.

The checks are exec probes (one template, so one probe that branches on the rank) written with
`/bin/sh` and `python3`, which both engines' images carry.

A unit is Ready when all its pods are Ready, which the controller decides; rank 0's probe is
what makes that mean "serves". The startup probe allows twice the role's `warmupSeconds`, and at
least 30 minutes: killing a pod that is only slow to load weights costs the whole unit's warm-up.
There is no liveness probe: a liveness restart of one pod breaks the whole EP group, while both
engines exit on fatal errors (and SGLang's watchdog kills a hung scheduler) by themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.workloads import context, engines, errors

RANK_ENV: Final = "TOKENFLEET_RANK"
POD_IP_ENV: Final = "TOKENFLEET_POD_IP"
RESERVED_ENV_PREFIX: Final = "TOKENFLEET_"
WRAPPER_NAME: Final = "tokenfleet-engine"
"""`$0` of the wrapper shell: what `ps` shows until the engine replaces it."""

PROBE_PERIOD_SECONDS: Final = 10
PROBE_TIMEOUT_SECONDS: Final = 5
READINESS_FAILURE_THRESHOLD: Final = 3
MIN_STARTUP_SECONDS: Final = 1800
STARTUP_WARMUP_FACTOR: Final = 2

# Refuse to start when the rank is not a plain number (a missing pod-index label would otherwise
# give every pod rank "" and a unit that never forms).
_RANK_GUARD = f"""set -eu
case "${{{RANK_ENV}:-}}" in
  ''|*[!0-9]*)
    echo "tokenfleet: {RANK_ENV}='${{{RANK_ENV}:-}}' is not a pod ordinal" >&2
    exit 64 ;;
esac
"""


def wrapper_script(ctx: context.RoleContext) -> str:
    """The `/bin/sh -c` script that appends `args.rank_args(rank)` and execs the engine.

    Kubernetes expands `$(VAR)` in container commands and turns `$$` into `$`; the script writes
    `$$((...))` for shell arithmetic so it reaches the shell as `$((...))`.
    """
    if ctx.engine is infd_api.EngineType.SGLANG:
        body = f'exec "$@" --node-rank "${RANK_ENV}"\n'
    else:
        body = (
            f"start=$$(({RANK_ENV} * {ctx.gpus}))\n"
            f'if [ "${RANK_ENV}" -eq 0 ]; then\n'
            '  exec "$@" --data-parallel-start-rank "$start"\n'
            "fi\n"
            'exec "$@" --data-parallel-start-rank "$start" --headless\n'
        )
    return _RANK_GUARD + body


def command(ctx: context.RoleContext) -> list[str]:
    """The container command; the container's `args` (the engine's argv) follow it as `$@`."""
    return ["/bin/sh", "-c", wrapper_script(ctx), WRAPPER_NAME]


def ready_check(ctx: context.RoleContext) -> list[str]:
    """The exec probe command: /health on rank 0, the rank's honest check elsewhere."""
    health = f"http://127.0.0.1:{ctx.port}/health"
    rank0 = (
        f"import urllib.request as u; u.urlopen('{health}', timeout={PROBE_TIMEOUT_SECONDS - 1})"
    )
    if ctx.engine is infd_api.EngineType.SGLANG:
        others = (
            "exec python3 -c 'import socket; socket.create_connection("
            f'("127.0.0.1", {ctx.port}), timeout={PROBE_TIMEOUT_SECONDS - 1}).close()\''
        )
    else:
        others = "kill -0 1"
    script = f'if [ "${RANK_ENV}" = 0 ]; then\n  exec python3 -c "{rank0}"\nfi\n{others}\n'
    return ["/bin/sh", "-c", script]


def startup_failure_threshold(ctx: context.RoleContext) -> int:
    """Startup probe attempts: twice `warmupSeconds`, at least `MIN_STARTUP_SECONDS`."""
    budget = max(STARTUP_WARMUP_FACTOR * ctx.role_spec.warmup_seconds, MIN_STARTUP_SECONDS)
    return math.ceil(budget / PROBE_PERIOD_SECONDS)


def probes(ctx: context.RoleContext) -> dict[str, Any]:
    """`startupProbe` and `readinessProbe` for the engine container."""

    def probe(failure_threshold: int) -> dict[str, Any]:
        return {
            "exec": {"command": ready_check(ctx)},
            "periodSeconds": PROBE_PERIOD_SECONDS,
            "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
            "failureThreshold": failure_threshold,
        }

    return {
        "startupProbe": probe(startup_failure_threshold(ctx)),
        "readinessProbe": probe(READINESS_FAILURE_THRESHOLD),
    }


def _injected(ctx: context.RoleContext, rank_source: Mapping[str, Any]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": RANK_ENV, **rank_source},
        {"name": POD_IP_ENV, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
    ]
    if ctx.engine is infd_api.EngineType.VLLM:
        # vLLM's DP rendezvous uses Gloo, which otherwise may pick an interface peers cannot reach.
        env.append({"name": "GLOO_SOCKET_IFNAME", "value": "eth0"})
        if ctx.disaggregated:
            env += [
                {"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "value": f"$({POD_IP_ENV})"},
                {
                    "name": "VLLM_NIXL_SIDE_CHANNEL_PORT",
                    "value": str(engines.VLLM_NIXL_SIDE_CHANNEL_PORT),
                },
            ]
    return env


def env(ctx: context.RoleContext, rank_source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The engine container's environment: ours first, then the user's, untouched.

    `rank_source` is the rest of the `TOKENFLEET_RANK` entry (`value` or `valueFrom`).
    """
    user = [{"name": var.name, "value": var.value} for var in ctx.spec.engine.env]
    names = [var["name"] for var in user]
    reserved = sorted({n for n in names if n.startswith(RESERVED_ENV_PREFIX)})
    if reserved:
        raise errors.RenderError(
            f"engine.env sets {', '.join(reserved)}: {RESERVED_ENV_PREFIX}* variables are set "
            "by tokenfleet (the pod's rank and address); remove them"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise errors.RenderError(f"engine.env lists {', '.join(twice)} more than once")
    ours = [var for var in _injected(ctx, rank_source) if var["name"] not in names]
    return ours + user
