#!/usr/bin/env bash
# Builds and tests the Python package: venv (target/py-venv), pip install ./python, stubtest,
# mypy on the package, pytest. Run from the repository root (make test calls it).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${KEYSTEAD_PY_VENV:-target/py-venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$PY" -m pip install --quiet --disable-pip-version-check pytest mypy cryptography boto3 "moto[s3]"
# Release build of the extension (maturin backend); the vendored OpenSSL is linked in.
"$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python

echo "== mypy.stubtest keystead._keystead"
"$PY" -m mypy.stubtest keystead._keystead
echo "== mypy --strict keystead"
"$PY" -m mypy --strict --no-incremental --cache-dir=/dev/null -p keystead
echo "== pytest"
# Run from inside python/tests so that the installed package (not the source tree) is imported.
cd python/tests && "../../$PY" -m pytest -q -p no:cacheprovider "$@"
