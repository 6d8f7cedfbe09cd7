/**
 * Start-up: what the commands that run many times a day load, read from dist/contents.json (which
 * packages and source files each built file holds) and the files the process really loaded.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, makeSandbox, modulesLoadedBy, type Sandbox } from './harness.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function usableSandbox(): Promise<Sandbox> {
  const s = await makeSandbox();
  await s.writeCredentials(
    `[default]\naws_access_key_id = ASIASESSION000000001\naws_secret_access_key = s\naws_session_token = t\n` +
      `expiration = ${iso(Date.now() + 5 * 3600_000)}\nmfa_issued = ${iso(Date.now())}\n`,
  );
  return s;
}

async function loads(args: string[], s: Sandbox): Promise<{ files: string[]; packages: Set<string> }> {
  const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<string, string[]>;
  const files = (await modulesLoadedBy(args, s.env))
    .filter((m) => m.includes('/dist/'))
    .map((m) => m.replace(/.*\/dist\//, ''));
  return { files, packages: new Set(files.flatMap((f) => contents[f] ?? [])) };
}

describe('start-up', () => {
  it('status, env, credential-process and exec on a usable session load neither commander, the SDK nor the prompts', async () => {
    const s = await usableSandbox();
    try {
      for (const args of [
        ['status'],
        ['env'],
        ['credential-process'],
        ['exec', '--', 'true'],
        ['status', '-p', 'default'],
      ]) {
        const { files, packages } = await loads(args, s);
        expect(packages, args.join(' ')).toContain('src/cli/args.ts'); // the probe sees the start-up parser
        expect(files, args.join(' ')).toEqual(['cli.cjs']);
        expect([...packages].filter((p) => /^commander$|^@aws-sdk\/|^@inquirer\//.test(p))).toEqual([]);
      }
      // Positive control: help is commander's.
      const help = await loads(['status', '--help'], s);
      expect(help.packages).toContain('commander');
    } finally {
      await s.cleanup();
    }
  });
});
