# etcd and kube-apiserver on loopback for the smoke tests of tools/kube and tools/capi, the way the
# dev cluster (tools/dev-cluster) starts them: certificates made with openssl, an admin client
# certificate in system:masters, a kubeconfig for it, RBAC authorization.
#
# Source it after defining log() and die(); set $work (a temp dir) first. Then:
#   start_local_cluster "<CA name>" "$bin"   # ports, PKI ($pki, $certs), $kc and k() (kubectl on it),
#                                            # etcd ($etcd_pid, $etcd_ready_ms), the API server ($api_pid, $api_ready_ms)
#   finish_smoke "$rc" <log files>           # in the caller's EXIT trap, after stopping its own processes

# What the functions below run besides the built binaries.
for tool in openssl kubectl awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not installed"
done

now_ms() { local t; t="$(date +%s%N)"; echo $((t / 1000000)); }

stop() { # stop PID NAME: SIGTERM, up to 15 s, then SIGKILL
  local pid="$1" name="$2" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop on SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Free loopback ports below the kernel's ephemeral range, not bound by any socket right now (per
# /proc/net/tcp{,6}). There is a small race until the servers bind.
taken=" "
pick_port() { # sets $port
  local lo _ p i
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range || lo=32768
  ((lo > 20000)) || lo=32768
  for ((i = 0; i < 200; i++)); do
    p=$((15000 + RANDOM % (lo - 15000)))
    [[ "$taken" == *" $p "* ]] && continue
    if ! awk -v p="$(printf '%04X' "$p")" 'FNR > 1 { n = split($2, a, ":"); if (a[n] == p) found = 1 } END { exit !found }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      taken+="$p "
      port="$p"
      return 0
    fi
  done
  die "no free port found"
}

# One CA signs the API server's serving certificate and the admin client certificate; the API
# server trusts it for clients (--client-ca-file). Sets $pki and $certs (the API server's --cert-dir).
make_pki() { # make_pki CA-NAME
  pki="$work/pki"
  certs="$work/apiserver-certs"
  mkdir -p "$pki" "$certs"
  eckey "$pki/ca.key"
  ossl req -x509 -new -key "$pki/ca.key" -subj "/CN=$1" -days 7 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$pki/ca.crt"
  sign "$certs/apiserver" "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  sign "$pki/admin" "/O=system:masters/CN=pulumi-cluster-runtime-admin" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  rm -f "$certs"/*.csr "$certs"/*.ext "$pki"/*.csr "$pki"/*.ext
  # Service account token signing key (RSA, as upstream and envtest use).
  ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
  ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
}
ossl() { openssl "$@" >/dev/null 2>"$work/openssl.err" || { cat "$work/openssl.err" >&2; die "openssl $1 failed"; }; }
eckey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
sign() { # sign FILE-PREFIX SUBJECT EXTENSIONS
  eckey "$1.key"
  ossl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" >"$1.ext"
  ossl x509 -req -in "$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 7 -sha256 -extfile "$1.ext" -out "$1.crt"
}

write_kubeconfig() { # sets $kc; k() is kubectl on it
  kc="$work/kubeconfig"
  kubectl config --kubeconfig="$kc" set-cluster dev --server="https://127.0.0.1:$api_port" \
    --certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$kc" set-credentials admin \
    --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$kc" set-context dev --cluster=dev --user=admin >/dev/null
  kubectl config --kubeconfig="$kc" use-context dev >/dev/null
}
k() { kubectl --kubeconfig="$kc" --request-timeout=20s "$@"; }

etcd_health() ( # GET /health over bash's /dev/tcp (no curl needed); a subshell
  exec 3<>"/dev/tcp/127.0.0.1/$etcd_port" || exit 1
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  reply="$(timeout 2 cat <&3 || true)"
  [[ "$reply" == *'"health":"true"'* ]]
) 2>/dev/null

# Single member, plain HTTP on loopback (only the API server talks to it). The peer listener is
# required by etcd; port 0 lets the kernel pick one. --unsafe-no-fsync: throwaway dev data, much
# faster on slow disks (envtest does the same).
apiserver_ready() { [[ "$(k get --raw=/readyz 2>/dev/null)" == ok ]]; }

# await_start NAME PID T0-MS LIMIT-S CHECK: until CHECK succeeds; dies when the process exits first or
# LIMIT-S seconds have passed since T0-MS.
await_start() {
  local name="$1" pid="$2" t0="$3" limit_s="$4" check="$5"
  until "$check"; do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start"
    (($(now_ms) - t0 < limit_s * 1000)) || die "$name not ready after $limit_s s"
    sleep 0.1
  done
}

start_etcd() { # start_etcd BIN-DIR: sets $etcd_pid, $etcd_ready_ms
  local t0
  log "etcd on 127.0.0.1:$etcd_port"
  t0="$(now_ms)"
  "$1/etcd" --name=dev --data-dir="$work/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:0" --initial-advertise-peer-urls="http://127.0.0.1:2380" \
    --initial-cluster="dev=http://127.0.0.1:2380" --unsafe-no-fsync=true --log-level=warn \
    >"$work/etcd.log" 2>&1 &
  etcd_pid=$!
  await_start etcd "$etcd_pid" "$t0" 60 etcd_health
  etcd_ready_ms=$(($(now_ms) - t0))
  log "etcd healthy after ${etcd_ready_ms} ms"
}

start_apiserver() { # start_apiserver BIN-DIR: sets $api_pid, $api_ready_ms; waits for /readyz and namespace default
  local t0 i
  log "kube-apiserver on https://127.0.0.1:$api_port"
  t0="$(now_ms)"
  "$1/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" --cert-dir="$certs" \
    --secure-port="$api_port" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --service-cluster-ip-range=10.0.0.0/24 --service-account-issuer="https://127.0.0.1:$api_port" \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=RBAC --disable-admission-plugins=ServiceAccount \
    --endpoint-reconciler-type=none --allow-privileged=true >"$work/kube-apiserver.log" 2>&1 &
  api_pid=$!
  await_start kube-apiserver "$api_pid" "$t0" 180 apiserver_ready
  api_ready_ms=$(($(now_ms) - t0))
  log "kube-apiserver ready after ${api_ready_ms} ms"
}

start_local_cluster() { # start_local_cluster CA-NAME BIN-DIR
  pick_port; etcd_port="$port"
  pick_port; api_port="$port"
  make_pki "$1"
  write_kubeconfig
  start_etcd "$2"
  start_apiserver "$2"
}

# On failure the last lines of the named logs in $work; then the API server and etcd stopped (the API
# server first: it needs etcd to shut down cleanly), $work removed unless SMOKE_KEEP=1, PASS or FAILED.
finish_smoke() { # finish_smoke RC LOG-FILE...: exits with RC
  local rc="$1" f
  shift
  if ((rc != 0)); then
    for f in "$@"; do
      [[ -s "$work/$f" ]] && { log "--- last lines of $f ---"; tail -n 40 "$work/$f" >&2; }
    done
  fi
  stop "$api_pid" kube-apiserver
  stop "$etcd_pid" etcd
  if [[ "${SMOKE_KEEP:-}" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
  if ((rc == 0)); then log "PASS"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}
