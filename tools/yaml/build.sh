#!/usr/bin/env bash
# Builds the Pulumi YAML language host (pulumi-language-yaml) from the Go module
# github.com/pulumi/pulumi-yaml, adapted to the pkg/v3 / sdk/v3 version of the
# project's Pulumi CLI, into a cache directory, and prints that directory as the
# LAST line of stdout. Progress and errors go to stderr.
#
#   PATH="$(bash tools/yaml/build.sh | tail -1):$PATH"
#   bash tools/yaml/build.sh --tidy    # refresh go.mod/go.sum here after a version bump
#
# How: the module's source is copied from the Go module cache into a temp dir,
# rewritten by ./rewrite (our own rules, see there; it fails if a site it expects
# is missing), and built from ./go.mod, which requires pkg/v3 and sdk/v3 at the
# CLI's version (the same require set as tools/pulumi/go.mod, so the module cache
# is shared) and replaces github.com/pulumi/pulumi-yaml by that copy
# (./pulumi-yaml, relative to the temp dir). This repository holds no upstream
# code.
#
# Cache: ${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}
#        /yaml-<pulumi-yaml version>-<hash of go.mod, go.sum, rewrite/ and the recipe>
# A present cache dir is reused as is. Builds happen in a temp dir beside it that
# is renamed into place, so a killed or concurrent build never leaves a half cache.
#
# Needs: Go >= the `go` directive of ./go.mod, and the Go module proxy on a cold
# module cache. Honors GOCACHE, GOMODCACHE, GOPROXY, GOFLAGS as usual.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[yaml/build] %s\n' "$*" >&2; }
die() { printf '[yaml/build] ERROR: %s\n' "$*" >&2; exit 1; }
complete() { [[ -x "$1/pulumi-language-yaml" && -f "$1/VERSIONS" ]]; }
# shellcheck source=../lib/go-cache.sh
source "$here/../lib/go-cache.sh"

# Bump when the way the binary is built changes (flags, ldflags, layout).
RECIPE=1
# The module zip's checksum, checked against what the module cache holds (our
# go.sum cannot pin a module that is replaced by a directory).
YAML_SUM="github.com/pulumi/pulumi-yaml v1.25.0 h1:fy/AKkIafzwtk/6Bj9KFXGj6uqYWGXY31UmLvhrfjqs="

tidy=0
case "${1:-}" in
  --tidy) tidy=1 ;;
  "") ;;
  *) die "usage: bash tools/yaml/build.sh [--tidy]" ;;
esac

yaml_version="$(modver "$here/go.mod" github.com/pulumi/pulumi-yaml)"
pulumi_version="$(modver "$here/go.mod" github.com/pulumi/pulumi/pkg/v3)"
[[ -n "$yaml_version" ]] || die "cannot read the github.com/pulumi/pulumi-yaml version from $here/go.mod"
[[ -n "$pulumi_version" ]] || die "cannot read the github.com/pulumi/pulumi/pkg/v3 version from $here/go.mod"
[[ "$YAML_SUM" == "github.com/pulumi/pulumi-yaml $yaml_version "* ]] ||
  die "go.mod requires pulumi-yaml $yaml_version but YAML_SUM in $0 is for another version; set it to the h1: sum of $yaml_version"

hash="$( {
  echo "recipe=$RECIPE"
  echo "$YAML_SUM"
  nocomment "$here/go.mod"; cat "$here/go.sum"
  (cd "$here/rewrite" && find . -type f | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done)
} | sha256sum | cut -c1-12)"
out="$cache_root/yaml-$yaml_version-$hash"
[[ $tidy == 1 ]] || reuse_cached "$out"

require_go "$(gomin "$here/go.mod")" "pulumi-language-yaml $yaml_version"
build_dir "yaml-$yaml_version-$hash"
work="$tmp/work"
mkdir -p "$work"
start=$SECONDS

# --- 1. the upstream source, from the Go module cache -------------------------
log "fetching github.com/pulumi/pulumi-yaml@$yaml_version into the Go module cache"
info="$(cd "$work" && go mod download -json "github.com/pulumi/pulumi-yaml@$yaml_version")" ||
  die "go mod download github.com/pulumi/pulumi-yaml@$yaml_version failed"
src="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
sum="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')"
[[ -d "$src" ]] || die "the module cache has no directory for pulumi-yaml@$yaml_version (got '$src')"
[[ "github.com/pulumi/pulumi-yaml $yaml_version $sum" == "$YAML_SUM" ]] ||
  die "pulumi-yaml@$yaml_version has checksum $sum, expected ${YAML_SUM##* }"
cp -R "$src" "$work/pulumi-yaml"
chmod -R u+w "$work/pulumi-yaml"
cp "$here/go.mod" "$here/go.sum" "$work/"

# --- 2. our rewrites ------------------------------------------------------------
log "rewriting the copy for pkg/v3 and sdk/v3 $pulumi_version (tools/yaml/rewrite)"
(cd "$here/rewrite" && go build -trimpath -o "$tmp/rewrite" .) >&2 || die "building tools/yaml/rewrite failed"
"$tmp/rewrite" "$work/pulumi-yaml" 2>"$tmp/rewrite.log" || { cat "$tmp/rewrite.log" >&2; die "the rewrite failed (see above)"; }
sed 's/^/  /' "$tmp/rewrite.log" >&2

if [[ $tidy == 1 ]]; then
  log "go mod tidy"
  (cd "$work" && go mod tidy) >&2 || die "go mod tidy failed"
  cp "$work/go.mod" "$work/go.sum" "$here/"
  log "updated $here/go.mod and go.sum"
  exit 0
fi

# --- 3. build -------------------------------------------------------------------
log "building pulumi-language-yaml $yaml_version against pulumi $pulumi_version into $out (go $have, $(nproc 2>/dev/null || echo '?') CPUs; cold: several minutes)"
(cd "$work" && go build -mod=readonly -trimpath -buildvcs=false \
  -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=${yaml_version#v}" \
  -o "$tmp/pulumi-language-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml) >&2 ||
  die "go build failed (see above)"
log "built after $((SECONDS - start))s"

# The binary must carry the pinned SDK, not the one pulumi-yaml's go.mod names.
deps="$(go version -m "$tmp/pulumi-language-yaml")"
grep -q "dep[[:space:]]*github.com/pulumi/pulumi/sdk/v3[[:space:]]*$pulumi_version" <<<"$deps" ||
  die "the built binary does not embed github.com/pulumi/pulumi/sdk/v3 $pulumi_version"
{
  echo "pulumi-language-yaml $yaml_version"
  echo "github.com/pulumi/pulumi/pkg/v3 $pulumi_version"
  echo "go $have"
  echo "recipe $RECIPE"
} >"$tmp/VERSIONS"
cp "$tmp/rewrite.log" "$tmp/REWRITE.log"
rm -rf "$work" "$tmp/rewrite" "$tmp/rewrite.log"
publish "$tmp" "$out"
log "done in $((SECONDS - start))s: $out"
echo "$out"
