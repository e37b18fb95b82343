#!/usr/bin/env bash
# Builds capi-health-manager (Cluster API's MachineHealthCheck controller, and
# opt-in its MachineSet controller; see README.md) from the Go modules pinned
# in this directory into a per-version cache directory, copies Cluster API's
# CRDs from the same module version beside it, and prints that directory as
# the LAST line of stdout. Progress and errors go to stderr.
#
#   dir="$(bash tools/capi/build.sh | tail -n 1)"
#   kubectl apply --server-side -f "$dir/crds/"
#   "$dir/capi-health-manager" --kubeconfig "$kc"
#
# Cache: ${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}
#        /capi-<cluster-api version>-<hash of go.mod, go.sum, cmd/**/*.go + build recipe>
# A present cache dir is reused as is. Builds happen in a temp dir beside it
# that is renamed into place, so a killed or concurrent build never leaves a
# half-filled cache dir.
#
# Needs: Go >= the `go` directive of ./go.mod, and access to the Go module
# proxy on a cold Go module cache. Honors GOCACHE, GOMODCACHE, GOPROXY, GOFLAGS.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[capi/build] %s\n' "$*" >&2; }
die() { printf '[capi/build] ERROR: %s\n' "$*" >&2; exit 1; }
complete() { [[ -x "$1/capi-health-manager" && -f "$1/VERSIONS" && -d "$1/crds" ]]; }
# shellcheck source=../lib/go-cache.sh
source "$here/../lib/go-cache.sh"

# Bump when the way the binary is built or the cache dir is laid out changes
# (flags, ldflags, which CRDs are copied), so that old cache dirs are not reused.
RECIPE=1

# CRDs copied from the module into $out/crds (paths inside the module).
# Required: the objects the MachineHealthCheck and MachineSet controllers read
# or write. Optional: KubeadmControlPlane's, for Machines owned by a KCP.
CRDS_REQUIRED=(
  config/crd/bases/cluster.x-k8s.io_clusters.yaml
  config/crd/bases/cluster.x-k8s.io_machines.yaml
  config/crd/bases/cluster.x-k8s.io_machinesets.yaml
  config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml
  config/crd/bases/cluster.x-k8s.io_machinehealthchecks.yaml
)
CRDS_OPTIONAL=(
  controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml
)

# Module version, read from go.mod (single source of truth).
capi_version="$(modver "$here/go.mod" sigs.k8s.io/cluster-api)"
[[ -n "$capi_version" ]] || die "cannot read the sigs.k8s.io/cluster-api version from $here/go.mod"

# Cache key: go.mod (minus comments and blank lines, so that editing a comment
# does not force a rebuild), go.sum, our Go sources (by path and content) and
# the recipe, including the CRD list.
hash="$( {
  echo "recipe=$RECIPE"
  printf 'crd %s\n' "${CRDS_REQUIRED[@]}" "${CRDS_OPTIONAL[@]}"
  nocomment "$here/go.mod"; cat "$here/go.sum"
  (cd "$here" && find cmd -type f -name '*.go' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
} | sha256sum | cut -c1-12)"
out="$cache_root/capi-$capi_version-$hash"
reuse_cached "$out"

require_go "$(gomin "$here/go.mod")" "Cluster API $capi_version's controllers"
build_dir "capi-$capi_version-$hash"

start=$SECONDS
log "building into $out (go $have, $(nproc 2>/dev/null || echo '?') CPUs)"
log "with cold Go caches this downloads ~350 MB of modules and compiles for ~5 min on 2 cores (more while other builds run)"

# The module source: for the CRDs (and it is what the build compiles).
mod_dir="$(cd "$here" && go mod download -json sigs.k8s.io/cluster-api |
  awk -F'"' '$2 == "Dir" { print $4; exit }')" ||
  die "cannot download sigs.k8s.io/cluster-api@$capi_version"
[[ -d "$mod_dir" ]] || die "go mod download did not report a directory for sigs.k8s.io/cluster-api@$capi_version"

log "go build ./cmd/capi-health-manager (sigs.k8s.io/cluster-api@$capi_version)"
(cd "$here" && go build -mod=readonly -trimpath -buildvcs=false -ldflags "-s -w" \
  -o "$tmp/capi-health-manager" ./cmd/capi-health-manager) >&2 ||
  die "building capi-health-manager failed (see above)"
log "capi-health-manager built after $((SECONDS - start))s"
"$tmp/capi-health-manager" --version >&2 || die "the built capi-health-manager does not run"

# CRDs: copied (not generated) from the module, read-only there, writable here.
mkdir -p "$tmp/crds"
for f in "${CRDS_REQUIRED[@]}"; do
  [[ -f "$mod_dir/$f" ]] || die "CRD $f is missing from $mod_dir"
  install -m 0644 "$mod_dir/$f" "$tmp/crds/"
done
for f in "${CRDS_OPTIONAL[@]}"; do
  if [[ -f "$mod_dir/$f" ]]; then
    install -m 0644 "$mod_dir/$f" "$tmp/crds/"
  else
    log "optional CRD $f not in the module; skipped"
  fi
done
log "copied $(find "$tmp/crds" -name '*.yaml' | wc -l) CRDs from $mod_dir"

{
  echo "cluster-api $capi_version"
  echo "controller-runtime $(modver "$here/go.mod" sigs.k8s.io/controller-runtime)"
  echo "client-go $(modver "$here/go.mod" k8s.io/client-go)"
  echo "go $have"
  echo "recipe $RECIPE"
  (cd "$tmp/crds" && for f in *.yaml; do echo "crd $f"; done)
} >"$tmp/VERSIONS"
publish "$tmp" "$out"
log "done in $((SECONDS - start))s: $out"
echo "$out"
