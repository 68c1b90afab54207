#!/usr/bin/env bash
# Bad input through every door (issue 11): runs the table-driven tests of the Rust, C, Python and
# Node bindings and writes their table (target/bad-input/bad-input.md; with --write-doc also
# docs/bad-input.md). Run from the repository root. Each binding's artefacts are built here when
# missing (in `make test` the binding suites before this one have built them already).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CARGO=${CARGO:-cargo}
OUT_DIR="$ROOT/target/bad-input"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/results.jsonl"
: >"$RESULTS"
export KEYSTEAD_BAD_INPUT_OUT="$RESULTS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keystead-bad-input.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
started=$SECONDS

echo "== bad input: Rust"
# pipefail: a failing test fails the script (its rows are written before it asserts).
"$CARGO" test -q -p keystead-core --test bad_input -- --nocapture 2>&1 | grep -E '^bad-input/|test result|panicked|accepted|fault'

echo "== bad input: C"
TARGET_DIR=$("$CARGO" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
LIB_DIR="$TARGET_DIR/release"
if [ ! -f "$LIB_DIR/libkeystead.so" ]; then
    "$CARGO" build -q -p keystead-ffi --release
fi
python3 tests/bad-input/gen_c_cases.py include/keystead.h "$WORK/cases.inc"
gcc -std=c11 -Wall -Wextra -Werror -O1 -g -I"$ROOT/include" -I"$WORK" tests/bad-input/c_bad_input.c \
    -L"$LIB_DIR" -lkeystead -lpthread -Wl,-rpath,"$LIB_DIR" -o "$WORK/c_bad_input"
mkdir "$WORK/c"
# From inside the work folder: the cases include relative store paths (a non-UTF-8 name is a
# valid Linux path, so opening it creates a store), which must not land in the repository.
(cd "$WORK/c" && "$WORK/c_bad_input" "$WORK/c" "$RESULTS")

echo "== bad input: Python"
VENV="${KEYSTEAD_PY_VENV:-target/py-venv}"
PY="$VENV/bin/python"
if ! { [ -x "$PY" ] && "$PY" -c 'import keystead, pytest' 2>/dev/null; }; then
    # The same venv python/test.sh makes.
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check pytest
    "$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
fi
(cd tests/bad-input && "$ROOT/$PY" -m pytest -q -s -p no:cacheprovider test_bad_input_py.py 2>&1 | grep -E '^bad-input/|passed|failed|Error' )

echo "== bad input: Node"
if [ ! -f node/keystead.linux-x64-gnu.node ] || [ ! -d node/node_modules ]; then
    (cd node && npm ci --no-audit --no-fund --loglevel=error && npx napi build --platform --release)
fi
node --test tests/bad-input/bad_input.test.mjs 2>&1 | grep -E '^# (bad-input/|pass|fail|Keystead|[a-z][A-Za-z]*: )|not ok'

python3 tests/bad-input/table.py "$RESULTS" "$OUT_DIR/bad-input.md"
if [ "${1:-}" = "--write-doc" ]; then
    python3 tests/bad-input/table.py "$RESULTS" docs/bad-input.md
fi
echo "bad-input: all four bindings passed in $((SECONDS - started)) s; table in $OUT_DIR/bad-input.md"
