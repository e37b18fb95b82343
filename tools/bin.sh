#!/usr/bin/env bash
# `npm run tools`: builds (or reuses) every tool the project runs Pulumi with, and prints the one
# directory that holds them all as the LAST line of stdout (progress on stderr):
#
#   pulumi                           the Pulumi CLI                (tools/pulumi/build.sh, cached)
#   pulumi-language-nodejs           the Node.js language host     (tools/pulumi/build.sh, cached)
#   pulumi-resource-pulumi-nodejs    the dynamic provider launcher (tools/pulumi/build.sh)
#   pulumi-language-yaml             Pulumi YAML                   (tools/yaml/build.sh, cached)
#   pulumi-resource-cluster-runtime  this package's provider plugin: a launcher of
#                                    bin/plugin/main.js of this checkout on its Node 24
#
#   PATH="$(npm run --silent tools | tail -1):$PATH"
#   pulumi plugin install resource cluster-runtime 0.1.0 --file "$dir/pulumi-resource-cluster-runtime"
#
# The directory is <repo>/.state/bin (per checkout: the launcher names this checkout's files); the
# binaries in it are links into ~/.cache/pulumi-cluster-runtime, built once per version.
# Needs the TypeScript build (npm run build; `npm run tools` runs it first).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/..}" && pwd)"
log() { printf 'tools/bin.sh: %s\n' "$*" >&2; }
die() { printf 'tools/bin.sh: error: %s\n' "$*" >&2; exit 1; }

engine="$(bash "$root/tools/pulumi/build.sh" "$root" | tail -n 1)"
yaml="$(bash "$root/tools/yaml/build.sh" | tail -n 1)"
[[ -x "$engine/pulumi" ]] || die "tools/pulumi/build.sh gave no pulumi ('$engine')"
[[ -x "$yaml/pulumi-language-yaml" ]] || die "tools/yaml/build.sh gave no pulumi-language-yaml ('$yaml')"

main="$root/bin/plugin/main.js"
node="$root/node_modules/.bin/node"
[[ -f "$main" ]] || die "$main is missing: run npm run build first"
[[ -x "$node" ]] || die "$node is missing: run npm ci first (Node 24 comes from the npm package node@24)"

out="$root/.state/bin"
mkdir -p "$out"
for tool in pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs; do ln -sfn "$engine/$tool" "$out/$tool"; done
ln -sfn "$yaml/pulumi-language-yaml" "$out/pulumi-language-yaml"

# exec: the plugin is the engine's child itself, so it sees the engine go (its parent changes).
launcher="$out/pulumi-resource-cluster-runtime"
cat >"$launcher.tmp" <<EOF
#!/bin/sh
# The cluster-runtime provider plugin of $root (written by tools/bin.sh).
exec "$node" "$main" "\$@"
EOF
chmod 0755 "$launcher.tmp"
mv -f "$launcher.tmp" "$launcher"
log "pulumi, language hosts (nodejs, yaml) and pulumi-resource-cluster-runtime in $out"
echo "$out"
