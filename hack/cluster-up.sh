#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 without Docker: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and KWOK (which runs simulated H800 nodes and their pods).
# State (certificates, kubeconfig, logs, PIDs, etcd data) lives in $TOKENFLEET_STATE_DIR
# (default .cluster/ in the checkout). Idempotent: a cluster already up is reused.
# Prints the kubeconfig path on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${TOKENFLEET_STATE_DIR:-$ROOT_DIR/.cluster}"
KCFG="$STATE/kubeconfig"
BIN="$("$HACK_DIR/install-bins.sh")"

alive() { [[ -f "$STATE/pids/$1" ]] && kill -0 "$(cat "$STATE/pids/$1")" 2>/dev/null; }

if alive kube-apiserver && "$BIN/kubectl" --kubeconfig "$KCFG" get --raw /readyz >/dev/null 2>&1; then
  log "cluster already up ($STATE)"
  echo "$KCFG"
  exit 0
fi
"$HACK_DIR/cluster-down.sh" >/dev/null 2>&1 || true
mkdir -p "$STATE"/{pki,logs,pids,etcd,kwok-home}
chmod 700 "$STATE/etcd"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
ETCD_PORT=$(free_port); ETCD_PEER=$(free_port); API_PORT=$(free_port)
KCM_PORT=$(free_port); SCHED_PORT=$(free_port); KWOK_PORT=$(free_port)
echo "$API_PORT" > "$STATE/api-port"

# --- PKI: a CA, the apiserver's serving cert, an admin client cert, the service-account keys ---
pki="$STATE/pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=tokenfleet-local-ca" 2>/dev/null
  {
    echo "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
    echo "extendedKeyUsage=serverAuth"
  } > server.ext
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out apiserver.crt -days 3650 -extfile server.ext 2>/dev/null
  echo "extendedKeyUsage=clientAuth" > client.ext
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
    -subj "/O=system:masters/CN=admin" 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out admin.crt -days 3650 -extfile client.ext 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)

# The kubeconfig embeds the certificates, so kopf, kubectl, helm and the Python client all take it.
b64() { base64 -w0 < "$1"; }
{
  echo "apiVersion: v1"
  echo "kind: Config"
  echo "clusters:"
  echo "- name: tokenfleet-local"
  echo "  cluster:"
  echo "    server: https://127.0.0.1:$API_PORT"
  echo "    certificate-authority-data: $(b64 "$pki/ca.crt")"
  echo "users:"
  echo "- name: admin"
  echo "  user:"
  echo "    client-certificate-data: $(b64 "$pki/admin.crt")"
  echo "    client-key-data: $(b64 "$pki/admin.key")"
  echo "contexts:"
  echo "- name: tokenfleet-local"
  echo "  context: {cluster: tokenfleet-local, user: admin}"
  echo "current-context: tokenfleet-local"
} > "$KCFG"
chmod 600 "$KCFG"

start() {  # $1 name, rest: the command; records the PID, logs to logs/<name>.log
  local name="$1"; shift
  "$@" >"$STATE/logs/$name.log" 2>&1 &
  echo $! > "$STATE/pids/$name"
}
wait_for() {  # $1 what, $2 seconds, rest: a command that succeeds once ready
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what not ready after ${secs}s; see $STATE/logs/"
    sleep 0.2
  done
}

# --- etcd --------------------------------------------------------------------------------------
start etcd "$BIN/etcd" --name tokenfleet --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "tokenfleet=http://127.0.0.1:$ETCD_PEER" \
  --unsafe-no-fsync --quota-backend-bytes=4294967296 --log-level=warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

# --- kube-apiserver ----------------------------------------------------------------------------
# Gang scheduling (KEP-4671): the GenericWorkload gate is beta and off by default in v1.37, and
# its scheduling.k8s.io/v1beta1 API (PodGroup, Workload), like every new beta API, is not served
# until asked for. The scheduler's GangScheduling plugin comes with the gate.
FEATURE_GATES="GenericWorkload=true"
RUNTIME_CONFIG="scheduling.k8s.io/v1beta1=true"
# --endpoint-reconciler-type=none: the apiserver refuses a loopback IP in the kubernetes Endpoints.
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=RBAC --allow-privileged=true \
  --max-requests-inflight=0 --max-mutating-requests-inflight=0 \
  --enable-priority-and-fairness=false --profiling=false \
  --feature-gates="$FEATURE_GATES" --runtime-config="$RUNTIME_CONFIG"
wait_for kube-apiserver 120 "$BIN/kubectl" --kubeconfig "$KCFG" get --raw /readyz

# --- controller-manager, scheduler, kwok -------------------------------------------------------
authn=(--authentication-kubeconfig "$KCFG" --authorization-kubeconfig "$KCFG"
  --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics --bind-address=127.0.0.1)
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$KCFG" "${authn[@]}" \
  --secure-port="$KCM_PORT" --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --kube-api-qps=100 --kube-api-burst=200 --feature-gates="$FEATURE_GATES"
{
  echo "apiVersion: kubescheduler.config.k8s.io/v1"
  echo "kind: KubeSchedulerConfiguration"
  echo "clientConnection: {kubeconfig: \"$KCFG\", qps: 100, burst: 200}"
  echo "leaderElection: {leaderElect: false}"
} > "$STATE/scheduler.yaml"
start kube-scheduler "$BIN/kube-scheduler" --config "$STATE/scheduler.yaml" "${authn[@]}" \
  --secure-port="$SCHED_PORT" --feature-gates="$FEATURE_GATES"
# kwok reads ~/.kwok/kwok.yaml first if there is one: give it a HOME of its own.
# The default --cidr gives only 254 pod IPs; a /16 holds a whole DeepSeek-sized fleet. Pod and
# node addresses are loopback ones: anything that ever dials a pod IP stays on this machine.
start kwok env HOME="$STATE/kwok-home" "$BIN/kwok" --kubeconfig "$KCFG" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 --cidr=127.100.0.1/16 --node-ip=127.1.0.1 \
  --server-address="127.0.0.1:$KWOK_PORT"

wait_for "the default ServiceAccount" 60 \
  "$BIN/kubectl" --kubeconfig "$KCFG" -n default get serviceaccount default
for p in kube-controller-manager kube-scheduler kwok; do
  alive "$p" || die "$p exited; see $STATE/logs/$p.log"
done
log "cluster up: export KUBECONFIG=$KCFG PATH=$BIN:\$PATH"
echo "$KCFG"
