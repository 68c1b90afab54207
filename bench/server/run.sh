#!/usr/bin/env bash
# Encrypt requests/s and latency of `keystead serve` next to moto_server (moto's KMS mock) under
# the same load, in the same run, on loopback: kms-load sends SigV4-signed Encrypt calls
# (256-byte plaintext, an encryption context) over N keep-alive connections for S seconds.
# Both servers run with their defaults except keystead's access log, which is off (moto logs
# nothing per request either). Usage: bench/server/run.sh [connections] [seconds]
#
# bench/server/run.sh --tls [connections] [seconds]: instead of moto, the same load against
# keystead serve over plain HTTP and over HTTPS (--tls-cert/--tls-key, a test CA and EC P-256
# certificate made here with the openssl CLI; kms-load --tls trusts the CA), same data folder.
set -euo pipefail

MODE=moto
if [ "${1:-}" = "--tls" ]; then
    MODE=tls
    shift
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CARGO=${CARGO:-cargo}
PYTHON=${PYTHON:-python3}
CONNECTIONS=${1:-16}
SECONDS_PER_RUN=${2:-10}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=target/bench-venv

# make bench (bench/run.sh) builds both in its one release build and sets BENCH_PREBUILT=1.
[ "${BENCH_PREBUILT:-0}" = 1 ] || "$CARGO" build --release -p keystead-cli -p keystead-server-bench
PINS="moto[server]==5.2.5"
if [ "$MODE" = moto ] && [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$PINS" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$PINS"
    echo "$PINS" >"$VENV/.installed"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 200); do
        "$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1"; return 1
}

BIN="$TARGET/release/keystead"
LOAD="$TARGET/release/kms-load"
"$BIN" --store "$WORK/data" init >/dev/null
read -r KEY_ID SECRET < <("$BIN" --store "$WORK/data" access-key create --principal arn:aws:iam::111122223333:role/bench \
    | "$PYTHON" -c 'import json, sys; k = json.load(sys.stdin)["AccessKey"]; print(k["AccessKeyId"], k["SecretAccessKey"])')
export BENCH_SECRET="$SECRET"

# load LABEL PORT [kms-load options]: one measured run; its JSON line goes to $WORK/LABEL.json.
load() {
    local label=$1 port=$2
    shift 2
    "$LOAD" --endpoint "127.0.0.1:$port" --secret-env BENCH_SECRET --connections "$CONNECTIONS" \
        --seconds "$SECONDS_PER_RUN" --label "$label" "$@" | tee "$WORK/$label.json"
}
# compare A B: A's requests/s and latency next to B's.
compare() {
    "$PYTHON" - "$WORK/$1.json" "$WORK/$2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(f"{a['label']}/{b['label']}: {a['requests_per_second'] / max(b['requests_per_second'], 1):.2f}x requests/s, "
      f"p50 {a['p50_ms']} vs {b['p50_ms']} ms, p99 {a['p99_ms']} vs {b['p99_ms']} ms, "
      f"errors {a['errors']} / {b['errors']}")
PY
}

KPORT=$(free_port)
KEYSTEAD_ACCESS_LOG=false "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$KPORT" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$KPORT"

if [ "$MODE" = tls ]; then
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
        -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" >"$WORK/ext"
    openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
        -extfile "$WORK/ext" -out "$WORK/server.pem" 2>/dev/null
    TPORT=$(free_port)
    KEYSTEAD_ACCESS_LOG=false "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$TPORT" \
        --tls-cert "$WORK/server.pem" --tls-key "$WORK/server.key" >/dev/null 2>&1 &
    PIDS+=($!)
    wait_port "$TPORT"
    echo "# $(date -u +%FT%TZ) $(nproc) cores; connections=$CONNECTIONS seconds=$SECONDS_PER_RUN"
    load http "$KPORT" --access-key-id "$KEY_ID"
    load https "$TPORT" --access-key-id "$KEY_ID" --tls "$WORK/ca.pem"
    compare https http
    exit 0
fi

MPORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MPORT" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$MPORT"

echo "# $(date -u +%FT%TZ) $(nproc) cores; connections=$CONNECTIONS seconds=$SECONDS_PER_RUN"
load keystead "$KPORT" --access-key-id "$KEY_ID"
load moto "$MPORT" --access-key-id AKIAIOSFODNN7EXAMPLE
compare keystead moto
