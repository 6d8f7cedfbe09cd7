/**
 * Issue 10 items 1 and 6, the use case's decisions with injected env, clock and AWS client: the
 * device code lock (wait, use the other run's session, time out with exit 11, ask when the other
 * run gave up), the re-read before STS, the stale rule (owner gone, never age), aws_mfa_device and
 * the remembered --source-profile. Files and processes are real; AWS is a counting fake.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwsApi, AwsFactory } from '../../src/aws/client.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { codeLockFile, ownerGone, processStart, tryTakeCodeLock } from '../../src/mfa/code-lock.js';
import { awsFilePaths, loadAwsFiles } from '../../src/profiles/aws-files.js';
import { resolveProfile, describeOrigin, type ProfileFlags } from '../../src/config/resolve.js';
import { refresh } from '../../src/usecases/refresh.js';

const NOW = Date.now();
const PHONE = 'arn:aws:iam::123456789012:mfa/alice-phone';
const KEY = 'aws_access_key_id = AKIALONGTERM0000000\naws_secret_access_key = secret/long/term\n';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function scratch(credentials: string, config = `[default]\nmfa_serial = ${PHONE}\n`) {
  const dir = await mkdtemp(join(tmpdir(), 'amr-daily-'));
  dirs.push(dir);
  await writeFile(join(dir, 'credentials'), credentials, { mode: 0o600 });
  await writeFile(join(dir, 'config'), config, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    XDG_STATE_HOME: join(dir, 'state'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
  };
  return { dir, env };
}

function sessionText(name: string, accessKeyId = 'ASIAOTHERRUN') {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `[${name}]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = s\naws_session_token = t\nmfa_issued = ${iso(NOW)}\nexpiration = ${iso(NOW + 43200_000)}\n`;
}

function fakeAws() {
  const calls = { sessions: 0 };
  const api: AwsApi = {
    callerIdentity: async () => ({ arn: 'arn:aws:iam::123456789012:user/alice', account: '123', userId: 'AIDA' }),
    listMfaDevices: async () => [{ serialNumber: PHONE, kind: 'virtual' }],
    getSessionToken: async (_serial, _code, duration) => {
      calls.sessions += 1;
      return {
        accessKeyId: 'ASIANEW',
        secretAccessKey: 'x',
        sessionToken: 'y',
        expiration: new Date(NOW + duration * 1000),
      };
    },
  };
  const openAws: AwsFactory = async () => api;
  return { calls, openAws };
}

const io = { debug: () => {}, warn: () => {}, promptStreams: () => undefined };

function run(env: NodeJS.ProcessEnv, aws: { openAws: AwsFactory }, flags: ProfileFlags, notices: string[] = []) {
  return refresh(
    { flags, quiet: true },
    { ...io, notice: (l: string) => notices.push(l) },
    { env, now: () => NOW, openAws: aws.openAws },
  );
}

/** Polls until `cond` holds (the test's own timeout bounds it). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((done) => setTimeout(done, 20));
}

/** A process that exits at once: its pid is dead afterwards. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((done) => child.on('exit', done));
  return child.pid!;
}

async function writeLock(env: NodeJS.ProcessEnv, owner: object) {
  const file = codeLockFile(PHONE, env);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ host: hostname(), device: PHONE, nonce: 'n', ...owner })}\n`);
  return file;
}

describe('the code lock', () => {
  it('is held by one run at a time, and free again once released', async () => {
    const { env } = await scratch('');
    const first = await tryTakeCodeLock(PHONE, env);
    expect('lock' in first).toBe(true);
    const second = await tryTakeCodeLock(PHONE, env);
    expect('holder' in second && second.holder.pid).toBe(process.pid);
    if ('lock' in first) await first.lock.release();
    const third = await tryTakeCodeLock(PHONE, env);
    expect('lock' in third).toBe(true);
    if ('lock' in third) await third.lock.release();
  });

  it('is stale only when its owner is gone: a dead pid, a reused pid, another boot; never by age', async () => {
    const { env } = await scratch('');
    const mine = { pid: process.pid, start: processStart(process.pid) };
    expect(ownerGone({ ...mine, host: hostname(), device: PHONE, nonce: 'n' })).toBe(false);
    expect(ownerGone({ pid: await deadPid(), host: hostname(), device: PHONE, nonce: 'n' })).toBe(true);
    if (mine.start) {
      expect(ownerGone({ pid: process.pid, start: '1', host: hostname(), device: PHONE, nonce: 'n' })).toBe(true);
      expect(ownerGone({ ...mine, boot: 'another-boot', host: hostname(), device: PHONE, nonce: 'n' })).toBe(true);
    }
    expect(ownerGone({ pid: await deadPid(), host: 'another-host', device: PHONE, nonce: 'n' })).toBe(false);

    // A live owner's lock from 1970 is still held; a dead owner's lock is taken over at once.
    const file = await writeLock(env, mine);
    await utimes(file, 0, 0);
    expect('holder' in (await tryTakeCodeLock(PHONE, env))).toBe(true);
    await writeLock(env, { pid: await deadPid() });
    const taken = await tryTakeCodeLock(PHONE, env);
    expect('lock' in taken).toBe(true);
    if ('lock' in taken) await taken.lock.release();
  });
});

describe('refresh and the code lock', () => {
  it('waits while another run asks, then uses the session it wrote: no code, no STS call', async () => {
    const { env, dir } = await scratch(`[default-long-term]\n${KEY}`);
    const other = await tryTakeCodeLock(PHONE, env);
    if (!('lock' in other)) throw new Error('lock not taken');
    const aws = fakeAws();
    const notices: string[] = [];
    const waiting = run(env, aws, { inputTimeout: 60_000 }, notices); // no code source: a prompt would fail
    await until(() => notices.length > 0);
    expect(notices).toEqual([`another aws-mfa-refresh is asking for a code (pid ${process.pid}); waiting…`]);
    await writeFile(join(dir, 'credentials'), `[default-long-term]\n${KEY}${sessionText('default')}`);
    await other.lock.release();
    const result = await waiting;
    expect(result.refreshed).toBe(false);
    expect(result.usableUntil.getTime()).toBe(Math.floor((NOW + 43200_000) / 1000) * 1000);
    expect(aws.calls.sessions).toBe(0);
  });

  it('gives up after --input-timeout with exit 11 while the other run still asks', async () => {
    const { env } = await scratch(`[default-long-term]\n${KEY}`);
    const other = await tryTakeCodeLock(PHONE, env);
    const aws = fakeAws();
    const error = await run(env, aws, { code: '123456', inputTimeout: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(ExitCode.WaitTimedOut);
    expect((error as UserError).message).toContain(`(pid ${process.pid})`);
    expect(aws.calls.sessions).toBe(0);
    if ('lock' in other) await other.lock.release();
  });

  it('asks itself when the other run gave up without a session', async () => {
    const { env } = await scratch(`[default-long-term]\n${KEY}`);
    const other = await tryTakeCodeLock(PHONE, env);
    if (!('lock' in other)) throw new Error('lock not taken');
    const aws = fakeAws();
    const notices: string[] = [];
    const waiting = run(env, aws, { code: '123456', inputTimeout: 60_000 }, notices);
    await until(() => notices.length > 0);
    await other.lock.release(); // cancelled: nothing written
    expect((await waiting).refreshed).toBe(true);
    expect(aws.calls.sessions).toBe(1);
  });

  it('a state directory that cannot be written does not stop the refresh', async () => {
    const { env, dir } = await scratch(`[default-long-term]\n${KEY}`);
    const aws = fakeAws();
    const result = await run({ ...env, XDG_STATE_HOME: join(dir, 'credentials', 'state') }, aws, { code: '123456' });
    expect(result.refreshed).toBe(true);
    expect(aws.calls.sessions).toBe(1);
  });

  it('a session written while the code was typed is used: the code is not spent (no STS call)', async () => {
    const { env, dir } = await scratch(`[default-long-term]\n${KEY}`);
    const file = join(dir, 'credentials');
    // The "code command" is where another tool finishes a refresh meanwhile, then the code arrives.
    const codeCommand = `printf '%s' '${sessionText('default')}' >> '${file}'; echo 123456`;
    const aws = fakeAws();
    const result = await run(env, aws, { codeCommand });
    expect(result.refreshed).toBe(false);
    expect(aws.calls.sessions).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('ASIAOTHERRUN');
  });
});

describe('coming from aws-mfa', () => {
  const AWS_MFA = 'arn:aws:iam::123456789012:mfa/from-aws-mfa';
  const creds = `[default-long-term]\n${KEY}aws_mfa_device = ${AWS_MFA}\n`;

  it('reads aws_mfa_device of the source profile, after --serial-number and mfa_serial', async () => {
    for (const [config, flags, expected, origin] of [
      ['', {}, AWS_MFA, 'aws_mfa_device of profile "default-long-term"'],
      [`[default]\nmfa_serial = ${PHONE}\n`, {}, PHONE, 'mfa_serial of profile "default"'],
      ['', { serialNumber: PHONE }, PHONE, '--serial-number'],
    ] as const) {
      const { env } = await scratch(creds, config);
      const req = resolveProfile({ flags, env, files: await loadAwsFiles(awsFilePaths(env)) });
      expect(req.device?.value).toBe(expected);
      expect(describeOrigin(req.device!.origin)).toBe(origin);
    }
  });

  it('remembers --source-profile as source_profile of the target, unless --no-remember or already set', async () => {
    const keys = `[old-keys]\n${KEY}`;
    const { env, dir } = await scratch(keys, `[default]\nmfa_serial = ${PHONE}\n`);
    await refresh({ flags: { sourceProfile: 'old-keys', code: '123456' }, quiet: true }, io, {
      env,
      now: () => NOW,
      openAws: fakeAws().openAws,
    });
    expect(await readFile(join(dir, 'config'), 'utf8')).toBe(
      `[default]\nmfa_serial = ${PHONE}\nsource_profile = old-keys\n`,
    );
    const req = resolveProfile({ flags: {}, env, files: await loadAwsFiles(awsFilePaths(env)) });
    expect(req.source.value).toBe('old-keys');
    expect(
      resolveProfile({ flags: { sourceProfile: 'x' }, env, files: await loadAwsFiles(awsFilePaths(env)) })
        .sourceToRemember,
    ).toBeUndefined();

    const second = await scratch(keys, `[default]\nmfa_serial = ${PHONE}\n`);
    await refresh({ flags: { sourceProfile: 'old-keys', code: '123456' }, quiet: true, remember: false }, io, {
      env: second.env,
      now: () => NOW,
      openAws: fakeAws().openAws,
    });
    expect(await readFile(join(second.dir, 'config'), 'utf8')).toBe(`[default]\nmfa_serial = ${PHONE}\n`);
  });

  it('never on a role profile, nor the default name', async () => {
    const { env } = await scratch(`[default-long-term]\n${KEY}`, '[default]\nrole_arn = arn:aws:iam::1:role/r\n');
    const files = await loadAwsFiles(awsFilePaths(env));
    expect(resolveProfile({ flags: { sourceProfile: 'keys' }, env, files }).sourceToRemember).toBeUndefined();
    expect(
      resolveProfile({
        flags: { sourceProfile: 'default-long-term' },
        env: { ...env, AWS_CONFIG_FILE: '/nonexistent' },
        files: { ...files, config: {} },
      }).sourceToRemember,
    ).toBeUndefined();
  });

  it('lists the profiles that hold long-term keys when the default source has none', async () => {
    const { env } = await scratch(`[alice]\n${KEY}[bob]\n${KEY}${sessionText('sess')}`);
    const error = await run(env, fakeAws(), { code: '123456' }).catch((e: unknown) => e);
    expect((error as UserError).exitCode).toBe(ExitCode.Credentials);
    expect((error as UserError).hint).toContain('Profiles with long-term keys: alice, bob.');
  });
});
