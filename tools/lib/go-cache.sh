# Shared by the tools/*/build.sh scripts that build Go programs into a versioned cache directory:
# read versions from go.mod, check the Go toolchain, build in a temp directory beside the cache and
# publish it with one rename, so that a killed or concurrent build never leaves a half-filled cache.
#
# Source it after defining log() and die() (each script tags its own lines) and, for
# reuse_cached/publish, complete() (whether a directory holds everything the script builds).

# ${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}
cache_root="${PULUMI_CLUSTER_RUNTIME_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cluster-runtime}"

# modver <go.mod> <module>: the version go.mod requires of the module.
modver() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"; }

# gomin <go.mod>: its `go` directive.
gomin() { awk '$1 == "go" { print $2; exit }' "$1"; }

# nocomment <file>: without comments and blank lines, so that editing a comment does not change a key.
nocomment() { sed -e 's#//.*##' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }

# reuse_cached <dir>: print the directory and end the script when it is complete.
reuse_cached() {
  if complete "$1"; then
    log "cached: $1"
    echo "$1"
    exit 0
  fi
}

# require_go <version> <what>: the local Go is at least that version; sets $have and the build
# environment (never another toolchain behind our back, no cgo, the host's platform).
require_go() {
  local need="$1" what="$2"
  command -v go >/dev/null 2>&1 || die "Go is not installed (or not on PATH). Building $what needs Go >= $need."
  have="$(cd / && GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)"
  have="${have#go}"
  have="${have%%[ -]*}" # strip suffixes like " X:..." or "-rc"
  [[ -n "$have" ]] || die "cannot determine the Go version from 'go env GOVERSION'. Building $what needs Go >= $need."
  if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" != "$need" ]]; then
    die "Go $have is too old: building $what needs Go >= $need ($(command -v go))."
  fi
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
  unset GOOS GOARCH || true
}

# build_dir <name>: a new temp directory beside the cache directory <name>, removed on exit; the
# temp directories of killed builds (SIGKILL skips the trap) go once they are a day old.
build_dir() {
  mkdir -p "$cache_root"
  find "$cache_root" -maxdepth 1 -name ".${1%%-*}-*.tmp.*" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
  tmp="$(mktemp -d "$cache_root/.$1.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
}

# publish <tmp> <out>: rename the finished build into place. A leftover incomplete directory (only
# possible by hand) is replaced; if a concurrent build won the race, its result is kept.
publish() {
  chmod 0755 "$1"
  if [[ -e "$2" ]] && ! complete "$2"; then rm -rf "$2"; fi
  if ! mv -T "$1" "$2" 2>/dev/null; then
    complete "$2" || die "cannot move $1 to $2"
    log "another build finished first; using it"
  fi
}
