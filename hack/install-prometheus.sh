#!/usr/bin/env bash
# Installs Prometheus and promtool from the Debian package, once. Fast no-op when both are there.
#
# The package starts a system service listening on all interfaces when installed; tests want
# their own Prometheus on 127.0.0.1 with their own config (hack/prometheus-up.sh), so the install
# runs under a policy-rc.d that forbids starting services, removed again afterwards if we made it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "installing the prometheus package needs root (or install it yourself)"
command -v apt-get >/dev/null || die "no apt-get: install Prometheus (prometheus, promtool) yourself"

policy=/usr/sbin/policy-rc.d
made_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# Written by hack/install-prometheus.sh while it installs: start no service.\nexit 101\n' \
    > "$policy"
  chmod +x "$policy"
  made_policy=true
fi
cleanup() { if $made_policy; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
log "installing prometheus (Debian package)"
export DEBIAN_FRONTEND=noninteractive
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends prometheus >/dev/null

command -v prometheus >/dev/null || die "prometheus is not on PATH after the install"
command -v promtool >/dev/null || die "promtool is not on PATH after the install"
log "prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') installed"
