#!/usr/bin/env bash
# The full test suite: type-check, lint (the fences in eslint.config.js), then vitest (its global setup brings up or reuses the test stack).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc --noEmit
npm run --silent lint
npm run --silent events:check
mkdir -p .stack
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.stack/test-results.json "$@" || status=$?
# A plain closing line that any CI can read.
node -e '
  const r = require("./.stack/test-results.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || true
exit $status
