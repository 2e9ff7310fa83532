#!/usr/bin/env bash
# The full test suite: vitest's global setup brings up (or reuses) the test stack by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc --noEmit
exec npx vitest run "$@"
