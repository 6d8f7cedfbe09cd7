#!/usr/bin/env bash
# Runs the end-to-end suite with the CLI on other Node.js runtimes (scripts/node-runtimes.sh);
# vitest itself stays on this machine's Node.
set -euo pipefail
cd "$(dirname "$0")/.."
runtimes=$(bash scripts/node-runtimes.sh)
mapfile -t nodes <<<"$runtimes"
for node in "${nodes[@]}"; do
  echo "== end-to-end suite with the CLI on Node $("$node" --version)"
  AMR_TEST_NODE="$node" npx vitest run test/e2e
done
