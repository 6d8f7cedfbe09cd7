// Production build: one minified ESM entry plus lazily loaded chunks. The AWS SDK, the prompts and
// every command's implementation sit in chunks that only the commands needing them import.
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
const result = await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // Prefer the packages' ES modules: they tree-shake (the CommonJS builds drag whole indexes in).
  mainFields: ['module', 'main'],
  target: 'node20',
  minify: true,
  metafile: true,
  chunkNames: 'chunks/[name]-[hash]',
  define: { AWS_MFA_REFRESH_VERSION: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import{createRequire as __amrRequire}from'node:module';const require=__amrRequire(import.meta.url);" },
  // A native module with prebuilt binaries per platform: it cannot be bundled; src/keys loads it lazily.
  external: ['@napi-rs/keyring'],
  legalComments: 'linked',
  logLevel: 'warning',
});

// The version for the CommonJS launcher's --version fast path (bin/aws-mfa-refresh.cjs).
await writeFile(new URL('../dist/version.cjs', import.meta.url), `module.exports = ${JSON.stringify(pkg.version)};\n`);

// Which packages each output file holds, for tests that check what a command loads.
const contents = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  const packages = new Set();
  for (const input of Object.keys(out.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    packages.add(m ? m[1] : input);
  }
  contents[file.replace(/^dist\//, '')] = [...packages].sort();
}
await writeFile(new URL('../dist/contents.json', import.meta.url), `${JSON.stringify(contents, null, 1)}\n`);
