#!/usr/bin/env bash
# Starts a Prometheus of our own on a free 127.0.0.1 port and waits until it is ready.
#
#   hack/prometheus-up.sh [--config FILE] [--target HOST:PORT[/PATH]]... [--scrape-interval 1s]
#
# Without --config it writes a config that scrapes every target listed in the file_sd folder
# $STATE/targets/*.json (rewrite or add files there at any time: Prometheus watches the folder)
# every --scrape-interval (default 1s, for tests). Each --target is added to $STATE/targets/cli.json.
# Storage is a temporary folder. The state folder ($TOKENFLEET_PROMETHEUS_DIR, default
# ${TOKENFLEET_STATE_DIR:-.cluster}/prometheus) gets pid, url, config.yml, data-dir and
# prometheus.log. Prints the URL. When a Prometheus started from the same state folder is
# already up, prints its URL and does nothing else. hack/prometheus-down.sh stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${TOKENFLEET_PROMETHEUS_DIR:-${TOKENFLEET_STATE_DIR:-$ROOT_DIR/.cluster}/prometheus}"
config=""
interval=1s
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config="$(realpath "$2")"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --scrape-interval) interval="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

command -v prometheus >/dev/null || die "prometheus not installed: run hack/install-prometheus.sh"

alive() { [[ -f "$STATE/pid" ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }
ready() { curl -fsS --max-time 2 "$1/-/ready" >/dev/null 2>&1; }

if alive && [[ -f "$STATE/url" ]] && ready "$(cat "$STATE/url")"; then
  log "prometheus already up (pid $(cat "$STATE/pid"))"
  cat "$STATE/url"
  exit 0
fi
if [[ -d "$STATE" ]]; then
  log "removing stale state in $STATE"
  "$HACK_DIR/prometheus-down.sh" >/dev/null 2>&1 || true
fi

mkdir -p "$STATE/targets"
STATE="$(realpath "$STATE")"

# Targets from the command line, as one file_sd group. HOST:PORT/PATH sets the metrics path.
if [[ ${#targets[@]} -gt 0 ]]; then
  {
    printf '['
    sep=""
    for t in "${targets[@]}"; do
      hostport="${t%%/*}"
      path="/metrics"
      [[ "$t" == */* ]] && path="/${t#*/}"
      printf '%s{"targets":["%s"],"labels":{"__metrics_path__":"%s"}}' "$sep" "$hostport" "$path"
      sep=","
    done
    printf ']\n'
  } > "$STATE/targets/cli.json"
fi

if [[ -z "$config" ]]; then
  config="$STATE/config.yml"
  cat > "$config" <<YAML
# Written by hack/prometheus-up.sh.
global:
  scrape_interval: $interval
  scrape_timeout: $interval
  evaluation_interval: $interval
scrape_configs:
  - job_name: tokenfleet
    file_sd_configs:
      - files: ["$STATE/targets/*.json"]
        refresh_interval: 5s
YAML
fi
if ! promtool check config "$config" >&2; then
  "$HACK_DIR/prometheus-down.sh"
  die "invalid Prometheus config $config"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
data="$(mktemp -d "${TMPDIR:-/tmp}/tokenfleet-prometheus.XXXXXX")"
echo "$data" > "$STATE/data-dir"

# setsid: not tied to the caller's terminal or process group; stopped by PID only.
setsid prometheus \
  --config.file="$config" \
  --web.listen-address="127.0.0.1:$port" \
  --web.enable-lifecycle \
  --storage.tsdb.path="$data" \
  --storage.tsdb.retention.time=1d \
  --log.level=warn \
  > "$STATE/prometheus.log" 2>&1 < /dev/null &
echo $! > "$STATE/pid"
echo "$url" > "$STATE/url"

for _ in $(seq 1 300); do
  if ready "$url"; then
    log "prometheus ready at $url (pid $(cat "$STATE/pid"), state $STATE)"
    echo "$url"
    exit 0
  fi
  alive || { tail -20 "$STATE/prometheus.log" >&2; "$HACK_DIR/prometheus-down.sh" >/dev/null 2>&1 || true; die "prometheus exited"; }
  sleep 0.1
done
tail -20 "$STATE/prometheus.log" >&2
"$HACK_DIR/prometheus-down.sh" >/dev/null 2>&1 || true
die "prometheus not ready at $url after 30s"
