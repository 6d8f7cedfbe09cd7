import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CACHE_MARGIN_MS, readCachedRole, roleCacheDir, writeCachedRole } from '../../src/roles/cache.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('role credentials cache', () => {
  it('serves an entry until the margin before it expires, only for the same source session, 0600', async () => {
    const home = await mkdtemp(join(tmpdir(), 'amr-cache-'));
    dirs.push(home);
    const env = { XDG_STATE_HOME: home };
    const key = {
      roleArn: 'arn:aws:iam::1:role/A',
      roleSessionName: '',
      externalId: '',
      sourceProfile: 'default',
      sourceAccessKeyId: 'ASIA1',
    };
    const now = Date.now();
    const role = {
      accessKeyId: 'ASIAROLE',
      secretAccessKey: 's',
      sessionToken: 't',
      expiration: new Date(now + 3600_000),
      assumedRoleArn: 'arn:aws:sts::1:assumed-role/A/alice',
      roleSessionName: 'alice',
    };
    await writeCachedRole(key, role, env);
    expect(await readCachedRole(key, now, env)).toEqual(role);
    expect(await readCachedRole({ ...key, sourceAccessKeyId: 'ASIA2' }, now, env)).toBeUndefined();
    expect(await readCachedRole({ ...key, externalId: 'x' }, now, env)).toBeUndefined();
    expect(await readCachedRole(key, now + 3600_000 - CACHE_MARGIN_MS + 1, env)).toBeUndefined();
    const { readdir } = await import('node:fs/promises');
    const [file] = await readdir(roleCacheDir(env));
    expect((await stat(join(roleCacheDir(env), file!))).mode & 0o777).toBe(0o600);
    expect((await stat(roleCacheDir(env))).mode & 0o777).toBe(0o700);
  });
});
