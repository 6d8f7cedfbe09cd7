/** Shared by the keys e2e tests. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under dir, as latin1 text (to grep a whole scratch HOME for a secret). */
export async function allFiles(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else if (e.isFile()) out.push({ path: p, text: await readFile(p, 'latin1') });
  }
  return out;
}
