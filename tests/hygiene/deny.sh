#!/usr/bin/env bash
# cargo-deny over the workspace (deny.toml): licences, bans and sources always; advisories
# when the RustSec advisory database (a git repository on github.com) can be reached, and a
# loud SKIPPED line when it cannot (CI machines reach package registries only).
# Installs cargo-deny 0.20.2 into target/tools on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/target/tools"
want="cargo-deny 0.20.2"
if [ ! -x "$tools/bin/cargo-deny" ] || [ "$("$tools/bin/cargo-deny" --version 2>/dev/null)" != "$want" ]; then
    start=$(date +%s)
    CARGO_TARGET_DIR="$root/target/tools-build" cargo install cargo-deny --version 0.20.2 --locked --root "$tools" >&2
    echo "cargo-deny installed in $(( $(date +%s) - start )) s" >&2
fi
checks=(licenses bans sources)
if timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
    checks=(advisories "${checks[@]}")
else
    echo "cargo-deny: the RustSec advisory database (github.com) is unreachable from this machine:" \
        "advisories check SKIPPED (licences, bans and sources are checked)" >&2
fi
"$tools/bin/cargo-deny" --manifest-path "$root/Cargo.toml" --log-level warn check "${checks[@]}"
echo "cargo-deny: ${checks[*]}: ok"
