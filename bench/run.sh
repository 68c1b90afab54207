#!/usr/bin/env bash
# `make bench`: builds the release artefacts, installs the peers into folders of its own under
# target/, runs every workload (Keystead next to its peers, in alternating rounds) and writes
# bench/RESULTS.md. Not part of `make test` or CI. See bench/README.md ("Keystead next to its
# peers").
#
#   target/bench-venv-peers  Python venv: cryptography, aws-encryption-sdk (+ MPL), tink, and
#                            keystead built from ./python (maturin, release). Not
#                            target/bench-venv: bench/server/run.sh owns that one (moto) and
#                            recreates it whenever its own pins differ.
#   target/bench-node        the release Node addon (copied; node/ is never rebuilt here) and a
#                            package.json; the Node peer is node:crypto, built into Node.
#   target/bench-c           the C loop (bench/c/encrypt_loop.c) linked to libkeystead.so.
#   target/bench-cache       stores with 10, 1,000, 10,000 and 100,000 keys, built once
#                            (peers.rs; rebuilt when the store schema version changes).
# Environment: BENCH_ROUNDS (7), BENCH_TARGET_MS (200), BENCH_SKIP (comma list of report.py
# steps to skip), BENCH_ONLY (re-run only these steps, merged into the previous results),
# BENCH_OUT (the report, bench/RESULTS.md; relative to the repository), CARGO, PYTHON.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CARGO=${CARGO:-cargo}
OUT=${BENCH_OUT:-bench/RESULTS.md}
PYTHON=${PYTHON:-python3}
TARGET=$("$CARGO" metadata --format-version 1 --no-deps | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p "$TARGET/bench-logs"
LOGS="$TARGET/bench-logs"
STARTED=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
step() { printf '\n== %s (at %ss)\n' "$*" "$(( $(date +%s) - STARTED ))"; }

step "release builds: peers bench, C library, Node addon, CLI (keystead serve) and kms-load"
# One cargo invocation for every release artefact the workloads run. Cargo unifies dependency
# features per invocation, so separate invocations (the peers bench, then the libraries, then
# bench/server/run.sh's CLI build) each compiled their own keystead-core, OpenSSL and SQLite
# whenever the core had changed: the server step alone spent about 7 of its 8 minutes compiling.
# The peers bench is built with the release profile (`cargo bench` uses `bench`, which inherits
# every release setting: the same code). bench/server/run.sh is told not to build again
# (BENCH_PREBUILT, set by report.py).
# Target selection applies to every selected package: the libraries (C, Node), the binaries
# (keystead, kms-load) and the peers bench.
if ! "$CARGO" build --release --message-format=json --lib --bins --bench peers \
    -p keystead-bench -p keystead-ffi -p keystead-node -p keystead-cli -p keystead-server-bench \
    >"$LOGS/build.json" 2>"$LOGS/build.log"; then
    tail -30 "$LOGS/build.log"
    exit 1
fi
PEERS_BIN=$("$PYTHON" -c 'import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "peers":
        print(m["executable"])' "$LOGS/build.json")
tail -1 "$LOGS/build.log"

step "C loop"
mkdir -p "$TARGET/bench-c"
cc -O2 -std=c11 -Wall -Wextra -Werror -Iinclude bench/c/encrypt_loop.c -L"$TARGET/release" -lkeystead \
    -Wl,-rpath,"$TARGET/release" -o "$TARGET/bench-c/encrypt_loop"

step "Node folder"
mkdir -p "$TARGET/bench-node"
# The cargo release build is not stripped (napi's own build may strip): the profiles of missed
# goals need its symbols.
cp "$TARGET/release/libkeystead_node.so" "$TARGET/bench-node/keystead.node"
printf '{ "name": "keystead-bench-node", "private": true, "description": "make bench: the release addon; node:crypto is the peer" }\n' \
    >"$TARGET/bench-node/package.json"

step "Python venv with the peers and keystead"
VENV="$TARGET/bench-venv-peers"
PINS="cryptography==50.0.2 aws-encryption-sdk==4.0.7 aws-cryptographic-material-providers==1.11.3 tink==1.16.1"
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$PINS" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # Each peer on its own, so that one that cannot be installed here is reported (its pip
    # error lands in the results) and the others still run.
    : >"$VENV/pip-errors.txt"
    for pin in $PINS; do
        if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check "$pin" >"$LOGS/pip-$pin.log" 2>&1; then
            echo "$pin: $(tail -3 "$LOGS/pip-$pin.log" | tr '\n' ' ')" >>"$VENV/pip-errors.txt"
        fi
    done
    echo "$PINS" >"$VENV/.installed"
fi
# MATURIN_STRIP=false: the wheel keeps its symbols (pyproject.toml strips release wheels), so
# that the perf profiles of missed goals name Keystead's functions instead of bare addresses.
# Stripping only drops the symbol table: the code measured is the same.
if ! MATURIN_STRIP=false "$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python \
    >"$LOGS/pip-keystead.log" 2>&1; then
    tail -20 "$LOGS/pip-keystead.log"
    echo "keystead (./python) did not build: the Python workloads cannot run" >&2
    exit 1
fi

step "workloads (bench/report.py)"
"$PYTHON" bench/report.py \
    --peers-bin "$PEERS_BIN" \
    --c-loop "$TARGET/bench-c/encrypt_loop" \
    --venv "$VENV" \
    --node-addon "$TARGET/bench-node/keystead.node" \
    --cache "$TARGET/bench-cache" \
    --logs "$LOGS" \
    --load-start "$LOAD_START" \
    --started "$STARTED" \
    --out "$OUT"
step "done: $OUT"
