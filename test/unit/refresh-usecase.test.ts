/**
 * The refresh use case's decisions, with the environment, the clock and the AWS client injected as
 * plain objects: skip or refresh, which device and which code source are chosen, and what is
 * written to the config file. The files are real (a scratch directory), the AWS client is not.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwsApi, AwsFactory } from '../../src/aws/client.js';
import type { AwsConnection, MfaDevice } from '../../src/aws/types.js';
import { mapAwsError, type AwsFailure } from '../../src/aws/errors.js';
import { resolveProfile, describeOrigin, type ProfileFlags } from '../../src/config/resolve.js';
import { configUpdates, needsRefresh, refresh } from '../../src/usecases/refresh.js';
import type { Deps } from '../../src/usecases/deps.js';
import { holdsLongTermKeys, readSession } from '../../src/profiles/session.js';
import { loadAwsFiles, awsFilePaths } from '../../src/profiles/aws-files.js';
import { ExitCode, UserError } from '../../src/errors.js';

const NOW = Date.parse('2026-11-29T08:00:00Z');
const ACCOUNT = '123456789012';
const PHONE = `arn:aws:iam::${ACCOUNT}:mfa/alice-phone`;
const KEY = `aws_access_key_id = AKIALONGTERM0000000\naws_secret_access_key = secret/long/term\n`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

interface Calls {
  opened: AwsConnection[];
  listed: number;
  sessions: { serialNumber: string; code: string; duration: number }[];
}

/** A fake AWS: one IAM user with `devices`; GetSessionToken always succeeds. */
function fakeAws(devices: string[] = [PHONE]): { openAws: AwsFactory; calls: Calls } {
  const calls: Calls = { opened: [], listed: 0, sessions: [] };
  const api: AwsApi = {
    callerIdentity: async () => ({ arn: `arn:aws:iam::${ACCOUNT}:user/alice`, account: ACCOUNT, userId: 'AIDA' }),
    listMfaDevices: async () => {
      calls.listed += 1;
      return devices.map((serialNumber): MfaDevice => ({ serialNumber, kind: 'virtual' }));
    },
    getSessionToken: async (serialNumber, code, duration) => {
      calls.sessions.push({ serialNumber, code, duration });
      return {
        accessKeyId: 'ASIANEW',
        secretAccessKey: 'new-secret',
        sessionToken: 'new-token',
        expiration: new Date(NOW + duration * 1000),
      };
    },
    assumeRole: async () => {
      throw new Error('the refresh use case never assumes a role');
    },
  };
  return {
    calls,
    openAws: async (conn) => {
      calls.opened.push(conn);
      return api;
    },
  };
}

async function scratch(credentials: string, config = ''): Promise<{ env: NodeJS.ProcessEnv; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'amr-usecase-'));
  dirs.push(dir);
  await writeFile(join(dir, 'credentials'), credentials, { mode: 0o600 });
  if (config) await writeFile(join(dir, 'config'), config, { mode: 0o600 });
  const env = {
    HOME: dir,
    XDG_STATE_HOME: join(dir, 'state'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
  };
  return { env, dir };
}

function session(name: string, expiresInSeconds: number): string {
  const expiration = new Date(NOW + expiresInSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `[${name}]\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\naws_session_token = old-token\nexpiration = ${expiration}\n`;
}

const io = { debug: () => {}, warn: () => {}, promptStreams: () => undefined };

async function run(
  env: NodeJS.ProcessEnv,
  aws: { openAws: AwsFactory },
  flags: ProfileFlags,
  extra: { force?: boolean; remember?: boolean } = {},
) {
  const deps: Deps = { env, now: () => NOW, openAws: aws.openAws };
  return refresh({ flags, quiet: true, ...extra }, io, deps);
}

describe('skip or refresh', () => {
  it('keeps a session with more than --min-remaining left, without opening AWS', async () => {
    const { env } = await scratch(`[default-long-term]\n${KEY}${session('default', 2 * 3600)}`);
    const aws = fakeAws();
    const result = await run(env, aws, { code: '123456' });
    expect(result.refreshed).toBe(false);
    expect(aws.calls.opened).toEqual([]);
  });

  it('refreshes a session with less than --min-remaining left, and when forced', async () => {
    const { env } = await scratch(
      `[default-long-term]\n${KEY}${session('default', 20 * 60)}`,
      `[default]\nmfa_serial = ${PHONE}\n`,
    );
    const aws = fakeAws();
    expect((await run(env, aws, { code: '123456' })).refreshed).toBe(true);
    expect(aws.calls.sessions).toEqual([{ serialNumber: PHONE, code: '123456', duration: 43200 }]);
    const forced = fakeAws();
    expect((await run(env, forced, { code: '654321', minRemaining: 60 }, { force: true })).refreshed).toBe(true);
    expect(forced.calls.sessions).toHaveLength(1);
  });

  it('judges against the injected clock', () => {
    const current = readSession(
      { aws_access_key_id: 'A', aws_session_token: 't', expiration: new Date(NOW + 3600_000).toISOString() },
      43200,
    );
    expect(needsRefresh(current, { force: false, minRemainingSeconds: 1800, now: NOW })).toBe(false);
    expect(needsRefresh(current, { force: false, minRemainingSeconds: 1800, now: NOW + 1801_000 })).toBe(true);
    expect(needsRefresh(current, { force: true, minRemainingSeconds: 0, now: NOW })).toBe(true);
    expect(needsRefresh(undefined, { force: false, minRemainingSeconds: 0, now: NOW })).toBe(true);
  });
});

describe('which device', () => {
  const TARGET = `arn:aws:iam::${ACCOUNT}:mfa/from-target`;
  const SOURCE = `arn:aws:iam::${ACCOUNT}:mfa/from-source`;
  const FLAG = `arn:aws:iam::${ACCOUNT}:mfa/from-flag`;

  it('takes --serial-number, then mfa_serial of the target, then of the source, and lists devices only when none names one', async () => {
    const both = `[default]\nmfa_serial = ${TARGET}\n[profile default-long-term]\nmfa_serial = ${SOURCE}\n`;
    for (const [config, flags, expected] of [
      [both, { serialNumber: FLAG }, FLAG],
      [both, {}, TARGET],
      [`[profile default-long-term]\nmfa_serial = ${SOURCE}\n`, {}, SOURCE],
      ['', {}, PHONE],
    ] as const) {
      const { env } = await scratch(`[default-long-term]\n${KEY}`, config);
      const aws = fakeAws();
      const result = await run(env, aws, { ...flags, code: '123456' });
      expect(result.serialNumber).toBe(expected);
      expect(aws.calls.sessions[0]!.serialNumber).toBe(expected);
      expect(aws.calls.listed).toBe(expected === PHONE ? 1 : 0);
    }
  });

  it('says where a bad device came from', async () => {
    const { env } = await scratch(
      `[default-long-term]\n${KEY}`,
      `[default]\nmfa_serial = arn:aws:iam::${ACCOUNT}:user/alice\n`,
    );
    const error = await run(env, fakeAws(), { code: '123456' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(ExitCode.Usage);
    expect((error as UserError).message).toContain('mfa_serial of profile "default"');
  });
});

describe('which code source', () => {
  const files = async (config: string) => {
    const { env } = await scratch(`[default-long-term]\n${KEY}`, config);
    return { env, files: await loadAwsFiles(awsFilePaths(env)) };
  };
  const both = '[default]\nmfa_process = target-cmd\n[profile default-long-term]\nmfa_process = source-cmd\n';

  it('takes --code, then --code-command, then mfa_process of the target, then of the source, then a prompt', async () => {
    const cases: [string, ProfileFlags, unknown, string][] = [
      [both, { code: '123 456', codeCommand: 'flag-cmd' }, { kind: 'code', code: '123456' }, '--code'],
      [both, { code: '-' }, { kind: 'stdin' }, '--code'],
      [both, { codeCommand: 'flag-cmd' }, { kind: 'command', command: 'flag-cmd' }, '--code-command'],
      [both, {}, { kind: 'command', command: 'target-cmd' }, 'mfa_process of profile "default"'],
      [
        '[profile default-long-term]\nmfa_process = source-cmd\n',
        {},
        { kind: 'command', command: 'source-cmd' },
        'mfa_process of profile "default-long-term"',
      ],
      ['', {}, { kind: 'prompt' }, 'the default'],
    ];
    for (const [config, flags, value, origin] of cases) {
      const { env, files: loaded } = await files(config);
      const source = resolveProfile({ flags, env, files: loaded }).codeSource;
      expect(source.value).toEqual(value);
      expect(describeOrigin(source.origin)).toBe(origin);
    }
  });

  it('refuses a malformed --code before opening AWS', async () => {
    const { env } = await scratch(`[default-long-term]\n${KEY}`);
    const aws = fakeAws();
    const error = await run(env, aws, { code: '12345' }).catch((e: unknown) => e);
    expect((error as UserError).exitCode).toBe(ExitCode.Usage);
    expect(aws.calls.opened).toEqual([]);
  });
});

describe('what is written to config', () => {
  it('remembers a discovered device and copies region and output for a target without a config section', async () => {
    const { env, dir } = await scratch(
      `[default-long-term]\n${KEY}`,
      '[profile default-long-term]\nregion = eu-west-1\noutput = json\n',
    );
    await run(env, fakeAws(), { code: '123456' });
    const config = await readFile(join(dir, 'config'), 'utf8');
    expect(config).toContain(`[default]\nmfa_serial = ${PHONE}\nregion = eu-west-1\noutput = json\n`);
  });

  it('writes nothing with --no-remember and an existing target section, nor for a named device', async () => {
    const before = '[default]\nregion = us-west-2\n[profile default-long-term]\nregion = eu-west-1\n';
    const { env, dir } = await scratch(`[default-long-term]\n${KEY}`, before);
    await run(env, fakeAws(), { code: '123456' }, { remember: false });
    expect(await readFile(join(dir, 'config'), 'utf8')).toBe(before);
    await run(env, fakeAws(), { code: '654321', serialNumber: PHONE }, { force: true });
    expect(await readFile(join(dir, 'config'), 'utf8')).toBe(before);
  });

  it('decides the keys from the facts alone', () => {
    const sourceConfig = { region: 'eu-west-1', output: 'json' };
    expect(
      configUpdates({ serialNumber: PHONE, discovered: true, remember: true, targetHasConfig: true, sourceConfig }),
    ).toEqual({ mfa_serial: PHONE });
    expect(
      configUpdates({ serialNumber: PHONE, discovered: false, remember: true, targetHasConfig: false, sourceConfig }),
    ).toEqual(sourceConfig);
    expect(
      configUpdates({ serialNumber: PHONE, discovered: true, remember: false, targetHasConfig: true, sourceConfig }),
    ).toEqual({});
  });
});

describe('the resolver', () => {
  it('says where each value came from: flag, environment, config, default', async () => {
    const { env } = await scratch(
      `[work-keys]\n${KEY}`,
      '[profile work]\nsource_profile = work-keys\nregion = eu-west-1\nduration_seconds = 8h\n',
    );
    const files = await loadAwsFiles(awsFilePaths(env));
    const req = resolveProfile({ flags: { timeout: 5000 }, env: { ...env, AWS_PROFILE: 'work' }, files });
    expect(describeOrigin(req.target.origin)).toBe('AWS_PROFILE');
    expect(req.source).toEqual({
      value: 'work-keys',
      origin: { kind: 'config', key: 'source_profile', profile: 'work' },
    });
    expect(req.duration.value).toBe(8 * 3600);
    expect(describeOrigin(req.duration.origin)).toBe('duration_seconds of profile "work"');
    expect(req.region.value).toBe('eu-west-1');
    expect(
      resolveProfile({ flags: {}, env: { ...env, AWS_PROFILE: 'work', AWS_REGION: 'ap-south-1' }, files }).region
        .origin,
    ).toEqual({ kind: 'env', variable: 'AWS_REGION' });
    expect(req.timeoutMs).toEqual({ value: 5000, origin: { kind: 'flag', flag: '--timeout' } });
    expect(req.maxMfaAge).toEqual({ value: 43200, origin: { kind: 'default' } });
    expect(req.sourceConnection({ progress: false }).credentials.accessKeyId).toBe('AKIALONGTERM0000000');
  });

  it('never fails on a value the command does not read', async () => {
    const { env } = await scratch('', '[default]\nduration_seconds = soon\nmfa_serial = nonsense\n');
    const req = resolveProfile({ flags: {}, env, files: await loadAwsFiles(awsFilePaths(env)) });
    expect(req.target.value).toBe('default');
    expect(() => req.duration).toThrow(/duration_seconds of profile "default" "soon" is not a duration/);
    expect(() => req.checkedDevice()).toThrow(/mfa_serial of profile "default"/);
  });
});

describe('one long-term-keys predicate', () => {
  it('compares key names without case, as botocore does', () => {
    expect(holdsLongTermKeys({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' })).toBe(true);
    expect(holdsLongTermKeys({ aws_access_key_id: 'ASIA', AWS_SESSION_TOKEN: 't' })).toBe(false);
  });
});

describe('typed AWS failures', () => {
  const ctx = { profileName: 'p', accessKeyId: 'AKIAX', endpoint: 'https://sts.example', timeoutMs: 1000 };
  const sdk = (name: string, message: string) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });

  it('carry a reason that callers switch on instead of the message text', () => {
    const reasons = [
      mapAwsError(sdk('InvalidClientTokenId', 'The security token included in the request is invalid.'), {
        ...ctx,
        call: 'GetCallerIdentity',
      }),
      mapAwsError(sdk('SignatureDoesNotMatch', 'The request signature we calculated does not match'), {
        ...ctx,
        call: 'GetCallerIdentity',
      }),
      mapAwsError(sdk('ExpiredToken', 'expired'), { ...ctx, call: 'GetCallerIdentity' }),
      mapAwsError(sdk('AccessDenied', 'MultiFactorAuthentication failed with invalid MFA one time pass code.'), {
        ...ctx,
        call: 'GetSessionToken',
      }),
      mapAwsError(sdk('AccessDenied', 'not authorized to perform: iam:ListMFADevices'), {
        ...ctx,
        call: 'ListMFADevices',
      }),
      mapAwsError(sdk('Throttling', 'Rate exceeded'), { ...ctx, call: 'GetCallerIdentity' }),
      mapAwsError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), { ...ctx, call: 'GetCallerIdentity' }),
    ].map((e) => (e as AwsFailure).reason);
    expect(reasons).toEqual([
      'unknown-key',
      'bad-signature',
      'expired-token',
      'mfa-rejected',
      'access-denied:ListMFADevices',
      'throttled',
      'unreachable',
    ]);
  });
});
