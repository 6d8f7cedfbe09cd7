/**
 * The refresh use case hands the injected platform to every store call: a win32 platform built in a
 * test (on Linux) decides the privacy warning of the write and the read-only hint of the check made
 * before a code is asked. Real files; the AWS client is a plain object.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwsApi } from '../../src/aws/client.js';
import { makePlatform, systemFacts, type Platform } from '../../src/platform/platform.js';
import { refresh } from '../../src/usecases/refresh.js';
import { ExitCode, UserError } from '../../src/errors.js';

const NOW = Date.parse('2026-11-29T08:00:00Z');
const PHONE = 'arn:aws:iam::123456789012:mfa/alice-phone';
const KEY = `aws_access_key_id = AKIALONGTERM0000000\naws_secret_access_key = secret/long/term\n`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const api: AwsApi = {
  callerIdentity: async () => ({ arn: 'arn:aws:iam::123456789012:user/alice', account: '123456789012', userId: 'A' }),
  listMfaDevices: async () => [{ serialNumber: PHONE, kind: 'virtual' }],
  getSessionToken: async (_serial, _code, duration) => ({
    accessKeyId: 'ASIANEW',
    secretAccessKey: 'new-secret',
    sessionToken: 'new-token',
    expiration: new Date(NOW + duration * 1000),
  }),
  assumeRole: async () => {
    throw new Error('not here');
  },
};

async function scratch(mode: number): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'refresh-platform-'));
  dirs.push(dir);
  await writeFile(join(dir, 'credentials'), `[default-long-term]\n${KEY}`);
  await chmod(join(dir, 'credentials'), mode);
  await writeFile(join(dir, 'config'), `[default]\nmfa_serial = ${PHONE}\n`, { mode: 0o600 });
  return {
    HOME: dir,
    USERPROFILE: dir,
    XDG_STATE_HOME: join(dir, 'state'),
    LOCALAPPDATA: join(dir, 'state'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
  };
}

async function run(env: NodeJS.ProcessEnv, platform: Platform) {
  const warnings: string[] = [];
  const io = { debug: () => {}, warn: (line: string) => void warnings.push(line), promptStreams: () => undefined };
  const deps = { env, now: () => NOW, openAws: async () => api, platform };
  const result = await refresh({ flags: { code: '123456' }, quiet: true }, io, deps).catch((e: unknown) => e);
  return { result, warnings };
}

const on = (kind: 'win32' | 'linux', env: NodeJS.ProcessEnv) => makePlatform(kind, { ...systemFacts(), env });

describe('the refresh use case passes its platform to the store', () => {
  it('a credentials file with mode 0644: no mode warning on a win32 platform (ACLs decide), one on Linux', async () => {
    const winEnv = await scratch(0o644);
    const win = await run(winEnv, on('win32', winEnv));
    expect(win.result).toMatchObject({ refreshed: true });
    expect(await readFile(winEnv.AWS_SHARED_CREDENTIALS_FILE!, 'utf8')).toContain('ASIANEW');
    expect(win.warnings.filter((w) => /by others/.test(w))).toEqual([]);

    const linuxEnv = await scratch(0o644);
    const linux = await run(linuxEnv, on('linux', linuxEnv));
    expect(linux.result).toMatchObject({ refreshed: true });
    expect(linux.warnings.filter((w) => /readable by others \(mode 0644\); run: chmod 600/.test(w))).toHaveLength(1);
  });

  it('a read-only credentials file: refused before a code is used, with that platform’s way out', async () => {
    const winEnv = await scratch(0o400);
    const win = await run(winEnv, on('win32', winEnv));
    expect(win.result).toBeInstanceOf(UserError);
    expect((win.result as UserError).exitCode).toBe(ExitCode.NotWritable);
    expect((win.result as UserError).hint).toMatch(/^Clear its read-only attribute with: attrib -R ".*credentials"/);

    const linuxEnv = await scratch(0o400);
    const linux = await run(linuxEnv, on('linux', linuxEnv));
    expect((linux.result as UserError).hint).toMatch(/^Make it writable with: chmod 600 /);
  });
});
