#!/usr/bin/env bash
# Tests `keystead serve` with unmodified AWS clients: boto3 and the aws CLI (from pip, in
# target/server-venv) and the AWS SDK for JavaScript v3 (npm, server/tests/js, from its committed
# package-lock.json). One server runs on a free loopback port for all three, and a second one with
# TLS (a test CA and certificate made here with the openssl CLI) on the same data folder for each
# client's HTTPS calls; both are stopped with SIGTERM, which must end them cleanly. The Rust tests
# of the server run in `make test-rust`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CARGO=${CARGO:-cargo}
PYTHON=${PYTHON:-python3}
VENV=target/server-venv

"$CARGO" build -p keystead-cli
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/keystead"

# Pinned clients (awscli 1.46.3 and boto3 1.44.8 share botocore 1.44.8); the marker file holds
# the pins, so a changed pin reinstalls and an unchanged one skips pip.
PINS="boto3==1.44.8 awscli==1.46.3 pytest==9.2.0"
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$PINS" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
    echo "$PINS" >"$VENV/.installed"
fi
(cd server/tests/js && npm ci --no-audit --no-fund --silent)

WORK=$(mktemp -d)
SERVER_PID=
TLS_PID=
cleanup() {
    for pid in $SERVER_PID $TLS_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

DATA="$WORK/data"
PRINCIPAL="arn:aws:iam::111122223333:user/server-test"
"$BIN" --store "$DATA" init >/dev/null
CREATED=$("$BIN" --store "$DATA" access-key create --principal "$PRINCIPAL")
read -r ACCESS_KEY_ID SECRET_ACCESS_KEY < <("$PYTHON" -c '
import json, sys
key = json.load(sys.stdin)["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])' <<<"$CREATED")

# A principal of another account: it reaches the account's keys only through grants.
OUTSIDER="arn:aws:iam::444455556666:user/outsider"
CREATED=$("$BIN" --store "$DATA" access-key create --principal "$OUTSIDER")
read -r OUTSIDER_KEY_ID OUTSIDER_SECRET < <("$PYTHON" -c '
import json, sys
key = json.load(sys.stdin)["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])' <<<"$CREATED")

# A test CA and a server certificate for 127.0.0.1 / localhost signed by it (EC P-256).
TLS="$WORK/tls"
mkdir -p "$TLS"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Keystead Test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$TLS/server.ext"
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial -days 2 \
    -extfile "$TLS/server.ext" -out "$TLS/server.pem" 2>/dev/null

# A missing certificate file stops the server at startup, naming the file.
STATUS=0
"$BIN" serve --data-dir "$DATA" --listen 127.0.0.1:0 --tls-cert "$TLS/missing.pem" --tls-key "$TLS/server.key" \
    >/dev/null 2>"$WORK/bad-tls.err" || STATUS=$?
if [ "$STATUS" -eq 0 ] || ! grep -q "$TLS/missing.pem" "$WORK/bad-tls.err"; then
    echo "keystead serve with a missing TLS certificate: status $STATUS, $(cat "$WORK/bad-tls.err")"
    exit 1
fi

# start_server OUT LOG ARGS...: starts keystead serve, sets STARTED_PID and STARTED_URL.
start_server() {
    local out=$1 log=$2
    shift 2
    "$BIN" serve --data-dir "$DATA" --listen 127.0.0.1:0 "$@" >"$out" 2>"$log" &
    STARTED_PID=$!
    STARTED_URL=
    for _ in $(seq 1 100); do
        STARTED_URL=$(sed -n 's/^keystead: listening on \(https\{0,1\}:\/\/.*\)$/\1/p' "$out")
        [ -n "$STARTED_URL" ] && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || { cat "$log"; echo "keystead serve exited early"; exit 1; }
        sleep 0.1
    done
    echo "keystead serve did not report its address"
    exit 1
}
start_server "$WORK/server.out" "$WORK/access.log"
SERVER_PID=$STARTED_PID URL=$STARTED_URL
start_server "$WORK/tls.out" "$WORK/tls.log" --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
TLS_PID=$STARTED_PID TLS_URL=$STARTED_URL
echo "keystead serve at $URL and $TLS_URL"
"$PYTHON" -c 'import json, sys, urllib.request
health = json.load(urllib.request.urlopen(sys.argv[1] + "/health", timeout=10))
assert health["Status"] == "ok", health' "$URL"

export KEYSTEAD_URL="$URL" KEYSTEAD_ACCESS_KEY_ID="$ACCESS_KEY_ID" KEYSTEAD_SECRET_ACCESS_KEY="$SECRET_ACCESS_KEY"
export KEYSTEAD_OUTSIDER_PRINCIPAL="$OUTSIDER" KEYSTEAD_OUTSIDER_KEY_ID="$OUTSIDER_KEY_ID"
export KEYSTEAD_OUTSIDER_SECRET="$OUTSIDER_SECRET"
export KEYSTEAD_PRINCIPAL="$PRINCIPAL" KEYSTEAD_DATA_DIR="$DATA" KEYSTEAD_ACCESS_LOG_FILE="$WORK/access.log"
export KEYSTEAD_TLS_URL="$TLS_URL" KEYSTEAD_TLS_CA_FILE="$TLS/ca.pem"
export PATH="$ROOT/$VENV/bin:$PATH"

"$VENV/bin/python" -m pytest -q -p no:cacheprovider server/tests/python
(cd server/tests/js && NODE_EXTRA_CA_CERTS="$TLS/ca.pem" node --test)

# Graceful shutdown: SIGTERM ends each server with status 0 and a final log line; the TLS
# server logged the failed handshakes (plain HTTP, untrusted clients) as events, not panics.
stop_server() {
    local pid=$1 log=$2 status=0
    kill -TERM "$pid"
    wait "$pid" || status=$?
    if [ "$status" -ne 0 ] || ! grep -q '"event":"stopped"' "$log" || grep -q panicked "$log"; then
        echo "keystead serve did not stop cleanly on SIGTERM (status $status)"
        tail -5 "$log"
        exit 1
    fi
}
# SIGHUP re-reads the TLS files (and is ignored by the plain server, which must not end).
kill -HUP "$TLS_PID" "$SERVER_PID"
for _ in $(seq 1 50); do
    grep -q '"event":"tls reloaded"' "$WORK/tls.log" && grep -q '"event":"reload ignored"' "$WORK/access.log" && break
    sleep 0.1
done
grep -q '"event":"tls reloaded"' "$WORK/tls.log" || { echo "SIGHUP did not reload the TLS files"; exit 1; }
grep -q '"event":"reload ignored"' "$WORK/access.log" || { echo "the plain server did not ignore SIGHUP"; exit 1; }
stop_server "$SERVER_PID" "$WORK/access.log"
SERVER_PID=
stop_server "$TLS_PID" "$WORK/tls.log"
TLS_PID=
if ! grep -q '"event":"tls handshake failed"' "$WORK/tls.log"; then
    echo "the TLS server did not log the failed handshakes"
    exit 1
fi
echo "server: 2 passed, 0 failed (graceful shutdown on SIGTERM, plain and TLS)"
