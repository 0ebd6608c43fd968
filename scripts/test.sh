#!/usr/bin/env bash
# `npm test`: type-check, lint, then every jest project (unit, int, e2e); int and e2e run
# against real servers that the jest global setup finds or starts (see README). Extra
# arguments go to jest. Ends with a check that no server process of this run is left.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
data_root="${CHAT_DATA_DIR:-$root/.data}"
mkdir -p "$data_root"
results="$data_root/jest-results.json"
rm -f "$results"
status=0

step() { printf '\n== %s\n' "$*"; }

step "type-check (tsc -b)"
# Suites that start services from dist/ build first unless told the build is fresh.
if tsc -b; then export CHAT_SKIP_BUILD=1; else status=1; fi

step "lint (eslint)"
eslint --max-warnings 0 . || status=1

step "tests (jest: unit, int, e2e)"
# The global setup writes where this run's local servers live (.data/test-<jest pid>).
run_file="$data_root/test-run.$$"
rm -f "$run_file"
CHAT_TEST_RUN_FILE="$run_file" jest --ci --json --outputFile="$results" "$@" || status=1

step "leftover processes"
# Every local server of this run has its data folder (or the temp folder PostgreSQL falls
# back to, named after it) on its command line, and so does the supervisor's plan. Only this
# run's are looked for: another test run may be going on.
run_dir="$(cat "$run_file" 2>/dev/null || true)"
rm -f "$run_file"
if [ -z "$run_dir" ]; then
  echo "none: this run started no local servers"
else
  pg_fallback="chat-backend-pg-$(printf '%s' "$run_dir" | od -An -tx1 | tr -d ' \n' | tail -c 24)"
  sleep 0.5
  leftovers="$(pgrep -af -- "$run_dir/|$pg_fallback" || true)"
  if [ -n "$leftovers" ]; then
    echo "processes started by this run are still alive:"
    echo "$leftovers"
    pkill -KILL -f -- "$run_dir/|$pg_fallback" || true
    status=1
  else
    echo "none: every server the tests started ($run_dir) has stopped"
  fi
fi

if [ -f "$results" ]; then
  # One plain closing line, whatever the runner prints above it.
  node -e '
    const r = require(process.argv[1]);
    console.log(`\nsummary: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$results"
else
  echo "jest wrote no results"
  status=1
fi
exit "$status"
