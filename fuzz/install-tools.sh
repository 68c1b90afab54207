#!/usr/bin/env bash
# Installs the fuzzing tools this project uses into target/tools (never a hand-installed copy):
# cargo-fuzz 0.13.2 from crates.io, built with --locked. Prints the directory to put on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/target/tools"
want="cargo-fuzz 0.13.2"
if [ ! -x "$tools/bin/cargo-fuzz" ] || [ "$("$tools/bin/cargo-fuzz" --version 2>/dev/null)" != "$want" ]; then
    # Its own target dir: the install must not wait on (or invalidate) the project's build lock.
    CARGO_TARGET_DIR="$root/target/tools-build" cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools" >&2
fi
echo "$tools/bin"
