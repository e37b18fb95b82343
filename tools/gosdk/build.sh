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

# Bump when the way the binary is built changes (flags, ldflags, layout).
RECIPE=1

modver() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"; }
pulumi_version="$(modver "$here/go.mod" github.com/pulumi/pulumi/pkg/v3)"
[[ -n "$pulumi_version" ]] || die "cannot read the github.com/pulumi/pulumi/pkg/v3 version from $here/go.mod"

nocomment() { sed -e 's#//.*##' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }
hash="$( {
  echo "recipe=$RECIPE"
  nocomment "$here/go.mod"; cat "$here/go.sum"
  (cd "$here" && find . -maxdepth 1 -type f -name '*.go' | LC_ALL=C sort | xargs cat)
} | sha256sum | cut -c1-12)"
cache_root="${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}"
out="$cache_root/gosdk-$pulumi_version-$hash"

complete() { [[ -x "$1/gosdk-gen" && -f "$1/VERSIONS" ]]; }

if complete "$out"; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

need="$(awk '$1 == "go" { print $2; exit }' "$here/go.mod")"
command -v go >/dev/null 2>&1 ||
  die "Go is not installed (or not on PATH). Building gosdk-gen needs Go >= $need."
have="$(cd / && GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)"
have="${have#go}"
have="${have%%[ -]*}"
[[ -n "$have" ]] || die "cannot determine the Go version from 'go env GOVERSION'. Needs Go >= $need."
if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" != "$need" ]]; then
  die "Go $have is too old: building gosdk-gen needs Go >= $need ($(command -v go))."
fi
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
unset GOOS GOARCH || true

mkdir -p "$cache_root"
find "$cache_root" -maxdepth 1 -name '.gosdk-*.tmp.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
tmp="$(mktemp -d "$cache_root/.gosdk-$pulumi_version-$hash.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

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
chmod 0755 "$tmp"

if [[ -e "$out" ]] && ! complete "$out"; then rm -rf "$out"; fi
if ! mv -T "$tmp" "$out" 2>/dev/null; then
  complete "$out" || die "cannot move $tmp to $out"
  log "another build finished first; using it"
fi
log "done in $((SECONDS - start))s: $out"
echo "$out"
