#!/usr/bin/env bash
# Offline smoke test of the engine from build.sh: a TypeScript program with a
# pulumi.dynamic.Resource goes through login/stack init/preview/up/stack
# output/refresh/destroy against a file:// backend in a temp directory; then
# `pulumi package gen-sdk --language nodejs` generates an SDK from a tiny schema.
#
# Usage: bash tools/pulumi/smoke.sh [repo-root]   (needs npm ci done in repo-root)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"
fail() { printf 'tools/pulumi/smoke.sh: FAIL: %s\n' "$*" >&2; exit 1; }

engine="$(bash "$here/build.sh" "$root" | tail -1)"
export PATH="$engine:$root/node_modules/.bin:$PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 22 ] || fail "node $(node --version) on PATH; @pulumi/pulumi needs >= 22 (npm i node@24)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-smoke.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
prog="$tmp/prog"
mkdir -p "$prog" "$tmp/state"   # pulumi login file:// needs an existing directory
ln -s "$root/node_modules" "$prog/node_modules"
cat >"$prog/Pulumi.yaml" <<'EOF'
name: smoke
runtime: nodejs
main: index.ts
EOF
cat >"$prog/index.ts" <<'EOF'
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        console.log(`SMOKE-PROVIDER-LOG create ${inputs.name}`);
        return { id: `smoke-${inputs.name}`, outs: { ...inputs, greeting: `hello ${inputs.name}` } };
    },
};

class Greeting extends pulumi.dynamic.Resource {
    declare readonly greeting: pulumi.Output<string>;
    constructor(name: string, args: { name: string }) {
        super(provider, name, { greeting: undefined, ...args });
    }
}

export const greeting = new Greeting("g", { name: "smoke" }).greeting;
EOF

export PULUMI_SKIP_UPDATE_CHECK=1 PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=1
export PULUMI_CONFIG_PASSPHRASE=smoke PULUMI_HOME="$tmp/home"
cd "$prog"
log="$tmp/log"
run() { echo "+ pulumi $*" >&2; pulumi "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "pulumi $*"; }; }
run login "file://$tmp/state"
run stack init dev
run preview
run up --yes
grep -q "SMOKE-PROVIDER-LOG create smoke" "$log" || { cat "$log" >&2; fail "provider console.log not shown by pulumi up"; }
[ "$(pulumi stack output greeting)" = "hello smoke" ] || fail "stack output greeting is '$(pulumi stack output greeting)'"
run refresh --yes
run destroy --yes
run stack rm --yes dev

# SDK generation goes through the language host's GeneratePackage.
cat >"$tmp/schema.json" <<'EOF'
{
  "name": "smoke",
  "version": "0.0.1",
  "resources": {
    "smoke:index:Thing": {
      "inputProperties": { "size": { "type": "integer" } },
      "properties": { "size": { "type": "integer" } }
    }
  }
}
EOF
run package gen-sdk "$tmp/schema.json" --language nodejs --out "$tmp/sdk"
for f in index.ts thing.ts package.json; do
  [ -s "$tmp/sdk/nodejs/$f" ] || fail "pulumi package gen-sdk did not write sdk/nodejs/$f"
done
echo "tools/pulumi/smoke.sh: OK ($(pulumi version) from $engine)" >&2
