#!/usr/bin/env bash
# Smoke test of the YAML language host built by tools/yaml/build.sh, with the
# project's Pulumi CLI (tools/pulumi/build.sh), offline, on a local file backend
# in a temp dir:
#   1. config and outputs only: preview, up, stack output (plain and secret);
#   2. a resource of the engine's built-in provider (a StackReference to 1.);
#   3. a resource of a provider plugin (smoke/pulumi-resource-yamlsmoke, served by
#      @pulumi/pulumi/provider from node_modules): the language host loads its
#      schema, so a wrong property fails the preview; up, update, a check failure,
#      destroy. Skipped, with a message, when node_modules lacks @pulumi/pulumi;
#   4. destroy and remove every stack.
#
#   bash tools/yaml/smoke.sh [repo-root]
#
# repo-root (default: this checkout) is where node_modules is looked for (the
# CLI's build needs it too on a cold cache). Keeps the temp dir when
# KEEP_SMOKE_DIR=1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"
log() { printf '[yaml/smoke] %s\n' "$*" >&2; }
die() { printf '[yaml/smoke] FAIL: %s\n' "$*" >&2; exit 1; }

yaml_dir="$(bash "$here/build.sh" | tail -n 1)"
engine_dir="$(bash "$root/tools/pulumi/build.sh" "$root" | tail -n 1)"
[[ -x "$yaml_dir/pulumi-language-yaml" ]] || die "tools/yaml/build.sh gave no pulumi-language-yaml ('$yaml_dir')"
[[ -x "$engine_dir/pulumi" ]] || die "tools/pulumi/build.sh gave no pulumi ('$engine_dir')"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/yaml-smoke.XXXXXX")"
if [[ "${KEEP_SMOKE_DIR:-0}" == 1 ]]; then
  log "keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/backend" "$tmp/home" "$tmp/bin"

export PATH="$tmp/bin:$yaml_dir:$engine_dir:$PATH"
export PULUMI_HOME="$tmp/home" PULUMI_BACKEND_URL="file://$tmp/backend"
export PULUMI_CONFIG_PASSPHRASE=yaml-smoke PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=1 PULUMI_SKIP_CONFIRMATIONS=1 NO_COLOR=1

# run <dir> <pulumi args...>: runs pulumi in <dir>, output in $tmp/last.log.
run() {
  local dir="$1"
  shift
  (cd "$dir" && pulumi "$@" --color never) >"$tmp/last.log" 2>&1
}
# ok <what> <dir> <pulumi args...>: must succeed.
ok() {
  local what="$1"
  shift
  run "$@" || { cat "$tmp/last.log" >&2; die "$what: pulumi ${*:2} failed"; }
  log "ok: $what"
}
# fails <what> <expected text> <dir> <pulumi args...>: must fail, saying <expected text>.
fails() {
  local what="$1" text="$2"
  shift 2
  if run "$@"; then cat "$tmp/last.log" >&2; die "$what: pulumi ${*:2} succeeded"; fi
  grep -qF -- "$text" "$tmp/last.log" || { cat "$tmp/last.log" >&2; die "$what: the output does not say '$text'"; }
  log "ok: $what (fails with '$text')"
}
# output <dir> <name> <expected> [--show-secrets]
output() {
  local dir="$1" name="$2" want="$3" got
  got="$(cd "$dir" && pulumi stack output "$name" ${4:-})" || die "pulumi stack output $name failed in $dir"
  [[ "$got" == "$want" ]] || die "stack output $name in $dir: got '$got', want '$want'"
  log "ok: output $name = $want"
}

log "pulumi $(pulumi version), $(command -v pulumi-language-yaml)"

# --- 1. config and outputs ------------------------------------------------------
mkdir -p "$tmp/producer"
cat >"$tmp/producer/Pulumi.yaml" <<'EOF'
name: yaml-smoke
runtime: yaml
config:
  greeting:
    type: string
    default: hello
  token:
    type: string
variables:
  message: ${greeting}, world
  encoded:
    fn::toBase64: ${message}
outputs:
  message: ${message}
  encoded: ${encoded}
  joined:
    fn::join: ["-", ["a", "b", "c"]]
  token: ${token}
EOF
ok "stack init producer" "$tmp/producer" stack init producer
ok "config set" "$tmp/producer" config set greeting hi
ok "config set --secret" "$tmp/producer" config set --secret token s3cr3t
ok "preview (config and outputs)" "$tmp/producer" preview
grep -q 'message: "hi, world"' "$tmp/last.log" || { cat "$tmp/last.log" >&2; die "the preview does not show the output message"; }
ok "up (config and outputs)" "$tmp/producer" up --yes
output "$tmp/producer" message "hi, world"
output "$tmp/producer" encoded "aGksIHdvcmxk"
output "$tmp/producer" joined "a-b-c"
output "$tmp/producer" token "[secret]"
output "$tmp/producer" token "s3cr3t" --show-secrets

# --- 2. a built-in resource: StackReference ---------------------------------------
mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/Pulumi.yaml" <<'EOF'
name: yaml-smoke-consumer
runtime: yaml
resources:
  producer:
    type: pulumi:pulumi:StackReference
    properties:
      name: organization/yaml-smoke/producer
outputs:
  fromProducer: ${producer.outputs["message"]}
EOF
ok "stack init consumer" "$tmp/consumer" stack init consumer
ok "up (StackReference)" "$tmp/consumer" up --yes
output "$tmp/consumer" fromProducer "hi, world"
cp "$tmp/consumer/Pulumi.yaml" "$tmp/consumer/Pulumi.yaml.good"
sed -i 's/^      name: organization/      bogusProp: 1\n&/' "$tmp/consumer/Pulumi.yaml"
fails "type check (built-in schema)" "Property bogusProp does not exist on 'pulumi:pulumi:StackReference'" \
  "$tmp/consumer" preview
mv "$tmp/consumer/Pulumi.yaml.good" "$tmp/consumer/Pulumi.yaml"

# --- 3. a provider plugin's resource ------------------------------------------------
node_modules="$root/node_modules"
if [[ -f "$node_modules/@pulumi/pulumi/provider/index.js" && -x "$node_modules/.bin/node" ]]; then
  cp "$here/smoke/pulumi-resource-yamlsmoke" "$tmp/bin/"
  chmod +x "$tmp/bin/pulumi-resource-yamlsmoke"
  # Node >= 22 from node_modules/.bin first; the plugin resolves @pulumi/pulumi through NODE_PATH.
  export PATH="$node_modules/.bin:$PATH" NODE_PATH="$node_modules"
  mkdir -p "$tmp/echo"
  cat >"$tmp/echo/Pulumi.yaml" <<'EOF'
name: yaml-smoke-echo
runtime: yaml
config:
  word:
    type: string
    default: kata
resources:
  echo:
    type: yamlsmoke:index:Echo
    properties:
      value: ${word}
outputs:
  value: ${echo.value}
  length: ${echo.length}
EOF
  ok "stack init echo" "$tmp/echo" stack init echo
  ok "preview (provider resource)" "$tmp/echo" preview
  ok "up (provider resource)" "$tmp/echo" up --yes
  output "$tmp/echo" length 4
  ok "config set word" "$tmp/echo" config set word sandboxed
  ok "up (update)" "$tmp/echo" up --yes
  grep -q '1 updated' "$tmp/last.log" || { cat "$tmp/last.log" >&2; die "the second up did not update the resource"; }
  output "$tmp/echo" length 9
  ok "config set word ''" "$tmp/echo" config set word ""
  fails "provider check failure" "must not be empty" "$tmp/echo" preview
  ok "config set word" "$tmp/echo" config set word kata
  cp "$tmp/echo/Pulumi.yaml" "$tmp/echo/Pulumi.yaml.good"
  sed -i 's/^      value: \${word}/&\n      bogusProp: 1/' "$tmp/echo/Pulumi.yaml"
  fails "type check (provider schema)" "Property bogusProp does not exist on 'yamlsmoke:index:Echo'" "$tmp/echo" preview
  mv "$tmp/echo/Pulumi.yaml.good" "$tmp/echo/Pulumi.yaml"
  ok "destroy (provider resource)" "$tmp/echo" destroy --yes
  ok "stack rm echo" "$tmp/echo" stack rm --yes echo
else
  log "SKIPPED the provider plugin part: $node_modules has no @pulumi/pulumi or .bin/node (npm ci in $root)"
fi

# --- 4. clean up ----------------------------------------------------------------------
ok "destroy consumer" "$tmp/consumer" destroy --yes
ok "stack rm consumer" "$tmp/consumer" stack rm --yes consumer
ok "destroy producer" "$tmp/producer" destroy --yes
ok "stack rm producer" "$tmp/producer" stack rm --yes producer
log "PASS"
