# Shared helpers for hack/ scripts. Source it; it defines paths and logging only.
# shellcheck shell=bash
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
CACHE_DIR="${TOKENFLEET_CACHE:-$HOME/.cache/tokenfleet}"
export GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The PIDs (sorted) of processes of the kinds the tests and the demo start: the control plane,
# KWOK, Prometheus, the engine simulator and the routers (which rename themselves).
spawned_processes() {
  pgrep -f 'kube-apiserver|kube-controller-manager|kube-scheduler|/etcd |kwok|prometheus --|tokenfleet (enginesim|run|demo)|tokenfleet\.cli|sglang::router|vllm::router|sglang_router|vllm_router' \
    | grep -vx "$$" | sort || true
}
