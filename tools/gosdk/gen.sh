#!/usr/bin/env bash
# Regenerates the Go SDK in sdk/go from schema.json and checks that it (and the
# example under tools/gosdk/example) compiles.
#
#   bash tools/gosdk/gen.sh [repo-root]
#
# Module path of the SDK:  github.com/pulumi-cluster-runtime/pulumi-cluster-runtime/sdk/go
# Package (import) path:   github.com/pulumi-cluster-runtime/pulumi-cluster-runtime/sdk/go/clusterruntime
# (schema.json has no language.go block; these are passed to the generator.)
# `go mod tidy` in sdk/go and the example needs the Go module proxy on a cold module cache.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"
log() { printf '[gosdk/gen] %s\n' "$*" >&2; }
die() { printf '[gosdk/gen] ERROR: %s\n' "$*" >&2; exit 1; }

MODULE=github.com/pulumi-cluster-runtime/pulumi-cluster-runtime/sdk/go
IMPORT_BASE=$MODULE/clusterruntime

bin="$(bash "$here/build.sh" | tail -n 1)"
[[ -x "$bin/gosdk-gen" ]] || die "tools/gosdk/build.sh did not produce gosdk-gen (got '$bin')"
export GOTOOLCHAIN=local GOWORK=off

"$bin/gosdk-gen" -schema "$root/schema.json" -out "$root/sdk/go" -module "$MODULE" -import-base-path "$IMPORT_BASE"
log "go mod tidy, go build, go vet in sdk/go"
(cd "$root/sdk/go" && go mod tidy && go build ./... && go vet ./...) >&2 || die "the generated SDK does not build (see above)"
log "go build, go vet, go test in tools/gosdk/example"
(cd "$here/example" && go mod tidy && go build -o /dev/null . && go vet ./... && go test -count=1 ./...) >&2 || die "the example does not build (see above)"
log "sdk/go is up to date with $root/schema.json"
