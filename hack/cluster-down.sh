#!/usr/bin/env bash
# Stops the control plane that cluster-up.sh started, by the PIDs it recorded, and removes its state.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STATE="${TOKENFLEET_STATE_DIR:-$ROOT_DIR/.cluster}"
[[ -d "$STATE/pids" ]] || { log "no cluster state in $STATE"; exit 0; }
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$STATE/pids/$name"
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
done
rm -rf "$STATE"
log "cluster down"
