#!/usr/bin/env bash
# Creates (once per pyproject.toml content) the virtualenv the Makefile uses, under
# ~/.cache/tokenfleet/venv/, installs the package from this checkout into it, prints its path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Keyed by the dependency lists only, so that editing tool settings does not rebuild it.
key="$({ python3 --version; sed -n '/^dependencies = \[/,/^\[project.scripts\]/p' "$ROOT_DIR/pyproject.toml"; } | sha256sum | cut -c1-12)"
venv="$CACHE_DIR/venv/$key"
mkdir -p "$CACHE_DIR/venv"
# Several make targets may run at once: one builds, the others wait.
exec 9>"$CACHE_DIR/venv/.lock"
flock 9
if [[ ! -f "$venv/.deps-ok" ]]; then
  log "creating virtualenv $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -e "$ROOT_DIR[test,dev]"
  touch "$venv/.deps-ok"
fi
# Point the package at this checkout (a fresh clone elsewhere reuses the same dependencies).
if [[ "$(cat "$venv/.checkout" 2>/dev/null)" != "$ROOT_DIR" ]]; then
  "$venv/bin/pip" install --quiet --no-deps -e "$ROOT_DIR"
  echo "$ROOT_DIR" > "$venv/.checkout"
fi
echo "$venv"
