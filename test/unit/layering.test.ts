/**
 * The layers, read from the real import graph of src/ (static imports, `export … from`, `import type`
 * and dynamic `import()`):
 *   src/*.ts        shared kernel (errors, exit codes, defaults, version): imports only its own kind
 *   src/<domain>/   every folder but cli and usecases (profiles, aws, mfa, policy, config, platform,
 *                   keys, shell, …): imports no use case and nothing from src/cli
 *   src/usecases/   the use cases (refresh, ensure-session, setup, devices, doctor): import no CLI
 *   src/cli/        the edge: flags, output, commander; nothing outside it imports it
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(REPO, 'src');

type Layer = 'kernel' | 'domain' | 'usecases' | 'cli';

function layerOf(file: string): Layer {
  const [top, ...rest] = file.split('/');
  if (rest.length === 0) return 'kernel';
  if (top === 'cli') return 'cli';
  if (top === 'usecases') return 'usecases';
  return 'domain';
}

/** What each layer may import. */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  kernel: ['kernel'],
  domain: ['kernel', 'domain'],
  usecases: ['kernel', 'domain', 'usecases'],
  cli: ['kernel', 'domain', 'usecases', 'cli'],
};

export interface Import {
  /** The importing file, relative to src/. */
  from: string;
  specifier: string;
  /** The imported file, relative to src/ (relative specifiers only). */
  to: string;
}

/** Relative imports of one file; `import()` included. */
export function importsOf(from: string, text: string): Import[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ from, specifier, to: join(dirname(from), specifier).replace(/\.js$/, '.ts') }));
}

/** Every import that goes against the layers, as one line naming the file and the import. */
export function violations(imports: Import[]): string[] {
  return imports
    .filter(({ from, to }) => !ALLOWED[layerOf(from)].includes(layerOf(to)) || to.startsWith('..'))
    .map(
      ({ from, specifier, to }) => `src/${from} (${layerOf(from)}) imports '${specifier}' → src/${to} (${layerOf(to)})`,
    );
}

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [relative(SRC, join(dir, e.name))] : [],
  );
}

describe('layering', () => {
  const graph = sourceFiles().flatMap((file) => importsOf(file, readFileSync(join(SRC, file), 'utf8')));

  it('reads the real graph: every layer and dynamic imports are seen', () => {
    expect(new Set(graph.map((i) => layerOf(i.from)))).toEqual(new Set(['kernel', 'domain', 'usecases', 'cli']));
    expect(graph.some((i) => i.from === 'cli/refresh-command.ts' && i.to === 'usecases/refresh.ts')).toBe(true); // import()
    expect(graph.length).toBeGreaterThan(100);
  });

  it('has no upward import: nothing outside src/cli imports it, domain modules import no use case', () => {
    expect(violations(graph)).toEqual([]);
  });

  it('keeps the flag table plain data: cli/flags.ts imports no package (no commander)', () => {
    const specifiers = ts
      .preProcessFile(readFileSync(join(SRC, 'cli/flags.ts'), 'utf8'), true, true)
      .importedFiles.map((f) => f.fileName);
    expect(specifiers.filter((s) => !s.startsWith('.'))).toEqual([]);
  });

  it('names the offending import, static, type-only or dynamic', () => {
    const bad = [
      importsOf('profiles/x.ts', "import { PROGRAM } from '../cli/output.js';"),
      importsOf('mfa/x.ts', "import type { RefreshResult } from '../usecases/refresh.js';"),
      importsOf('usecases/x.ts', "const m = await import('../cli/flags.js');"),
      importsOf('errors.ts', "export { x } from './profiles/session.js';"),
      importsOf('config/x.ts', "import { refresh } from '../usecases/refresh.js';"),
    ].flat();
    expect(violations(bad)).toEqual([
      "src/profiles/x.ts (domain) imports '../cli/output.js' → src/cli/output.ts (cli)",
      "src/mfa/x.ts (domain) imports '../usecases/refresh.js' → src/usecases/refresh.ts (usecases)",
      "src/usecases/x.ts (usecases) imports '../cli/flags.js' → src/cli/flags.ts (cli)",
      "src/errors.ts (kernel) imports './profiles/session.js' → src/profiles/session.ts (domain)",
      "src/config/x.ts (domain) imports '../usecases/refresh.js' → src/usecases/refresh.ts (usecases)",
    ]);
  });
});
