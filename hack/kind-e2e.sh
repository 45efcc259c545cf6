#!/usr/bin/env bash
# `make kind-e2e`, for machines with a Docker engine: the operator as users run it, from its image.
#   1. kind (built from the Go module proxy at $KIND_VERSION into ~/.cache/tokenfleet/bin)
#   2. a kind cluster "tokenfleet-e2e" (its kubeconfig in ~/.cache/tokenfleet/kind-e2e/kubeconfig;
#      ~/.kube/config is left alone)
#   3. docker build of operator/Dockerfile as tokenfleet/operator:<appVersion>, `kind load`
#   4. helm install of charts/tokenfleet (image.pullPolicy=Never: the image is on the nodes)
#   5. the reference fleet manifests/samples/deepseek-v3.yaml in namespace tokenfleet-demo
#   6. a smoke check: the operator is available, wrote the PricingPlan's and the fleet's status,
#      serves /metrics through its Service, and logged no permission error
# The fleet's GPU nodes do not exist in kind (its pool's provider is kwok, and no KWOK controller
# runs there), so its engine pods stay Pending: the check is the operator's, not the engines'.
# The cluster is deleted at the end unless KEEP=1 (then reuse it: the script is idempotent).
#
# Environment: KEEP=1, KIND_NODE_IMAGE (a kindest/node image; default: kind's own),
# HELM and KUBECTL (binaries to use instead of the pinned ones hack/install-bins.sh builds).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"

CLUSTER=tokenfleet-e2e
RELEASE=tokenfleet
SYSTEM_NS=tokenfleet-system
DEMO_NS=tokenfleet-demo
STATE="$CACHE_DIR/kind-e2e"
SAMPLE=manifests/samples/deepseek-v3.yaml
TIMEOUT="${TIMEOUT:-180}"

command -v docker >/dev/null || die "kind-e2e needs the docker CLI and a running Docker engine"
docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info'"

# --- tools --------------------------------------------------------------------------------------
kind_dir="$CACHE_DIR/bin/kind-$KIND_VERSION"
kind="$kind_dir/kind"
if [[ ! -x "$kind" ]]; then
  log "building kind $KIND_VERSION"
  mkdir -p "$kind_dir"
  GOBIN="$kind_dir" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kind@$KIND_VERSION"
fi
if [[ -z "${HELM:-}" || -z "${KUBECTL:-}" ]]; then
  bins="$("$HACK_DIR/install-bins.sh")"
fi
helm="${HELM:-$bins/helm}"
kubectl="${KUBECTL:-$bins/kubectl}"

mkdir -p "$STATE"
export KUBECONFIG="$STATE/kubeconfig"
k() { "$kubectl" "$@"; }

cleanup() {
  local code=$?
  if ((code != 0)); then
    log "failed; operator logs follow"
    k -n "$SYSTEM_NS" logs "deployment/$RELEASE" --tail=100 >&2 || true
  fi
  if [[ "${KEEP:-}" == 1 ]]; then
    log "KEEP=1: cluster $CLUSTER kept; KUBECONFIG=$KUBECONFIG"
  else
    "$kind" delete cluster --name "$CLUSTER" >&2 || true
  fi
  exit "$code"
}
trap cleanup EXIT

# --- cluster ------------------------------------------------------------------------------------
if "$kind" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "reusing kind cluster $CLUSTER"
  "$kind" export kubeconfig --name "$CLUSTER" --kubeconfig "$KUBECONFIG"
else
  log "creating kind cluster $CLUSTER"
  "$kind" create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait 180s \
    ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi

# --- image --------------------------------------------------------------------------------------
app_version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' charts/tokenfleet/Chart.yaml)"
[[ -n "$app_version" ]] || die "no appVersion in charts/tokenfleet/Chart.yaml"
image="tokenfleet/operator:$app_version"
log "building $image"
docker build -f operator/Dockerfile -t "$image" .
"$kind" load docker-image "$image" --name "$CLUSTER"

# --- install ------------------------------------------------------------------------------------
log "helm install $RELEASE into $SYSTEM_NS"
"$helm" upgrade --install "$RELEASE" charts/tokenfleet --namespace "$SYSTEM_NS" \
  --create-namespace --set image.pullPolicy=Never --wait --timeout "${TIMEOUT}s"
k -n "$SYSTEM_NS" rollout status "deployment/$RELEASE" --timeout="${TIMEOUT}s"

log "applying $SAMPLE in $DEMO_NS"
k create namespace "$DEMO_NS" --dry-run=client -o yaml | k apply -f -
k -n "$DEMO_NS" apply --server-side -f "$SAMPLE"

# --- smoke check --------------------------------------------------------------------------------
wait_for() {  # $1 = what, then a command that succeeds once it holds
  local what="$1" deadline=$((SECONDS + TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $what"
    sleep 2
  done
  log "ok: $what"
}
jsonpath_set() {  # $1 = object, $2 = JSONPath: succeeds when the value is not empty
  [[ -n "$(k -n "$DEMO_NS" get "$1" -o "jsonpath=$2")" ]]
}
metrics_served() {
  k get --raw "/api/v1/namespaces/$SYSTEM_NS/services/$RELEASE-metrics:metrics/proxy/metrics" |
    grep -q '^tokenfleet_'
}

wait_for "PricingPlan deepseek: prices in force" jsonpath_set pricingplan/deepseek \
  '{.status.pricesInForce}'
wait_for "InferenceDeployment deepseek-v3: conditions" jsonpath_set \
  inferencedeployment/deepseek-v3 '{.status.conditions}'
wait_for "operator /metrics through its Service" metrics_served
if k -n "$SYSTEM_NS" logs "deployment/$RELEASE" | grep -Ei 'forbidden|not enough permissions'; then
  die "the operator logged permission errors (above): the chart's RBAC misses a rule"
fi
log "kind e2e passed"
