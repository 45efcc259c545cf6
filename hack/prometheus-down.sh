#!/usr/bin/env bash
# Stops the Prometheus that hack/prometheus-up.sh started (by its recorded PID, never by name)
# and removes its storage and state folder. Does nothing when none is recorded.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${TOKENFLEET_PROMETHEUS_DIR:-${TOKENFLEET_STATE_DIR:-$ROOT_DIR/.cluster}/prometheus}"
[[ -d "$STATE" ]] || exit 0

if [[ -f "$STATE/pid" ]]; then
  pid="$(cat "$STATE/pid")"
  # Only a process that is still the prometheus we started (a recycled PID is left alone).
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q '^prometheus '; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "prometheus (pid $pid) ignored SIGTERM for 15s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "prometheus (pid $pid) stopped"
  fi
fi
if [[ -f "$STATE/data-dir" ]]; then
  data="$(cat "$STATE/data-dir")"
  [[ "$data" == */tokenfleet-prometheus.* ]] && rm -rf "$data"
fi
rm -rf "$STATE"
