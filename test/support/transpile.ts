/**
 * Child processes in tests run plain JavaScript (a node + tsx start per child costs ~0.5 s of CPU):
 * all of src, transpiled once with TypeScript into a scratch directory. All of it, because a list of
 * the modules a test needs goes stale as imports move.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Writes `out`/src/**.js (ES modules) from src/**.ts. */
export function transpileSrc(out: string): void {
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(join(REPO, rel), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        });
        const file = join(out, rel.replace(/\.ts$/, '.js'));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, outputText);
      }
    }
  };
  walk('src');
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
}
