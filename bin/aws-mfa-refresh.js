#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 can cache compiled code between runs; elsewhere this is a no-op.
try {
  module.enableCompileCache?.();
} catch {}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Scripts ask this often; answer without loading the command-line parser.
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(process.argv);
}
