#!/usr/bin/env bash
# Tests `keystead serve` with unmodified AWS clients: boto3 and the aws CLI (from pip, in
# target/server-venv) and the AWS SDK for JavaScript v3 (npm, server/tests/js, from its committed
# package-lock.json). One server runs on a free loopback port for all three, then is stopped with
# SIGTERM, which must end it cleanly. The Rust tests of the server run in `make test-rust`.
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
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
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

"$BIN" serve --data-dir "$DATA" --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/access.log" &
SERVER_PID=$!
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's/^keystead: listening on \(http:\/\/.*\)$/\1/p' "$WORK/server.out")
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/access.log"; echo "keystead serve exited early"; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "keystead serve did not report its address"; exit 1; }
echo "keystead serve at $URL"
"$PYTHON" -c 'import json, sys, urllib.request
health = json.load(urllib.request.urlopen(sys.argv[1] + "/health", timeout=10))
assert health["Status"] == "ok", health' "$URL"

export KEYSTEAD_URL="$URL" KEYSTEAD_ACCESS_KEY_ID="$ACCESS_KEY_ID" KEYSTEAD_SECRET_ACCESS_KEY="$SECRET_ACCESS_KEY"
export KEYSTEAD_OUTSIDER_PRINCIPAL="$OUTSIDER" KEYSTEAD_OUTSIDER_KEY_ID="$OUTSIDER_KEY_ID"
export KEYSTEAD_OUTSIDER_SECRET="$OUTSIDER_SECRET"
export KEYSTEAD_PRINCIPAL="$PRINCIPAL" KEYSTEAD_DATA_DIR="$DATA" KEYSTEAD_ACCESS_LOG_FILE="$WORK/access.log"
export PATH="$ROOT/$VENV/bin:$PATH"

"$VENV/bin/python" -m pytest -q -p no:cacheprovider server/tests/python
(cd server/tests/js && node --test)

# Graceful shutdown: SIGTERM ends the server with status 0 and a final log line.
kill -TERM "$SERVER_PID"
STATUS=0
wait "$SERVER_PID" || STATUS=$?
SERVER_PID=
if [ "$STATUS" -ne 0 ] || ! grep -q '"event":"stopped"' "$WORK/access.log"; then
    echo "keystead serve did not stop cleanly on SIGTERM (status $STATUS)"
    tail -5 "$WORK/access.log"
    exit 1
fi
echo "server: 1 passed, 0 failed (graceful shutdown on SIGTERM)"
