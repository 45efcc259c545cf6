#!/usr/bin/env bash
# `make test`: installs everything the tests need on a fresh machine (Python packages, the Go-built
# control plane, Prometheus from Debian), then lints and runs every test tier. Extra arguments go
# to pytest. The control plane is started by the test session itself (or reused if already up).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"

started=$SECONDS
venv="$("$HACK_DIR/python-env.sh")"
log "python environment ready ($((SECONDS - started))s)"
"$HACK_DIR/install-bins.sh" >/dev/null
log "control-plane binaries ready ($((SECONDS - started))s)"
"$HACK_DIR/install-prometheus.sh"
log "prometheus ready ($((SECONDS - started))s)"

log "lint: ruff, mypy --strict, import layers"
"$venv/bin/ruff" check operator tests
"$venv/bin/ruff" format --check operator tests
"$venv/bin/mypy"
"$venv/bin/lint-imports" --no-cache >/dev/null
log "CRDs match the models"
"$venv/bin/tokenfleet" crds --check crds charts/tokenfleet/crds --reference README.md
log "dashboards and alert rules match their generators"
"$venv/bin/tokenfleet" dashboards --check charts/tokenfleet

log "tests"
before="$(spawned_processes)"
status=0
"$venv/bin/python" -m pytest tests "$@" || status=$?
# The suite stops what it started (control plane, Prometheus, engine simulator, routers); what
# was running before it (a cluster from `make cluster-up`) is left alone. Anything else still
# running once the stragglers had a few seconds to exit is a leak: named, stopped, and a failure.
left=""
for _ in $(seq 15); do
  left="$(comm -13 <(echo "$before") <(spawned_processes))"
  [[ -z "$left" ]] && break
  sleep 1
done
if [[ -n "$left" ]]; then
  log "the tests left processes behind:"
  for pid in $left; do ps -o pid=,args= -p "$pid" >&2 || true; done
  # shellcheck disable=SC2086
  kill $left 2>/dev/null || true
  status=1
fi
log "all done in $((SECONDS - started))s"
exit "$status"
