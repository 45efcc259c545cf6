#!/usr/bin/env bash
# Builds the control-plane binaries the tests and the demo run, from the Go module proxy,
# at the versions in versions.env, into ~/.cache/tokenfleet/bin/<name>-<version>/.
# A binary already there (or in $KUBEBUILDER_ASSETS, the envtest convention) is not rebuilt.
# Prints the directory that holds one link to each binary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN_ROOT="$CACHE_DIR/bin"
LINKS="$BIN_ROOT/current"
mkdir -p "$BIN_ROOT" "$LINKS"

kube_dir="$BIN_ROOT/kube-$KUBE_VERSION"
kube_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)

provided() {  # $1 = binary name; prints its path when KUBEBUILDER_ASSETS provides it
  [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/$1" ]] && echo "$KUBEBUILDER_ASSETS/$1"
}

build_kube() {
  local missing=()
  for b in "${kube_bins[@]}"; do
    [[ -x "$kube_dir/$b" || -n "$(provided "$b")" ]] || missing+=("$b")
  done
  ((${#missing[@]} == 0)) && return 0
  log "building ${missing[*]} $KUBE_VERSION (cold: ~10 min on 2 cores)"
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
  local tmp; tmp="$(mktemp -d "$BIN_ROOT/.build.XXXXXX")"
  local pkgs=()
  for b in "${missing[@]}"; do
    case "$b" in
      etcd) pkgs+=(go.etcd.io/etcd/server/v3) ;;
      *) pkgs+=("k8s.io/kubernetes/cmd/$b") ;;
    esac
  done
  (cd "$HACK_DIR/k8s-bins" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  [[ -f "$tmp/server" ]] && mv "$tmp/server" "$tmp/etcd"
  mkdir -p "$kube_dir"
  for b in "${missing[@]}"; do mv "$tmp/$b" "$kube_dir/$b"; done
  rm -rf "$tmp"
}

go_install() {  # $1 name, $2 module path@version, $3 extra ldflags
  local dir="$BIN_ROOT/$1-${2##*@}"
  [[ -x "$dir/$1" ]] && return 0
  log "building $1 ${2##*@}"
  mkdir -p "$dir"
  GOBIN="$dir" go install -trimpath -ldflags "-s -w ${3:-}" "$2"
}

build_kube
go_install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
if [[ "${TOKENFLEET_SKIP_HELM:-}" != 1 ]]; then
  go_install helm "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" \
    "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
fi

for b in "${kube_bins[@]}"; do
  src="$(provided "$b" || true)"; [[ -n "$src" ]] || src="$kube_dir/$b"
  ln -sfn "$src" "$LINKS/$b"
done
ln -sfn "$BIN_ROOT/kwok-$KWOK_VERSION/kwok" "$LINKS/kwok"
[[ -x "$BIN_ROOT/helm-$HELM_VERSION/helm" ]] && ln -sfn "$BIN_ROOT/helm-$HELM_VERSION/helm" "$LINKS/helm"
echo "$LINKS"
