#!/usr/bin/env bash
# `npm run bench:runtimes`: the bench with the CLI on Node 22 and 24 (scripts/node-runtimes.sh, the binaries
# test:runtimes uses); the bench itself runs on this machine's Node.
# Extra arguments (--write-readme) go to each run; each runtime has its own README section.
set -euo pipefail
cd "$(dirname "$0")/.."
runtimes=$(bash scripts/node-runtimes.sh)
mapfile -t nodes <<<"$runtimes"
for node in "${nodes[@]}"; do
  major=$("$node" -p 'process.versions.node.split(".")[0]')
  echo "== bench with the CLI on Node $("$node" --version)"
  BENCH_NODE="$node" BENCH_SECTION="node$major" npx tsx bench/run.ts "$@"
done
