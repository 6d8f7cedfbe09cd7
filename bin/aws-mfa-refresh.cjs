#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry faster than an ES module one. The answer to
// --version (which scripts ask often) needs nothing else; everything else is dist/cli.cjs.
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs')}\n`);
} else {
  // Node >= 22.1 can cache compiled code between runs; elsewhere this is a no-op.
  try {
    require('node:module').enableCompileCache?.();
  } catch {
    // not available: start without the cache
  }
  let cli;
  try {
    cli = require('../dist/cli.cjs');
  } catch (error) {
    process.stderr.write(`aws-mfa-refresh: cannot start: ${error?.message ?? error}. Run npm run build.\n`);
    process.exitCode = 1;
  }
  cli?.run(process.argv).then((code) => (process.exitCode = code));
}
