#!/usr/bin/env bash
# Builds the Go SDK generator (gosdk-gen, ./main.go) into a cache directory and
# prints that directory as the LAST line of stdout. Progress and errors go to
# stderr.
#
#   "$(bash tools/gosdk/build.sh | tail -1)/gosdk-gen" -schema schema.json -out sdk/go ...
#   bash tools/gosdk/gen.sh      # the whole regeneration of sdk/go
#
# Cache: ${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}
#        /gosdk-<pkg/v3 version>-<hash of go.mod, go.sum, *.go and the recipe>
# A present cache dir is reused as is. Builds happen in a temp dir beside it that
# is renamed into place, so a killed or concurrent build never leaves a half cache.
#
# Needs: Go >= the `go` directive of ./go.mod, and the Go module proxy on a cold
# module cache. Honors GOCACHE, GOMODCACHE, GOPROXY, GOFLAGS as usual.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[gosdk/build] %s\n' "$*" >&2; }
die() { printf '[gosdk/build] ERROR: %s\n' "$*" >&2; exit 1; }
complete() { [[ -x "$1/gosdk-gen" && -f "$1/VERSIONS" ]]; }
# shellcheck source=../lib/go-cache.sh
source "$here/../lib/go-cache.sh"

# Bump when the way the binary is built changes (flags, ldflags, layout).
RECIPE=1

pulumi_version="$(modver "$here/go.mod" github.com/pulumi/pulumi/pkg/v3)"
[[ -n "$pulumi_version" ]] || die "cannot read the github.com/pulumi/pulumi/pkg/v3 version from $here/go.mod"

hash="$( {
  echo "recipe=$RECIPE"
  nocomment "$here/go.mod"; cat "$here/go.sum"
  (cd "$here" && find . -maxdepth 1 -type f -name '*.go' | LC_ALL=C sort | xargs cat)
} | sha256sum | cut -c1-12)"
out="$cache_root/gosdk-$pulumi_version-$hash"
reuse_cached "$out"

require_go "$(gomin "$here/go.mod")" "gosdk-gen"
build_dir "gosdk-$pulumi_version-$hash"

start=$SECONDS
log "building gosdk-gen with pkg/v3 $pulumi_version into $out (go $have)"
(cd "$here" && go build -mod=readonly -trimpath -buildvcs=false -ldflags "-s -w" -o "$tmp/gosdk-gen" .) >&2 ||
  die "go build failed (see above)"
{
  echo "gosdk-gen (tools/gosdk)"
  echo "github.com/pulumi/pulumi/pkg/v3 $pulumi_version"
  echo "go $have"
  echo "recipe $RECIPE"
} >"$tmp/VERSIONS"
publish "$tmp" "$out"
log "done in $((SECONDS - start))s: $out"
echo "$out"
