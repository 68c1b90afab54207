#!/usr/bin/env bash
# The e-commerce demo: sets up a venv (target/demo-venv), installs Keystead (pip install ./python),
# boto3, cryptography and moto's S3 server, starts the server on 127.0.0.1, runs shop.py, and stops
# the server. Run from the repository root:   bash examples/ecommerce/run.sh
#
# Against real Amazon S3: SHOP_S3_ENDPOINT=  (empty) with AWS credentials in the environment, and
# SHOP_BUCKET=<a bucket name you own>; then no local server is started.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${KEYSTEAD_DEMO_VENV:-target/demo-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$VENV"
fi
PY="$VENV/bin/python"
echo "Installing keystead, boto3, cryptography and moto[server] into $VENV ..."
"$PY" -m pip install --quiet --disable-pip-version-check boto3 cryptography "moto[server]"
"$PY" -m pip install --quiet --disable-pip-version-check ./python

export SHOP_KEYSTEAD_STORE="${SHOP_KEYSTEAD_STORE:-target/ecommerce-keystead}"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

if [ -z "${SHOP_S3_ENDPOINT+set}" ]; then
    # Local S3: moto's server, in memory, any credentials accepted. The demo store starts fresh too.
    rm -rf "$SHOP_KEYSTEAD_STORE"
    PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >target/ecommerce-s3.log 2>&1 &
    SERVER_PID=$!
    export SHOP_S3_ENDPOINT="http://127.0.0.1:$PORT"
    export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1
    for _ in $(seq 1 50); do
        if "$PY" -c "import urllib.request; urllib.request.urlopen('$SHOP_S3_ENDPOINT/moto-api/')" 2>/dev/null; then break; fi
        sleep 0.2
    done
    echo "Local S3 (moto) listening on $SHOP_S3_ENDPOINT"
fi

"$PY" examples/ecommerce/shop.py
