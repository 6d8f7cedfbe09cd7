// Preloaded (--require) by modulesLoadedBy in harness.ts: at exit, every CommonJS file the process loaded.
'use strict';
/* global require */
process.on('exit', () => {
  for (const file of Object.keys(require.cache)) process.stderr.write(`LOADED ${file}\n`);
});
