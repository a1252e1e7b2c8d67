#!/usr/bin/env bash
# `npm run test:e2e [-- NODE_TEST_ARGS…]`: the program on the real Pulumi engine against a real API
# server on this machine (test/e2e/*.e2e.ts, one file at a time), with a closing line counting the
# passed and failed cases.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bash test/e2e/with-cluster.sh bash -c '
    node --import tsx --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$BMP_E2E_STATE/e2e.tap" "$@" test/e2e/*.e2e.ts || rc=$?
    grep -E "^# (tests|pass|fail|skipped|duration_ms)" "$BMP_E2E_STATE/e2e.tap" || true
    echo "e2e: $(sed -n "s/^# pass //p" "$BMP_E2E_STATE/e2e.tap") passed, $(sed -n "s/^# fail //p" "$BMP_E2E_STATE/e2e.tap") failed"
    exit "${rc:-0}"
' e2e "$@"
