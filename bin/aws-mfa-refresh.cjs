#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry faster than an ES module one. The answer to
// --version (which scripts ask often) needs nothing else; everything else is dist/cli.cjs.
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs')}\n`);
} else {
  let cli;
  try {
    cli = loadCli();
  } catch (error) {
    process.stderr.write(`aws-mfa-refresh: cannot start: ${error?.message ?? error}. Run npm run build.\n`);
    process.exitCode = 1;
  }
  cli?.run(process.argv).then((code) => {
    process.exitCode = code;
    cli.saveCompileCache?.();
  });
}

/**
 * Compiling the 200 KB bundle is most of what a `status` costs beyond Node's own start, so the
 * compiled code is cached between runs, privately: V8 trusts a code cache as it trusts code, so it
 * lives in a directory of the user's own that nobody else can write. Node >= 22.1 does the caching
 * itself (module.enableCompileCache); on Node 20 we hand V8 the cache through vm.Script, as Node does.
 * Any trouble with the cache means compiling as if there were none.
 */
function loadCli() {
  const fs = require('node:fs');
  const path = require('node:path');
  const Module = require('node:module');
  const file = path.join(__dirname, '..', 'dist', 'cli.cjs');
  const dir = process.env.AWS_MFA_REFRESH_NO_COMPILE_CACHE ? undefined : privateCacheDir(fs, path);
  if (Module.enableCompileCache) {
    if (dir) Module.enableCompileCache(dir);
    return require(file);
  }
  if (!dir) return require(file);

  const stats = fs.statSync(file);
  // V8 checks its own version, flags and the source's length; the name adds the build's identity.
  const cacheFile = path.join(
    dir,
    `cli-${process.version}-${process.arch}-${stats.size}-${Math.floor(stats.mtimeMs)}.v8`,
  );
  let cached;
  try {
    cached = fs.readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const vm = require('node:vm');
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: cached });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod; // as require() would: one instance, and visible to tools that list modules
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  const cli = mod.exports;
  if (cached && !script.cachedDataRejected) return cli;
  // Written after the command ran, so the functions it compiled on the way are in the cache too.
  return { run: cli.run, saveCompileCache: () => writeCache(fs, path, dir, cacheFile, script.createCachedData()) };
}

/** The cache directory when it is ours alone (created 0700 when missing); otherwise undefined. */
function privateCacheDir(fs, path) {
  const env = process.env;
  const base =
    process.platform === 'win32'
      ? env.LOCALAPPDATA
      : env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : undefined);
  if (!base || !path.isAbsolute(base)) return undefined;
  const dir = path.join(base, 'aws-mfa-refresh', 'compile-cache');
  try {
    let stats = fs.statSync(dir, { throwIfNoEntry: false });
    if (!stats) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      stats = fs.statSync(dir);
    }
    if (!stats.isDirectory()) return undefined;
    if (process.platform !== 'win32' && (stats.uid !== process.getuid() || (stats.mode & 0o022) !== 0))
      return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Replaces the cache atomically and removes the caches of other builds. Best effort. */
function writeCache(fs, path, dir, cacheFile, data) {
  try {
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, data, { mode: 0o600 });
    fs.renameSync(temp, cacheFile);
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('cli-') && name !== path.basename(cacheFile))
        fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // a cache is never worth an error
  }
}
