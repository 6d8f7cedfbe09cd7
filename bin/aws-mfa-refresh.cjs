#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry faster than an ES module one, and the answer
// to --version (which scripts ask often) needs nothing else. Everything else is the ES bundle.
'use strict';

// Node >= 22.1 can cache compiled code between runs; elsewhere this is a no-op.
try {
  require('node:module').enableCompileCache?.();
} catch {
  // not available: start without the cache
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs')}\n`);
} else {
  import('../dist/main.js').then(
    async ({ main }) => {
      process.exitCode = await main(process.argv);
    },
    (error) => {
      process.stderr.write(`aws-mfa-refresh: cannot start: ${error?.message ?? error}. Run npm run build.\n`);
      process.exitCode = 1;
    },
  );
}
