#!/usr/bin/env bash
# Cross-binding matrix: an envelope message written by each binding (Rust CLI, C, Python, Node;
# one-shot and streaming) is opened by every other, on one store. Run from the repository root
# after the binding suites (make test calls it last): it uses the CLI from test-rust
# (target/debug/keystead), libkeystead from test-c (target/release), the Python venv of
# test-python (target/py-venv) and the Node addon of test-node.
# Ends with "cross-binding: N passed, 0 failed".
set -euo pipefail
ROOT=$(pwd)
HERE="$ROOT/tests/cross-binding"
CARGO=${CARGO:-cargo}
TARGET_DIR=$("$CARGO" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
CLI="$TARGET_DIR/debug/keystead"
LIB_DIR="$TARGET_DIR/release"
PY="${KEYSTEAD_PY_VENV:-$ROOT/target/py-venv}/bin/python"
export KEYSTEAD_NODE_PACKAGE="$ROOT/node/keystead.js"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keystead-cross.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

[[ -x $CLI ]] || "$CARGO" build -p keystead-cli --quiet
[[ -f $LIB_DIR/libkeystead.so ]] || "$CARGO" build -p keystead-ffi --release --quiet
for need in "$PY" "$ROOT/node/index.js"; do
    [[ -e $need ]] || { echo "missing $need: run make test-python and make test-node first" >&2; exit 1; }
done
gcc -std=c11 -Wall -Wextra -Werror -I"$ROOT/include" "$HERE/c_tool.c" -L"$LIB_DIR" -lkeystead -Wl,-rpath,"$LIB_DIR" \
    -o "$WORK/c_tool"

STORE="$WORK/store"
"$CLI" --store "$STORE" init >/dev/null
KEY=$("$CLI" --store "$STORE" create-key --query KeyMetadata.KeyId --output text)
CONTEXT='{"matrix":"cross-binding"}'
head -c 200003 /dev/urandom >"$WORK/plain.bin" # four 64 KiB segments, the last one partial

# Writers: name -> command that seals $WORK/plain.bin into $2.
seal() {
    local who=$1 out=$2
    case $who in
    cli-stream) "$CLI" --store "$STORE" encrypt-file --key-id "$KEY" --encryption-context "$CONTEXT" \
        --segment-size 64KiB --in "$WORK/plain.bin" --out "$out" --no-progress ;;
    c) "$WORK/c_tool" "$STORE" seal "$KEY" "$WORK/plain.bin" "$out" ;;
    c-stream) "$WORK/c_tool" "$STORE" seal-stream "$KEY" "$WORK/plain.bin" "$out" ;;
    python) "$PY" "$HERE/py_tool.py" "$STORE" seal "$KEY" "$WORK/plain.bin" "$out" ;;
    python-stream) "$PY" "$HERE/py_tool.py" "$STORE" seal-stream "$KEY" "$WORK/plain.bin" "$out" ;;
    node) node "$HERE/node_tool.mjs" "$STORE" seal "$KEY" "$WORK/plain.bin" "$out" ;;
    node-stream) node "$HERE/node_tool.mjs" "$STORE" seal-stream "$KEY" "$WORK/plain.bin" "$out" ;;
    esac
}

open_with() {
    local who=$1 in=$2 out=$3
    case $who in
    cli-stream) "$CLI" --store "$STORE" decrypt-file --encryption-context "$CONTEXT" --in "$in" --out "$out" --no-progress ;;
    cli-range) "$CLI" --store "$STORE" decrypt-file --encryption-context "$CONTEXT" --in "$in" --out "$out" --range 0- ;;
    c) "$WORK/c_tool" "$STORE" open "$in" "$out" ;;
    c-stream) "$WORK/c_tool" "$STORE" open-stream "$in" "$out" ;;
    python) "$PY" "$HERE/py_tool.py" "$STORE" open "$in" "$out" ;;
    python-stream) "$PY" "$HERE/py_tool.py" "$STORE" open-stream "$in" "$out" ;;
    node) node "$HERE/node_tool.mjs" "$STORE" open "$in" "$out" ;;
    node-stream) node "$HERE/node_tool.mjs" "$STORE" open-stream "$in" "$out" ;;
    esac
}

WRITERS=(cli-stream c c-stream python python-stream node node-stream)
READERS=(cli-stream cli-range c c-stream python python-stream node node-stream)
PASSED=0
FAILED=0
for w in "${WRITERS[@]}"; do
    if ! seal "$w" "$WORK/$w.ks"; then
        echo "FAILED: $w could not seal" >&2
        FAILED=$((FAILED + ${#READERS[@]}))
        continue
    fi
    row="$w:"
    for r in "${READERS[@]}"; do
        rm -f "$WORK/out.bin"
        if open_with "$r" "$WORK/$w.ks" "$WORK/out.bin" && cmp -s "$WORK/plain.bin" "$WORK/out.bin"; then
            PASSED=$((PASSED + 1))
            row+=" $r=ok"
        else
            FAILED=$((FAILED + 1))
            row+=" $r=FAILED"
        fi
    done
    echo "$row"
done
# Tampering is refused by every reader (one flipped byte in the middle of the CLI's message).
"$PY" -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 1; open(sys.argv[2], 'wb').write(b)" \
    "$WORK/cli-stream.ks" "$WORK/bad.ks"
for r in "${READERS[@]}"; do
    if open_with "$r" "$WORK/bad.ks" "$WORK/out.bin" 2>/dev/null; then
        echo "FAILED: $r opened a tampered message" >&2
        FAILED=$((FAILED + 1))
    else
        PASSED=$((PASSED + 1))
    fi
done
echo "cross-binding: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
