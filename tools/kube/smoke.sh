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
# shellcheck source=../lib/local-apiserver.sh
source "$here/../lib/local-apiserver.sh"

bin="${KUBE_BIN_DIR:-}"
if [[ -z "$bin" ]]; then
  bin="$("$here/build.sh" | tail -n 1)"
fi
[[ -x "$bin/kube-apiserver" && -x "$bin/etcd" ]] || die "no kube-apiserver/etcd in '$bin'"

work="$(mktemp -d "${TMPDIR:-/tmp}/kube-smoke.XXXXXX")"
etcd_pid="" api_pid=""

cleanup() {
  local rc=$?
  set +e
  finish_smoke "$rc" etcd.log kube-apiserver.log
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_local_cluster pulumi-cluster-runtime-dev-ca "$bin"
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
