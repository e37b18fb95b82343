#!/usr/bin/env bash
# Builds kube-apiserver and etcd from source (Go modules pinned in this
# directory) into a per-version cache directory, and prints that directory as
# the LAST line of stdout. Progress and errors go to stderr.
#
#   dir="$(tools/kube/build.sh | tail -n 1)"
#   "$dir/kube-apiserver" --version; "$dir/etcd" --version
#
# Cache: ${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}
#        /kube-<k8s version>-<hash of go.mod/go.sum of both modules + build recipe>
# A present cache dir is reused as is. Builds happen in a temp dir beside it
# that is renamed into place, so a killed or concurrent build never leaves a
# half-filled cache dir.
#
# Needs: Go >= the highest `go` directive of ./go.mod and ./etcd/go.mod, and
# access to the Go module proxy on a cold Go module cache. Honors GOCACHE,
# GOMODCACHE, GOPROXY, GOFLAGS as usual.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[kube/build] %s\n' "$*" >&2; }
die() { printf '[kube/build] ERROR: %s\n' "$*" >&2; exit 1; }
complete() { [[ -x "$1/kube-apiserver" && -x "$1/etcd" && -f "$1/VERSIONS" ]]; }
# shellcheck source=../lib/go-cache.sh
source "$here/../lib/go-cache.sh"

# Bump when the way the binaries are built changes (flags, ldflags, layout),
# so that old cache dirs are not reused.
RECIPE=1

# Module versions, read from the go.mod files (single source of truth).
k8s_version="$(modver "$here/go.mod" k8s.io/kubernetes)"
etcd_version="$(modver "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
[[ -n "$k8s_version" ]] || die "cannot read the k8s.io/kubernetes version from $here/go.mod"
[[ -n "$etcd_version" ]] || die "cannot read the go.etcd.io/etcd/server/v3 version from $here/etcd/go.mod"

# Cache key: both modules' go.sum and go.mod (minus comments and blank lines,
# so that editing a comment does not force a rebuild) and the recipe.
hash="$( {
  echo "recipe=$RECIPE"
  nocomment "$here/go.mod"; cat "$here/go.sum"
  nocomment "$here/etcd/go.mod"; cat "$here/etcd/go.sum"
} | sha256sum | cut -c1-12)"
out="$cache_root/kube-$k8s_version-$hash"
reuse_cached "$out"

need="$(printf '%s\n%s\n' "$(gomin "$here/go.mod")" "$(gomin "$here/etcd/go.mod")" | sort -V | tail -n 1)"
require_go "$need" "kube-apiserver $k8s_version and etcd $etcd_version"
build_dir "kube-$k8s_version-$hash"

start=$SECONDS
log "building into $out (go $have, $(nproc 2>/dev/null || echo '?') CPUs)"
log "with cold Go caches this downloads ~700 MB of modules and compiles for 5-10 min on 2 cores"

# Version stamping as in kubernetes' hack/lib/version.sh; without it the
# apiserver reports v0.0.0-master+$Format:%H$ from /version, which clients that
# gate features on the server version (kubectl, Pulumi's provider) mis-read.
minor="${k8s_version#v*.}"
minor="${minor%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

log "go build k8s.io/kubernetes/cmd/kube-apiserver@$k8s_version"
(cd "$here" && go build -mod=readonly -trimpath -buildvcs=false -ldflags "$k8s_ldflags" \
  -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver) >&2 ||
  die "building kube-apiserver failed (see above)"
log "kube-apiserver built after $((SECONDS - start))s"

log "go build go.etcd.io/etcd/server/v3@$etcd_version"
(cd "$here/etcd" && go build -mod=readonly -trimpath -buildvcs=false -ldflags "-s -w" \
  -o "$tmp/etcd" go.etcd.io/etcd/server/v3) >&2 ||
  die "building etcd failed (see above)"
log "etcd built after $((SECONDS - start))s"

"$tmp/kube-apiserver" --version >&2 || die "the built kube-apiserver does not run"
"$tmp/etcd" --version >&2 || die "the built etcd does not run"
{
  echo "kube-apiserver $k8s_version"
  echo "etcd $etcd_version"
  echo "go $have"
  echo "recipe $RECIPE"
} >"$tmp/VERSIONS"
publish "$tmp" "$out"
log "done in $((SECONDS - start))s: $out"
echo "$out"
