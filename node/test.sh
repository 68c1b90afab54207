#!/usr/bin/env bash
# Builds the Node addon and runs its tests. Run from the repository root (make test calls it).
#   npm ci -> napi build --release -> fail if the committed index.js/index.d.ts are stale
#   -> tsc type-checks testing/usage.ts against the published types -> node --test test/
#   -> the examples/node script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/node"

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

npx napi build --platform --release

# The generated loader and types are committed; a build that changes them means they are stale.
if ! git -C "$root" diff --exit-code -- node/index.js node/index.d.ts; then
  echo "node/index.js or node/index.d.ts is stale: commit the regenerated files" >&2
  exit 1
fi

# The published types (keystead.d.ts over the generated index.d.ts) accept a typed use of the
# whole API and refuse the marked mistakes (typescript is pinned in package-lock.json).
npx tsc -p testing/tsconfig.json
echo "types: testing/usage.ts type-checks against keystead.d.ts"

node --test test/

node "$root/examples/node/orders.mjs"
