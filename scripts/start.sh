#!/usr/bin/env bash
# `npm start`: build the workspaces, then run the whole system (runtime/src/cli/start.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "[start] building (tsc -b)"
tsc -b
exec node runtime/dist/cli/start.js
