#!/usr/bin/env bash
# Fetches the real CustomResourceDefinitions of the node provisioners tokenfleet drives, from
# their Go modules at the versions pinned in versions.env, so the API server validates what the
# clusterapi and karpenter node-pool providers write exactly as a real cluster would:
#   cluster-api  sigs.k8s.io/cluster-api@$CAPI_VERSION       (core/)config/crd/bases/*.yaml
#   karpenter    sigs.k8s.io/karpenter@$KARPENTER_VERSION    pkg/apis/crds/*.yaml
#   lws          sigs.k8s.io/lws@$LWS_VERSION                config/crd/bases/*.yaml
#                (LeaderWorkerSet, for the leaderworkerset backend; asked for by name only)
# Each set is copied to ~/.cache/tokenfleet/crds/<name>-<version>/ (kept: a second run only
# prints). Prints one folder per set, in the order asked.
#
# Usage: install-crds-thirdparty.sh [--apply] [cluster-api|karpenter|lws ...]
#   (default: cluster-api and karpenter)
#   --apply  also apply them server-side to $KUBECONFIG and wait until they are Established.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CRD_ROOT="$CACHE_DIR/crds"
apply=0
names=()
for arg in "$@"; do
  case "$arg" in
    --apply) apply=1 ;;
    cluster-api | karpenter | lws) names+=("$arg") ;;
    *) die "unknown argument '$arg' (valid: --apply, cluster-api, karpenter, lws)" ;;
  esac
done
((${#names[@]})) || names=(cluster-api karpenter)

module_dir() {  # $1 = module@version; prints the module's folder in the Go module cache
  local json dir
  json="$(go mod download -json "$1" 2>&1)" || die "go mod download $1 failed: $json"
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' <<<"$json")"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $1 gave no folder: $json"
  echo "$dir"
}

fetch() {  # $1 = name, $2 = module, $3 = version, then the CRD folders to try, in order
  local name="$1" module="$2" version="$3"
  shift 3
  local out="$CRD_ROOT/$name-$version"
  if compgen -G "$out/*.yaml" >/dev/null; then
    echo "$out"
    return 0
  fi
  log "fetching $name CRDs from $module@$version"
  local src dir=""
  src="$(module_dir "$module@$version")"
  for sub in "$@"; do
    if compgen -G "$src/$sub/*.yaml" >/dev/null; then dir="$src/$sub"; break; fi
  done
  [[ -n "$dir" ]] || die "$module@$version has none of: $*"
  local tmp
  tmp="$(mktemp -d "$CRD_ROOT/.fetch.XXXXXX")"
  cp "$dir"/*.yaml "$tmp/"
  chmod 644 "$tmp"/*.yaml
  rm -rf "$out"
  mv "$tmp" "$out"
  echo "$out"
}

mkdir -p "$CRD_ROOT"
dirs=()
for name in "${names[@]}"; do
  case "$name" in
    # Cluster API moved its core CRDs under core/ in v1.14.
    cluster-api) dirs+=("$(fetch cluster-api sigs.k8s.io/cluster-api "$CAPI_VERSION" \
      core/config/crd/bases config/crd/bases)") ;;
    karpenter) dirs+=("$(fetch karpenter sigs.k8s.io/karpenter "$KARPENTER_VERSION" \
      pkg/apis/crds)") ;;
    lws) dirs+=("$(fetch lws sigs.k8s.io/lws "$LWS_VERSION" config/crd/bases)") ;;
  esac
done

if ((apply)); then
  BIN="$("$HACK_DIR/install-bins.sh")"
  for dir in "${dirs[@]}"; do
    "$BIN/kubectl" apply --server-side --force-conflicts -f "$dir" >&2
    for f in "$dir"/*.yaml; do
      crd="$(sed -n 's/^  name: \(.*\)$/\1/p' "$f" | head -n1)"
      # Just applied, a CRD may have no conditions yet, which `kubectl wait` takes for an error.
      for _ in $(seq 60); do
        "$BIN/kubectl" wait --for=condition=Established "crd/$crd" --timeout=60s >&2 2>/dev/null \
          && continue 2
        sleep 1
      done
      die "CRD $crd is not Established after a minute"
    done
  done
fi
printf '%s\n' "${dirs[@]}"
