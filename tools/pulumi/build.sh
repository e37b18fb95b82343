#!/usr/bin/env bash
# Builds (or reuses) an offline Pulumi engine for this repo and prints its
# directory as the LAST line of stdout; all progress goes to stderr.
#
#   PATH="$(bash tools/pulumi/build.sh | tail -1):$PATH"
#
# Usage: bash tools/pulumi/build.sh [repo-root]
#
# The directory holds:
#   pulumi                         the Pulumi CLI, built from Go modules pinned in
#                                  tools/pulumi/go.mod (github.com/pulumi/pulumi/pkg/v3)
#   pulumi-language-nodejs         the Node.js language host (tools/pulumi/cmd/...)
#   pulumi-resource-pulumi-nodejs  the dynamic-provider launcher script, copied from
#                                  <repo-root>/node_modules/@pulumi/pulumi/
#
# Cache: ${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}/
#        pulumi-<version>-<hash of go.mod, go.sum and the language host source>
# A compatible `pulumi` already on PATH (same major.minor as the pinned CLI or as
# the installed @pulumi/pulumi npm package, with pulumi-language-nodejs beside it)
# is used as is, unless PULUMI_CLUSTER_RUNTIME_FORCE_BUILD=1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"

log() { printf 'tools/pulumi/build.sh: %s\n' "$*" >&2; }
die() { printf 'tools/pulumi/build.sh: error: %s\n' "$*" >&2; exit 1; }

# --- versions pinned in go.mod -------------------------------------------------
pulumi_version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$here/go.mod")"
[ -n "$pulumi_version" ] || die "cannot read the github.com/pulumi/pulumi/pkg/v3 version from $here/go.mod"
go_min="$(awk '$1 == "go" { print $2; exit }' "$here/go.mod")"
pinned_minor="${pulumi_version#v}"; pinned_minor="${pinned_minor%.*}"   # e.g. 3.259

sdk_minor=""
if [ -f "$root/node_modules/@pulumi/pulumi/package.json" ]; then
  sdk_minor="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([0-9]*\.[0-9]*\)\..*/\1/p' \
    "$root/node_modules/@pulumi/pulumi/package.json" | head -1)"
fi

# --- 1. a compatible pulumi already on PATH ------------------------------------
if [ "${PULUMI_CLUSTER_RUNTIME_FORCE_BUILD:-0}" != 1 ] && command -v pulumi >/dev/null 2>&1; then
  path_pulumi="$(command -v pulumi)"
  path_dir="$(cd "$(dirname "$path_pulumi")" && pwd)"
  path_version="$(PULUMI_SKIP_UPDATE_CHECK=1 "$path_pulumi" version 2>/dev/null | tail -1 || true)"
  path_minor="$(echo "${path_version#v}" | cut -d. -f1,2)"
  if { [ "$path_minor" = "$pinned_minor" ] || { [ -n "$sdk_minor" ] && [ "$path_minor" = "$sdk_minor" ]; }; } \
    && [ -x "$path_dir/pulumi-language-nodejs" ]; then
    log "using pulumi $path_version found on PATH in $path_dir"
    echo "$path_dir"
    exit 0
  fi
  log "ignoring pulumi ${path_version:-(unknown version)} on PATH ($path_pulumi): want ${pinned_minor}.x${sdk_minor:+ or ${sdk_minor}.x} with pulumi-language-nodejs beside it"
fi

# --- 2. cached build ------------------------------------------------------------
cache_root="${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}"
# The CLI (minutes to build) is cached by its module versions alone; the directory users put on
# PATH adds our language host and launcher (seconds to build) and is keyed by their source too.
cli_key="$(cd "$here" && cat go.mod go.sum | sha256sum | cut -c1-12)"
cli_dir="$cache_root/pulumi-cli-$pulumi_version-$cli_key"
key="$(cd "$here" && { cat go.mod go.sum pulumi-resource-pulumi-nodejs; find cmd -type f -name '*.go' | LC_ALL=C sort | xargs cat; } \
  | sha256sum | cut -c1-12)"
cache_dir="$cache_root/pulumi-$pulumi_version-$key"
bins=(pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs)

complete() {
  local b
  for b in "${bins[@]}"; do [ -x "$1/$b" ] || return 1; done
}

if complete "$cache_dir"; then
  log "reusing cached pulumi $pulumi_version in $cache_dir"
  echo "$cache_dir"
  exit 0
fi

# --- 3. build -------------------------------------------------------------------

command -v go >/dev/null 2>&1 ||
  die "Go is not installed (need go >= $go_min on PATH to build the Pulumi CLI)"
# GOTOOLCHAIN=local: report the installed toolchain, never download another one.
go_version="$(cd / && GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)" || go_version=""
go_version_num="${go_version#go}"; go_version_num="${go_version_num%% *}"
if [ -z "$go_version_num" ] ||
  [ "$(printf '%s\n%s\n' "$go_min" "$go_version_num" | sort -V | head -1)" != "$go_min" ]; then
  die "Go ${go_version:-(unknown version)} is too old: building pulumi $pulumi_version needs go >= $go_min"
fi

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.pulumi-$pulumi_version-$key.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
start=$SECONDS

if [ ! -x "$cli_dir/pulumi" ]; then
  log "building the pulumi CLI $pulumi_version with $go_version into $cli_dir (a cold build takes 10-20 minutes)"
  cli_tmp="$(mktemp -d "$cache_root/.pulumi-cli-$pulumi_version-$cli_key.tmp.XXXXXX")"
  trap 'rm -rf "$tmp" "$cli_tmp"' EXIT
  (cd "$here" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    -o "$cli_tmp/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2 || die "go build of the pulumi CLI failed"
  PULUMI_SKIP_UPDATE_CHECK=1 "$cli_tmp/pulumi" version >/dev/null 2>&1 || die "built pulumi does not run"
  chmod 0755 "$cli_tmp"
  mv -T "$cli_tmp" "$cli_dir" 2>/dev/null || [ -x "$cli_dir/pulumi" ] || die "cannot move $cli_tmp to $cli_dir"
else
  log "reusing the cached pulumi CLI $pulumi_version in $cli_dir"
fi

log "building pulumi-language-nodejs into $cache_dir"
(cd "$here" && go build -trimpath -tags osusergo,grpcnotrace -o "$tmp/" ./cmd/pulumi-language-nodejs) >&2 ||
  die "go build of pulumi-language-nodejs failed"
ln "$cli_dir/pulumi" "$tmp/pulumi" 2>/dev/null || cp "$cli_dir/pulumi" "$tmp/pulumi"
# Our launcher of @pulumi/pulumi's dynamic provider (see the script for why it is ours).
cp "$here/pulumi-resource-pulumi-nodejs" "$tmp/pulumi-resource-pulumi-nodejs"
chmod 0755 "$tmp/pulumi-resource-pulumi-nodejs"
complete "$tmp" || die "build did not produce ${bins[*]} in $tmp"
PULUMI_SKIP_UPDATE_CHECK=1 "$tmp/pulumi" version >/dev/null 2>&1 || die "built pulumi does not run"
chmod 0755 "$tmp"

# Atomic publish: rename the finished directory into place. If a concurrent run
# won the race, keep its result and drop ours.
if ! mv -T "$tmp" "$cache_dir" 2>/dev/null; then
  complete "$cache_dir" || die "cannot move $tmp to $cache_dir"
  log "another build finished first; using it"
fi
log "built in $((SECONDS - start))s"
echo "$cache_dir"
