// Preloaded (--require) by modulesLoadedBy in harness.ts: at exit, every CommonJS file the process
// loaded, then Node's own modules as `node:internal/…` (those of Node's start-up included). Listed
// before anything is written, and written with write(2): process.stderr would load the streams.
'use strict';
/* global require */
const { writeSync } = require('node:fs'); // eslint-disable-line @typescript-eslint/no-require-imports
process.on('exit', () => {
  const files = Object.keys(require.cache);
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule '));
  const lines = [...files, ...builtins.map((entry) => `node:${entry.slice('NativeModule '.length)}`)];
  writeSync(2, lines.map((line) => `LOADED ${line}\n`).join(''));
});
