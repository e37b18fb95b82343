#!/usr/bin/env bash
# Smoke test of the binaries from build.sh, and the reference for how the
# project's dev cluster starts them: etcd + kube-apiserver on loopback only,
# certificates made with openssl, a client certificate in system:masters, a
# kubeconfig for it; then kubectl get ns, a CustomResourceDefinition with a
# status subresource and an object of it; then everything is stopped and the
# temp dir removed. Exits non-zero on any failure.
#
#   tools/kube/smoke.sh                       # builds (or reuses) the binaries
#   KUBE_BIN_DIR=/path/with/bins tools/kube/smoke.sh
#
# Env: KUBE_BIN_DIR       dir with kube-apiserver and etcd (default: build.sh)
#      SMOKE_IDLE_SECONDS idle this long before measuring RSS (default 0)
#      SMOKE_KEEP=1       keep the temp dir (certs, kubeconfig, logs)
# Needs: bash, openssl, kubectl, awk. No controller-manager runs: no garbage
# collection, no namespace deletion finalization, no service accounts tokens.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[kube/smoke] %s\n' "$*" >&2; }
die() { printf '[kube/smoke] FAIL: %s\n' "$*" >&2; exit 1; }
now_ms() { local t; t="$(date +%s%N)"; echo $((t / 1000000)); }

for tool in openssl kubectl awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not installed"
done

bin="${KUBE_BIN_DIR:-}"
if [[ -z "$bin" ]]; then
  bin="$("$here/build.sh" | tail -n 1)"
fi
[[ -x "$bin/kube-apiserver" && -x "$bin/etcd" ]] || die "no kube-apiserver/etcd in '$bin'"

work="$(mktemp -d "${TMPDIR:-/tmp}/kube-smoke.XXXXXX")"
etcd_pid="" api_pid=""

stop() { # stop PID NAME: SIGTERM, up to 15 s, then SIGKILL
  local pid="$1" name="$2" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop on SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    for f in etcd.log kube-apiserver.log; do
      [[ -s "$work/$f" ]] && { log "--- last lines of $f ---"; tail -n 40 "$work/$f" >&2; }
    done
  fi
  stop "$api_pid" kube-apiserver # apiserver first: it needs etcd to shut down cleanly
  stop "$etcd_pid" etcd
  if [[ "${SMOKE_KEEP:-}" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
  if ((rc == 0)); then log "PASS"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- free loopback ports --------------------------------------------------------
# Ports below the kernel's ephemeral range, not bound by any socket right now
# (per /proc/net/tcp{,6}). There is a small race until the servers bind.
taken=" "
pick_port() { # sets $port
  local lo _ p i
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range || lo=32768
  ((lo > 20000)) || lo=32768
  for ((i = 0; i < 200; i++)); do
    p=$((15000 + RANDOM % (lo - 15000)))
    [[ "$taken" == *" $p "* ]] && continue
    if ! awk -v p="$(printf '%04X' "$p")" 'FNR > 1 { n = split($2, a, ":"); if (a[n] == p) found = 1 } END { exit !found }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      taken+="$p "
      port="$p"
      return 0
    fi
  done
  die "no free port found"
}
pick_port; etcd_port="$port"
pick_port; api_port="$port"

# --- certificates ------------------------------------------------------------
# One CA signs the apiserver's serving certificate and the admin client
# certificate; the apiserver trusts it for clients (--client-ca-file).
pki="$work/pki"
certs="$work/apiserver-certs" # --cert-dir: apiserver.crt/apiserver.key are read from it
mkdir -p "$pki" "$certs"
ossl() { openssl "$@" >/dev/null 2>"$work/openssl.err" || { cat "$work/openssl.err" >&2; die "openssl $1 failed"; }; }
eckey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
sign() { # sign NAME SUBJECT EXTENSIONS
  eckey "$2.key"
  ossl req -new -key "$2.key" -subj "$3" -out "$2.csr"
  printf '%s\n' "$4" >"$2.ext"
  ossl x509 -req -in "$2.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 7 -sha256 -extfile "$2.ext" -out "$2.crt"
}
eckey "$pki/ca.key"
ossl req -x509 -new -key "$pki/ca.key" -subj "/CN=pulumi-cluster-runtime-dev-ca" -days 7 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$pki/ca.crt"
sign apiserver "$certs/apiserver" "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
sign admin "$pki/admin" "/O=system:masters/CN=pulumi-cluster-runtime-admin" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
rm -f "$certs"/*.csr "$certs"/*.ext "$pki"/*.csr "$pki"/*.ext
# Service account token signing key (RSA, as upstream and envtest use).
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# --- kubeconfig --------------------------------------------------------------
kc="$work/kubeconfig"
k() { kubectl --kubeconfig="$kc" --request-timeout=20s "$@"; }
kubectl config --kubeconfig="$kc" set-cluster dev --server="https://127.0.0.1:$api_port" \
  --certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
kubectl config --kubeconfig="$kc" set-credentials admin \
  --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs=true >/dev/null
kubectl config --kubeconfig="$kc" set-context dev --cluster=dev --user=admin >/dev/null
kubectl config --kubeconfig="$kc" use-context dev >/dev/null

# --- etcd --------------------------------------------------------------------
# Single member, plain HTTP on loopback (only the apiserver talks to it). The
# peer listener is required by etcd; port 0 lets the kernel pick one.
# --unsafe-no-fsync: throwaway dev data, much faster on slow disks (envtest does the same).
etcd_args=(
  --name=dev
  --data-dir="$work/etcd-data"
  --listen-client-urls="http://127.0.0.1:$etcd_port"
  --advertise-client-urls="http://127.0.0.1:$etcd_port"
  --listen-peer-urls="http://127.0.0.1:0"
  --initial-advertise-peer-urls="http://127.0.0.1:2380" # metadata only, nothing binds it
  --initial-cluster="dev=http://127.0.0.1:2380"
  --unsafe-no-fsync=true
  --log-level=warn
)
etcd_health() ( # GET /health over bash's /dev/tcp (no curl needed); a subshell
  exec 3<>"/dev/tcp/127.0.0.1/$etcd_port" || exit 1
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  reply="$(timeout 2 cat <&3 || true)"
  [[ "$reply" == *'"health":"true"'* ]]
) 2>/dev/null
log "etcd on 127.0.0.1:$etcd_port"
t0="$(now_ms)"
"$bin/etcd" "${etcd_args[@]}" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
until etcd_health; do
  kill -0 "$etcd_pid" 2>/dev/null || die "etcd exited during start"
  (($(now_ms) - t0 < 60000)) || die "etcd not healthy after 60 s"
  sleep 0.1
done
etcd_ready_ms=$(($(now_ms) - t0))
log "etcd healthy after ${etcd_ready_ms} ms"

# --- kube-apiserver ----------------------------------------------------------
api_args=(
  --etcd-servers="http://127.0.0.1:$etcd_port"
  --cert-dir="$certs"
  --secure-port="$api_port"
  --bind-address=127.0.0.1
  --advertise-address=127.0.0.1
  --service-cluster-ip-range=10.0.0.0/24
  --service-account-issuer="https://127.0.0.1:$api_port"
  --service-account-key-file="$pki/sa.pub"
  --service-account-signing-key-file="$pki/sa.key"
  --client-ca-file="$pki/ca.crt"
  --authorization-mode=RBAC
  --disable-admission-plugins=ServiceAccount
  --endpoint-reconciler-type=none
  --allow-privileged=true
)
log "kube-apiserver on https://127.0.0.1:$api_port"
t0="$(now_ms)"
"$bin/kube-apiserver" "${api_args[@]}" >"$work/kube-apiserver.log" 2>&1 &
api_pid=$!
until [[ "$(k get --raw=/readyz 2>/dev/null)" == ok ]]; do
  kill -0 "$api_pid" 2>/dev/null || die "kube-apiserver exited during start"
  (($(now_ms) - t0 < 180000)) || die "kube-apiserver not ready after 180 s"
  sleep 0.2
done
api_ready_ms=$(($(now_ms) - t0))
log "kube-apiserver ready after ${api_ready_ms} ms"
k version >&2

# --- checks ------------------------------------------------------------------
# System namespaces are created by a post-start hook right around readiness.
for ((i = 0; ; i++)); do
  ns="$(k get ns -o name)"
  [[ "$ns" == *namespace/default* && "$ns" == *namespace/kube-system* ]] && break
  ((i < 100)) || die "default/kube-system namespaces missing: $ns"
  sleep 0.2
done
k get ns >&2

k apply -f - >&2 <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.example.com
spec:
  group: smoke.example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties: {size: {type: integer}}
            status:
              type: object
              properties: {ready: {type: boolean}}
EOF
k wait --for=condition=Established --timeout=60s crd/widgets.smoke.example.com >&2
# The CRD's REST endpoint can lag "Established" by a moment; retry the create.
for ((i = 0; ; i++)); do
  k apply -f - >&2 <<'EOF' && break
apiVersion: smoke.example.com/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
status: {ready: true}
EOF
  ((i < 25)) || die "cannot create the Widget"
  sleep 0.2
done
# With the status subresource the main endpoint ignores .status ...
[[ -z "$(k get widget w1 -n default -o 'jsonpath={.status.ready}')" ]] ||
  die "status was set through the main resource: status subresource not in effect"
# ... and /status sets it.
k patch widget w1 -n default --subresource=status --type=merge -p '{"status":{"ready":true}}' >&2
[[ "$(k get widget w1 -n default -o 'jsonpath={.spec.size}/{.status.ready}')" == 3/true ]] ||
  die "Widget does not read back as spec.size=3, status.ready=true"
k get widgets -A >&2

# --- measurements ------------------------------------------------------------
idle="${SMOKE_IDLE_SECONDS:-0}"
if ((idle > 0)); then log "idling ${idle}s before measuring memory"; sleep "$idle"; fi
rss() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
api_rss="$(rss "$api_pid")"
etcd_rss="$(rss "$etcd_pid")"
log "RESULT etcd_ready_ms=$etcd_ready_ms apiserver_ready_ms=$api_ready_ms apiserver_rss_mib=$api_rss etcd_rss_mib=$etcd_rss total_rss_mib=$((api_rss + etcd_rss))"
