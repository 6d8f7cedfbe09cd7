#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 can cache compiled code between runs; elsewhere this is a no-op.
try {
  module.enableCompileCache?.();
} catch {}

const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv);
