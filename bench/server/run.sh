#!/usr/bin/env bash
# Encrypt requests/s and latency of `keystead serve` next to moto_server (moto's KMS mock) under
# the same load, in the same run, on loopback: kms-load sends SigV4-signed Encrypt calls
# (256-byte plaintext, an encryption context) over N keep-alive connections for S seconds.
# Both servers run with their defaults except keystead's access log, which is off (moto logs
# nothing per request either). Usage: bench/server/run.sh [connections] [seconds]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CARGO=${CARGO:-cargo}
PYTHON=${PYTHON:-python3}
CONNECTIONS=${1:-16}
SECONDS_PER_RUN=${2:-10}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=target/bench-venv

"$CARGO" build --release -p keystead-cli -p keystead-server-bench
PINS="moto[server]==5.2.5"
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$PINS" ]; then
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

KPORT=$(free_port)
KEYSTEAD_ACCESS_LOG=false "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$KPORT" >/dev/null 2>&1 &
PIDS+=($!)
MPORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MPORT" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$KPORT"
wait_port "$MPORT"

echo "# $(date -u +%FT%TZ) $(nproc) cores; connections=$CONNECTIONS seconds=$SECONDS_PER_RUN"
"$LOAD" --endpoint "127.0.0.1:$KPORT" --access-key-id "$KEY_ID" --secret-env BENCH_SECRET \
    --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN" --label keystead | tee "$WORK/keystead.json"
"$LOAD" --endpoint "127.0.0.1:$MPORT" --access-key-id AKIAIOSFODNN7EXAMPLE --secret-env BENCH_SECRET \
    --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN" --label moto | tee "$WORK/moto.json"
"$PYTHON" - "$WORK/keystead.json" "$WORK/moto.json" <<'PY'
import json, sys
k, m = (json.load(open(p)) for p in sys.argv[1:3])
print(f"keystead/moto: {k['requests_per_second'] / max(m['requests_per_second'], 1):.1f}x requests/s, "
      f"p50 {k['p50_ms']} vs {m['p50_ms']} ms, p99 {k['p99_ms']} vs {m['p99_ms']} ms, "
      f"errors {k['errors']} / {m['errors']}")
PY
