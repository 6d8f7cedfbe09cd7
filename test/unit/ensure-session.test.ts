/** ensureSession (env, exec, credential-process): judged against the injected clock and environment. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSession } from '../../src/usecases/ensure-session.js';
import { ExitCode, type UserError } from '../../src/errors.js';

const NOW = Date.parse('2026-11-29T08:00:00Z');
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const expiring = (name: string, inSeconds: number) =>
  `[${name}]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\nexpiration = ${new Date(NOW + inSeconds * 1000).toISOString()}\n`;

async function files(credentials: string): Promise<{ env: NodeJS.ProcessEnv; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'amr-ensure-'));
  dirs.push(dir);
  const file = join(dir, 'credentials');
  await writeFile(file, credentials);
  return {
    env: { HOME: dir, AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: join(dir, 'config'), AWS_PROFILE: 'work' },
    file,
  };
}

describe('ensureSession', () => {
  it('hands out a usable session without refreshing; the clock decides what is usable', async () => {
    const { env } = await files(expiring('work', 3600));
    let refreshed = 0;
    const run = async () => void (refreshed += 1);
    const got = await ensureSession({ flags: {}, refresh: true }, run, { env, now: () => NOW });
    expect(got.profile).toBe('work');
    expect(refreshed).toBe(0);
    const later = await ensureSession({ flags: {}, refresh: false }, run, { env, now: () => NOW + 3600_000 }).catch(
      (e: unknown) => e,
    );
    expect((later as UserError).exitCode).toBe(ExitCode.Unexpected);
    expect((later as UserError).hint).toBe('Run: aws-mfa-refresh --profile work (or add --refresh).');
    expect(refreshed).toBe(0);
  });

  it('refreshes when allowed, then reads the files again', async () => {
    const { env, file } = await files(expiring('work', -60));
    const got = await ensureSession(
      { flags: { minRemaining: 60 }, refresh: true },
      () => writeFile(file, expiring('work', 7200)),
      {
        env,
        now: () => NOW,
      },
    );
    expect(got.state).toBe('usable');
    expect(got.session.expiration.getTime()).toBe(NOW + 7200_000);
  });
});
