// Production build: CommonJS bundles, because Node 20 spends 15–18 ms starting its ES module loader
// before any code runs, and a CommonJS entry does not pay that.
//
// - dist/cli.cjs: all of src in one bundle. esbuild wraps what src loads with import() in functions
//   that run on first use, so a command evaluates only what it needs (status never runs commander).
// - dist/vendor/*.cjs: each npm package src imports (commander, the prompts, the proxy agents), and
//   the AWS SDK entry src/aws/sdk.ts, bundled on its own and required only when first used. They
//   hold no src module with state: every class src checks with instanceof exists once, in cli.cjs.
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { resolve, relative } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8'));
await rm(resolve(root, 'dist'), { recursive: true, force: true });

/** src modules bundled apart (large, and importing no src module: nothing with state is duplicated). */
const SRC_VENDORS = {
  'aws-sdk': 'src/aws/sdk.ts',
  'shell-hook': 'src/shell/hook.ts',
  'shell-install': 'src/shell/install.ts',
};
/** Packages small and always needed on the hot path: inside cli.cjs (one file less to open). */
const INLINE = new Set(['@smithy/shared-ini-file-loader']);
const builtins = new Set(builtinModules);

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  // Prefer the packages' ES modules: they tree-shake (the CommonJS builds drag whole indexes in).
  mainFields: ['module', 'main'],
  target: 'node20',
  // import() of a file outside the bundle (a vendor bundle, a built-in) becomes require(): a real
  // import() would start the ES module loader, the cost this build exists to avoid.
  supported: { 'dynamic-import': false },
  minify: true,
  metafile: true,
  define: { AWS_MFA_REFRESH_VERSION: JSON.stringify(pkg.version) },
  // A native module with prebuilt binaries per platform: it cannot be bundled; src/keys loads it lazily.
  external: ['@napi-rs/keyring'],
  legalComments: 'linked',
  logLevel: 'warning',
  logOverride: { 'import-is-undefined': 'error' },
};

const vendors = new Map(Object.entries(SRC_VENDORS).map(([name, path]) => [name, { entry: resolve(root, path) }]));
const vendorFile = (spec) => spec.replace(/^@/, '').replace(/\//g, '-');
const srcVendorPaths = new Map(Object.entries(SRC_VENDORS).map(([name, path]) => [resolve(root, path), name]));

/**
 * In cli.cjs: every package import and every src vendor module becomes require('./vendor/NAME.cjs'),
 * through a small ES module that re-exports it. Without it esbuild would give src (ES modules in
 * Node's sense) Node's interop, where `default` is the whole module.exports of the vendor bundle.
 */
const splitVendors = {
  name: 'split-vendors',
  setup(b) {
    const toVendor = (name) => ({ path: name, namespace: 'vendor' });
    b.onResolve({ filter: /^vendor-file:/ }, (args) => ({
      path: `./vendor/${args.path.slice('vendor-file:'.length)}.cjs`,
      external: true,
    }));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.importer.includes('/node_modules/')) return undefined; // inside an inlined package
      const spec = args.path;
      const bare = spec.replace(/^node:/, '');
      if (builtins.has(bare) || builtins.has(bare.split('/')[0])) return undefined;
      const pkgName = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (INLINE.has(pkgName)) return undefined;
      if (common.external.includes(pkgName)) return { path: spec, external: true };
      const name = vendorFile(spec);
      if (!vendors.has(name)) vendors.set(name, { entry: spec });
      return toVendor(name);
    });
    b.onResolve({ filter: /^\./ }, (args) => {
      const name = srcVendorPaths.get(resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
      return name ? toVendor(name) : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
      contents: `export * from "vendor-file:${args.path}"; export { default } from "vendor-file:${args.path}";`,
      loader: 'js',
    }));
  },
};

/**
 * Built-ins that cost milliseconds to load and that the hot paths do not call (crypto: temp-file
 * names and key stores; child_process: exec and code commands; os: the home directory and hostname):
 * required on first call instead of at start-up. Each function export becomes a function that
 * requires the module and calls it; anything else (a constant, a class) is not there, and the build
 * fails on an import of it (import-is-undefined): take those with import() where they are used.
 */
const LAZY_BUILTINS = ['crypto', 'child_process', 'fs/promises', 'os'];
/** In the SDK: zlib (request compression and CRC checksums, which STS and IAM never use) and fs/promises. */
const SDK_LAZY_BUILTINS = ['zlib', 'fs/promises'];
/**
 * fs/promises loads readline and the streams (some 30 internal modules) just to read two small
 * files; these functions answer the same through the callback API of fs, which Node has loaded
 * already. The rest (open, which gives a FileHandle, watch…) is the real fs/promises, on first call.
 */
const PROMISIFIED_FS = [
  'readFile',
  'writeFile',
  'appendFile',
  'stat',
  'lstat',
  'mkdir',
  'rename',
  'unlink',
  'rm',
  'rmdir',
  'chmod',
  'access',
  'readdir',
  'realpath',
  'readlink',
  'link',
  'symlink',
  'copyFile',
  'utimes',
  'mkdtemp',
];
const lazyBuiltins = (names) => ({
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
    // import() is on first use already: it gets the module itself (constants, classes and all).
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtin' || args.kind === 'dynamic-import'
        ? undefined
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const mod = await import(`node:${args.path}`);
      const names = Object.keys(mod).filter((k) => k !== 'default' && typeof mod[k] === 'function' && /^[a-z]/.test(k));
      const id = JSON.stringify(`node:${args.path}`);
      const viaFs = args.path === 'fs/promises' ? PROMISIFIED_FS : [];
      // Promisified on first call too: twenty promisify() calls at start-up cost a millisecond.
      const lines = names.map((n) =>
        viaFs.includes(n)
          ? `let p_${n};export function ${n}(...a){return (p_${n}??=require("node:util").promisify(require("node:fs").${n}))(...a);}`
          : `export function ${n}(...a){return load().${n}(...a);}`,
      );
      return {
        contents: `let m;const load=()=>m??=require(${id});\n${lines.join('\n')}`,
        loader: 'js',
      };
    });
  },
});

/**
 * In the SDK bundle: the default credential provider chain (environment, INI, SSO, web identity,
 * IMDS… and the nested clients they need) is never called, because credentials are always passed
 * explicitly, so it is replaced by a stub that says so if it ever is.
 */
const noDefaultCredentials = {
  name: 'no-default-credentials',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: 'stub', namespace: 'no-creds' }));
    b.onLoad({ filter: /.*/, namespace: 'no-creds' }, () => ({
      contents:
        'export const defaultProvider = () => async () => { throw new Error("aws-mfa-refresh passes credentials explicitly"); };',
      loader: 'js',
    }));
  },
};

const outputs = {};
/** dist/NAME.cjs from src/cli/entry.ts, with extra plugins first. */
async function buildEntry(name, plugins = []) {
  const result = await build({
    ...common,
    entryPoints: { [name]: 'src/cli/entry.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    plugins: [...plugins, splitVendors, lazyBuiltins(LAZY_BUILTINS)],
  });
  Object.assign(outputs, result.metafile.outputs);
}
await buildEntry('cli');

/**
 * dist/hot.cjs: the same entry without what a usable session never needs (see src/cli/entry.ts), a
 * third of cli.cjs to read and compile for status, env, exec and credential-process. Each module
 * left out is replaced by one that fails to load with the mark src/cli/left-out.ts knows.
 */
const LEFT_OUT = [
  'src/cli/main.ts',
  'src/cli/refresh-command.ts',
  'src/usecases/refresh.ts',
  'src/mfa/terminal.ts',
  'src/aws/client.ts',
];
const leftOut = {
  name: 'left-out',
  setup(b) {
    const paths = new Set(LEFT_OUT.map((p) => resolve(root, p)));
    b.onResolve({ filter: /^\./ }, (args) => {
      const path = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      return paths.has(path) ? { path: relative(root, path), namespace: 'left-out' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`${args.path} is not in hot.cjs`)}), { [Symbol.for("aws-mfa-refresh.left-out")]: true });`,
      loader: 'js',
    }));
  },
};
await buildEntry('hot', [leftOut]);
for (const [name, { entry }] of vendors) {
  const result = await build({
    ...common,
    ...(entry.startsWith('/')
      ? { entryPoints: [entry] }
      : { stdin: { contents: `module.exports = require(${JSON.stringify(entry)});`, resolveDir: root, loader: 'js' } }),
    outfile: `dist/vendor/${name}.cjs`,
    plugins: [
      // Another src vendor module this one imports (install.ts → hook.ts) is that bundle, not a copy.
      {
        name: 'other-src-vendors',
        setup(b) {
          b.onResolve({ filter: /^\./ }, (args) => {
            const other = srcVendorPaths.get(resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
            return other && other !== name ? { path: `./${other}.cjs`, external: true } : undefined;
          });
        },
      },
      ...(name === 'aws-sdk' ? [noDefaultCredentials, lazyBuiltins(SDK_LAZY_BUILTINS)] : []),
    ],
    ...(name === 'aws-sdk' && { inject: [resolve(root, 'scripts/sdk-globals.mjs')] }),
  });
  Object.assign(outputs, result.metafile.outputs);
}

// The version for the launcher's --version fast path (bin/aws-mfa-refresh.cjs).
await writeFile(resolve(root, 'dist/version.cjs'), `module.exports = ${JSON.stringify(pkg.version)};\n`);

// Which packages each output file holds, for tests that check what a command loads.
const contents = {};
for (const [file, out] of Object.entries(outputs)) {
  if (!file.endsWith('.cjs')) continue;
  const packages = new Set();
  for (const input of Object.keys(out.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    packages.add(m ? m[1] : relative(root, resolve(root, input)));
  }
  contents[file.replace(/^dist\//, '')] = [...packages].sort();
}
await writeFile(resolve(root, 'dist/contents.json'), `${JSON.stringify(contents, null, 1)}\n`);
