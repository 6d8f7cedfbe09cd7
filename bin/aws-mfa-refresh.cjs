#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry faster than an ES module one. The answer to
// --version (which scripts ask often) needs nothing else; everything else is in dist/.
'use strict';

const args = process.argv.slice(2);
const HOT_COMMANDS = ['status', 'env', 'exec', 'credential-process'];
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // One write(2): process.stdout's stream machinery would cost more than the rest of the answer.
  const text = `${require('../dist/version.cjs')}\n`;
  try {
    require('node:fs').writeSync(1, text);
  } catch (error) {
    if (error?.code !== 'EPIPE') process.stdout.write(text); // EAGAIN: the stream waits for the pipe
  }
} else {
  const load = loader();
  const bundle = (name) => {
    try {
      return load(name);
    } catch (error) {
      const cause = String(error?.message ?? error).split('\n')[0];
      process.stderr.write(`aws-mfa-refresh: cannot start: ${cause}. Run npm run build.\n`);
      process.exit(1);
    }
  };
  // dist/hot.cjs runs status, env, exec and credential-process on a usable session; what needs more
  // (a refresh, help, other commands) it hands back untouched, and dist/cli.cjs runs it. A command
  // line without one of those names goes to dist/cli.cjs directly.
  const hot = args.some((a) => HOT_COMMANDS.includes(a));
  let ranIn; // the bundle that ran the command
  const runIn = (name) => (ranIn = bundle(name)).run(process.argv);
  (hot ? runIn('hot.cjs') : Promise.resolve(undefined))
    .then((code) => code ?? runIn('cli.cjs'))
    .then((code) => {
      process.exitCode = code;
      load.saveCompileCache?.();
      // A command that says nothing is left to run or to write ends here: Node's teardown of the
      // heap costs more than a hot command's own work (src/platform/early-exit.ts).
      if (ranIn?.mayExitAtOnce?.()) process.exit();
    });
}

/**
 * Compiling the bundles is most of what a `status` costs beyond Node's own start (and a good part of
 * a refresh: the AWS SDK is 300 KB), so compiled code is cached between runs, privately: V8 trusts a
 * code cache as it trusts code, so it lives in a directory of the user's own that nobody else can
 * write. We compile our dist/ files through vm.Script with V8's cached data, written after the
 * command ran, so it holds the functions the command used: Node 22's own module.enableCompileCache
 * writes it at compile time, without them (a refresh on Node 22 was 10% slower with it). Any trouble
 * with the cache means compiling as if there were none.
 */
function loader() {
  const fs = require('node:fs');
  const path = require('node:path');
  // The Module class without require('node:module'), whose public facade costs most of a millisecond.
  const Module = module.constructor;
  const dist = path.join(__dirname, '..', 'dist');
  const dir = process.env.AWS_MFA_REFRESH_NO_COMPILE_CACHE ? undefined : privateCacheDir(fs, path);
  // Not through require(): resolving and realpath-ing a path we already know costs half a millisecond.
  const load = (bundle) => {
    const filename = path.join(dist, bundle);
    const loaded = new Module(filename, module);
    loaded.filename = filename;
    loaded.paths = module.paths;
    require.cache[filename] = loaded; // as require() would: one instance, and listed where tools look
    loaded._compile(fs.readFileSync(filename, 'utf8'), filename);
    loaded.loaded = true;
    return loaded.exports;
  };
  if (dir) {
    const unsaved = cacheCompiledCode(fs, path, Module, dist, dir);
    load.saveCompileCache = () => unsaved.forEach((save) => save());
  }
  return load;
}

/**
 * Compiles every file of dist/ that is required from now on with its cached data, when there is
 * some. Returns what was compiled without (or with rejected) cached data: functions that write it,
 * to be called after the command ran, so the functions it compiled on the way are in the cache too.
 */
function cacheCompiledCode(fs, path, Module, dist, dir) {
  const vm = require('node:vm');
  const unsaved = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename, ...rest) {
    if (path.dirname(filename) !== dist && path.dirname(path.dirname(filename)) !== dist)
      return compile.call(this, content, filename, ...rest);
    const stats = fs.statSync(filename);
    // V8 checks its own version, flags and the source's length; the name adds the build's identity.
    const bundle = path.relative(dist, filename).replace(/[\\/]/g, '-');
    let name = bundle;
    // V8 caches the functions that ran before the cache was written, and it is written once: each
    // hot command keeps its own, so that env's cache does not leave status compiling its functions;
    // in cli.cjs the refresh (no command name, or options first) keeps its own from the others'.
    if (name === 'hot.cjs') name += `-${args.find((a) => HOT_COMMANDS.includes(a)) ?? 'other'}`;
    if (name === 'cli.cjs') name += args[0] === undefined || args[0].startsWith('-') ? '-refresh' : '-other';
    const key = `${process.version}-${process.arch}-${stats.size}-${Math.floor(stats.mtimeMs)}`;
    const cacheFile = path.join(dir, `${name}@${key}.v8`);
    let cached;
    try {
      cached = fs.readFileSync(cacheFile);
    } catch {
      // none yet
    }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData: cached });
    if (!cached || script.cachedDataRejected)
      unsaved.push(() =>
        writeCache(fs, path, dir, cacheFile, [`${name}@`, `${bundle}@`], () => script.createCachedData()),
      );
    const require = Module.createRequire(filename);
    return script.runInThisContext().call(this.exports, this.exports, require, this, filename, path.dirname(filename));
  };
  return unsaved;
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

/**
 * Replaces a cache file atomically and removes those of the file's other builds (and the bundle's
 * cache from before caches were kept per command). Best effort.
 */
function writeCache(fs, path, dir, cacheFile, prefixes, data) {
  try {
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, data(), { mode: 0o600 });
    fs.renameSync(temp, cacheFile);
    for (const name of fs.readdirSync(dir)) {
      if (prefixes.some((prefix) => name.startsWith(prefix)) && name !== path.basename(cacheFile))
        fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // a cache is never worth an error
  }
}
