import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator } from '../emulator/index.js';
import { NODE, ROOT, modulesLoadedBy, type RunResult, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { checkClock } from '../../src/usecases/doctor/checks/clock.js';
import { checkNode } from '../../src/usecases/doctor/checks/node.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const IDS = [
  'files',
  'profiles',
  'key-store',
  'keys',
  'clock',
  'mfa-device',
  'session',
  'kinds',
  'roles',
  'environment',
  'node',
];
const SYMBOL = { '✔': 'pass', '✖': 'fail', '!': 'warn', '-': 'skip' } as const;

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));
afterEach(() => emulator.setFaults({}));

type User = ReturnType<typeof newUser>;

interface Doctor extends RunResult {
  lines: string[];
  /** id → { status, text } of each line */
  checks: Record<string, { status: string; text: string }>;
}

async function doctor(s: Sandbox, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Doctor> {
  const r = await s.run(['doctor', ...args], { env });
  const lines = r.stdout.split('\n').filter(Boolean);
  const checks: Doctor['checks'] = {};
  for (const line of lines) {
    const m = /^(✔|✖|!|-) ([a-z-]+): (.*)$/.exec(line);
    if (m) checks[m[2]!] = { status: SYMBOL[m[1] as keyof typeof SYMBOL], text: m[3]! };
  }
  return { ...r, lines, checks };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A session section as the refresh writes it (fake keys: only the files are read for it). */
function sessionSection(name: string, opts: { issued: number; expiration: number; device?: string }) {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secret: randomBytes(30).toString('base64'),
    token: `IQoJb3JpZ2luX2VjE${randomBytes(200).toString('base64')}`,
    get text() {
      return (
        `[${name}]\naws_access_key_id = ${this.accessKeyId}\naws_secret_access_key = ${this.secret}\naws_session_token = ${this.token}\n` +
        `expiration = ${iso(opts.expiration)}\nmfa_issued = ${iso(opts.issued)}\n${opts.device ? `mfa_device = ${opts.device}\n` : ''}`
      );
    },
  };
}

/** Long-term keys in [default-long-term], the device remembered, a session usable for 11 h in [default]. */
async function goodSetup(
  s: Sandbox,
  user: User,
  session = sessionSection('default', { issued: Date.now() - 3600_000, expiration: Date.now() + 11 * 3600_000 }),
) {
  const serial = user.devices![0]!.serialNumber;
  await s.writeCredentials(`${longTermSection('default-long-term', user)}\n${session.text}`);
  await s.writeConfig(`[default]\nregion = eu-west-1\nmfa_serial = ${serial}\n`);
  return session;
}

function expectStatuses(d: Doctor, expected: Partial<Record<string, string>>) {
  expect(d.lines.map((l) => /^\S+ ([a-z-]+):/.exec(l)?.[1])).toEqual(IDS);
  for (const [id, status] of Object.entries(expected))
    expect(d.checks[id]?.status, `${id}: ${d.checks[id]?.text}`).toBe(status);
}

describe('doctor', () => {
  it('is all green on a good setup (keys in plaintext: one warning): 11 lines, exit 0, nothing on stderr, no secret printed', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const refreshed = await s.run(['--code', emulator.lastingCode(serial)]);
    expect(refreshed.code).toBe(0);

    const d = await doctor(s);
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    expect(d.lines).toHaveLength(11);
    expectStatuses(d, { ...Object.fromEntries(IDS.map((id) => [id, 'pass'])), 'key-store': 'warn' });
    expect(d.checks['key-store']!.text).toContain('the long-term keys of "default-long-term" sit in plaintext');
    expect(d.checks.files!.text).toMatch(
      /credentials file ~\/\.aws\/credentials \(0600\), config file ~\/\.aws\/config \(0600\)/,
    );
    expect(d.checks.profiles!.text).toContain(`source "default-long-term"`);
    expect(d.checks.keys!.text).toContain(`arn:aws:iam::123456789012:user/${user.userName}`);
    expect(d.checks.clock!.text).toMatch(/within 1 s of AWS's/);
    expect(d.checks['mfa-device']!.text).toContain(
      `${serial} (mfa_serial of profile "default") is ${user.userName}'s usable MFA device`,
    );
    expect(d.checks.session!.text).toMatch(/usable until .*(11h 59m|12h 0m) left, device /);
    // The version of the runtime the CLI runs on (npm run test:runtimes runs it on others).
    expect(d.checks.node!.text).toContain(
      execFileSync(NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim(),
    );
    const session = emulator.sessions.at(-1)!;
    for (const secret of [user.secretAccessKey, session.secretAccessKey, session.sessionToken])
      expect(d.stdout).not.toContain(secret);
    // Only the two calls a check needs, with the long-term keys.
    const calls = emulator.requests.filter((q) => q.accessKeyId === user.accessKeyId).map((q) => q.action);
    expect(calls.slice(-2)).toEqual(['GetCallerIdentity', 'ListMFADevices']);
  });

  it('--json prints { ok, checks: [{ id, status, message, hint? }] } and exits like the lines do', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await goodSetup(s, user);
    const good = await s.run(['doctor', '--json']);
    expect(good.code).toBe(0);
    const report = JSON.parse(good.stdout);
    expect(Object.keys(report).sort()).toEqual(['checks', 'ok']);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual(IDS);
    for (const c of report.checks) {
      expect(Object.keys(c).every((k) => ['id', 'status', 'message', 'hint'].includes(k))).toBe(true);
      expect(c.status).toBe(c.id === 'key-store' ? 'warn' : 'pass');
      expect(typeof c.message).toBe('string');
    }

    const bad = await s.run(['doctor', '--json'], { env: { AWS_SECRET_ACCESS_KEY: 'environmentSecretValue123' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('');
    const failed = JSON.parse(bad.stdout);
    expect(failed.ok).toBe(false);
    const env = failed.checks.find((c: { id: string }) => c.id === 'environment');
    expect(env).toMatchObject({ status: 'fail', hint: 'Run: unset AWS_SECRET_ACCESS_KEY.' });
    expect(bad.stdout).not.toContain('environmentSecretValue123');
  });

  it('files: a malformed file fails with file:line and the checks that need the files are skipped', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(`${longTermSection('default-long-term', user)}this line is not ini\n`);
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, {
      files: 'fail',
      profiles: 'skip',
      keys: 'skip',
      clock: 'skip',
      'mfa-device': 'skip',
      session: 'skip',
      environment: 'pass',
      node: 'pass',
    });
    expect(d.checks.files!.text).toContain(`${s.credentials}:4: not "key = value", a comment or a [section] header`);
    expect(d.stdout).not.toContain(user.secretAccessKey);
  });

  it('files: an unreadable file fails, naming it', async () => {
    const s = await sandbox();
    // A directory where the file should be: unreadable as a file even for root.
    await mkdir(s.config, { recursive: true });
    await s.writeCredentials('[x]\naws_access_key_id = AKIAX\n');
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, { files: 'fail', profiles: 'skip', keys: 'skip' });
    expect(d.checks.files!.text).toMatch(/Cannot read ~\/\.aws\/config: it is a directory/);
    if (process.getuid?.() !== 0) {
      const t = await sandbox();
      await t.writeCredentials('[x]\naws_access_key_id = AKIAX\n');
      await chmod(t.credentials, 0o000);
      const e = await doctor(t);
      expect(e.checks.files!.status).toBe('fail');
      expect(e.checks.files!.text).toMatch(/permission denied/);
    }
  });

  it('files: a group-readable file is a warning with the chmod command (exit 0)', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await goodSetup(s, user);
    await chmod(s.credentials, 0o640);
    const d = await doctor(s);
    expect(d.code).toBe(0);
    expectStatuses(d, { files: 'warn', profiles: 'pass', keys: 'pass' });
    expect(d.checks.files!.text).toMatch(
      /credentials file ~\/\.aws\/credentials has mode 0640, wider than 0600 \(your group\)\. Run: chmod 600 \S+\/\.aws\/credentials$/,
    );
    expect(d.checks.files!.text).toContain(`chmod 600 ${s.credentials}`);
  });

  it('files: AWS_SHARED_CREDENTIALS_FILE is the file checked', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const elsewhere = join(s.home, 'creds-elsewhere');
    await writeFile(elsewhere, longTermSection('default-long-term', user), { mode: 0o604 });
    const d = await doctor(s, [], { AWS_SHARED_CREDENTIALS_FILE: elsewhere });
    expect(d.checks.files!.status).toBe('warn');
    expect(d.checks.files!.text).toMatch(
      /~\/creds-elsewhere \(AWS_SHARED_CREDENTIALS_FILE\) has mode 0604, wider than 0600 \(everyone\)/,
    );
    expect(d.checks.keys!.status).toBe('pass');
  });

  it('profiles: missing source keys fail and AWS is not called', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('alice-keys', user));
    const before = emulator.requests.length;
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, {
      files: 'pass',
      profiles: 'fail',
      keys: 'skip',
      clock: 'skip',
      'mfa-device': 'skip',
      session: 'warn',
    });
    expect(d.checks.profiles!.text).toMatch(
      /No long-term keys in profile "default-long-term" .*; it is the source profile \(the default for "default"\)\. .*Profiles with long-term keys: alice-keys\.$/,
    );
    expect(emulator.requests.length).toBe(before);

    // Named right, it passes.
    const named = await doctor(s, ['--source-profile', 'alice-keys']);
    expect(named.checks.profiles).toMatchObject({ status: 'pass' });
    expect(named.checks.profiles!.text).toContain('source "alice-keys" (--source-profile)');
  });

  it('profiles: a target holding long-term keys fails (setup hint when the source has none)', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default', user) + '\n' + longTermSection('default-long-term', user));
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, { profiles: 'fail', keys: 'pass', session: 'skip' });
    expect(d.checks.profiles!.text).toMatch(
      /Profile "default" in .*credentials holds long-term keys; writing a session there would destroy them/,
    );

    await s.writeCredentials(longTermSection('default', user));
    const only = await doctor(s);
    expect(only.checks.profiles!.status).toBe('fail');
    expect(only.checks.profiles!.text).toContain(
      'Run: aws-mfa-refresh setup (it moves the keys to [default-long-term]',
    );
  });

  it('keys: a deleted key fails as unknown/deleted; the clock is still read from the answer', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await goodSetup(s, user);
    emulator.deleteAccessKey(user.accessKeyId);
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, { profiles: 'pass', keys: 'fail', clock: 'pass', 'mfa-device': 'skip' });
    expect(d.checks.keys!.text).toContain(
      `AWS does not recognise the keys of profile "default-long-term" (${user.accessKeyId}): the access key is unknown or was deleted`,
    );
  });

  it('keys: a wrong secret fails as a signature mismatch, without printing the secret', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const wrong = randomBytes(30).toString('base64');
    await goodSetup(s, { ...user, secretAccessKey: wrong });
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, { keys: 'fail', 'mfa-device': 'skip' });
    expect(d.checks.keys!.text).toMatch(
      /the secret access key does not match the key id\. Fix aws_secret_access_key in profile "default-long-term"/,
    );
    expect(d.stdout).not.toContain(wrong);
  });

  it('keys: a stale session token in the source profile fails, and so do live session credentials', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    });
    const out = await sts.send(
      new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: emulator.freshCode(serial), DurationSeconds: 900 }),
    );
    const c = out.Credentials!;
    const source = `[default-long-term]\naws_access_key_id = ${c.AccessKeyId}\naws_secret_access_key = ${c.SecretAccessKey}\naws_session_token = ${c.SessionToken}\n`;
    await s.writeCredentials(source);

    const live = await doctor(s);
    expect(live.code).toBe(1);
    expect(live.checks.keys!.status).toBe('fail');
    expect(live.checks.keys!.text).toMatch(
      /holds session credentials .*GetSessionToken refuses session credentials\. Put your long-term access keys \(AKIA…\)/,
    );

    emulator.sessions.find((x) => x.accessKeyId === c.AccessKeyId)!.expiration = new Date(Date.now() - 60_000);
    const expired = await doctor(s);
    expect(expired.code).toBe(1);
    expectStatuses(expired, { profiles: 'pass', keys: 'fail', clock: 'pass', 'mfa-device': 'skip' });
    expect(expired.checks.keys!.text).toMatch(
      /Profile "default-long-term" holds an expired aws_session_token next to its keys\. Remove aws_session_token/,
    );

    // Long-term keys with a leftover token: AWS refuses the pair.
    await s.writeCredentials(`${longTermSection('default-long-term', user)}aws_session_token = ${c.SessionToken}\n`);
    const leftover = await doctor(s);
    expect(leftover.checks.keys!.status).toBe('fail');
    expect(leftover.checks.keys!.text).toMatch(
      /with the aws_session_token next to them.*Remove aws_session_token from \[default-long-term\]/,
    );
    for (const d of [live, expired, leftover]) {
      for (const secret of [c.SecretAccessKey!, c.SessionToken!, user.secretAccessKey])
        expect(d.stdout).not.toContain(secret);
    }
  });

  it('clock: +120 s is a warning, +600 s a failure (though the keys pass, re-signed), -400 s ahead fails', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await goodSetup(s, user);

    emulator.setFaults({ clockSkewSeconds: 120 });
    const warn = await doctor(s);
    expect(warn.code).toBe(0);
    expectStatuses(warn, { keys: 'pass', clock: 'warn', 'mfa-device': 'pass' });
    expect(warn.checks.clock!.text).toMatch(/your clock is 1(19|20|21) s behind AWS's .*Synchronise the system clock/);

    emulator.setFaults({ clockSkewSeconds: 600 });
    const fail = await doctor(s);
    expect(fail.code).toBe(1);
    expectStatuses(fail, { keys: 'pass', clock: 'fail', 'mfa-device': 'pass' });
    expect(fail.checks.clock!.text).toMatch(/your clock is (599|600|601) s behind AWS's .*more than the 5 minutes/);
    expect(fail.checks.keys!.text).toContain("after re-signing with AWS's time");
    expect(fail.stderr).toBe('');

    emulator.setFaults({ clockSkewSeconds: -400 });
    const ahead = await doctor(s);
    expect(ahead.checks.clock!.status).toBe('fail');
    expect(ahead.checks.clock!.text).toMatch(/your clock is (399|400|401) s ahead of AWS's/);
  });

  it('mfa-device: a user without a device fails with how to create one', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 0);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const d = await doctor(s);
    expect(d.code).toBe(1);
    expectStatuses(d, { keys: 'pass', 'mfa-device': 'fail', session: 'warn' });
    expect(d.checks['mfa-device']!.text).toMatch(
      new RegExp(`IAM user ${user.userName} has no MFA device\\. Create and enable a virtual MFA device`),
    );

    // Only a passkey: GetSessionToken cannot use it.
    const withPasskey = newUser(emulator, 0, {
      devices: [
        {
          serialNumber: `arn:aws:iam::123456789012:u2f/user/someone/key-${randomBytes(8).toString('hex').toUpperCase()}`,
          seed: 'JBSWY3DPEHPK3PXP',
        },
      ],
    });
    await s.writeCredentials(longTermSection('default-long-term', withPasskey));
    const passkey = await doctor(s);
    expect(passkey.code).toBe(1);
    expect(passkey.checks['mfa-device']!.status).toBe('fail');
    expect(passkey.checks['mfa-device']!.text).toMatch(
      /has only security keys\/passkeys \(1 device\), which GetSessionToken cannot use/,
    );
  });

  it("mfa-device: a remembered mfa_serial that is not the user's fails, naming both", async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    await goodSetup(s, user);
    const foreign = 'arn:aws:iam::123456789012:mfa/someone-else';
    await s.writeConfig(`[profile work]\nsource_profile = default-long-term\nmfa_serial = ${foreign}\n`);
    const d = await doctor(s, ['--profile', 'work']);
    expect(d.code).toBe(1);
    expect(d.checks['mfa-device']!.status).toBe('fail');
    const text = d.checks['mfa-device']!.text;
    expect(text).toContain(
      `${foreign} (mfa_serial of profile "work") is not one of ${user.userName}'s MFA devices: ${user.devices![0]!.serialNumber}, ${user.devices![1]!.serialNumber}`,
    );
    expect(text).toContain(`Set mfa_serial = ${user.devices![0]!.serialNumber} in [profile work]`);
  });

  it('mfa-device: ListMFADevices denied is a warning when mfa_serial is set, a failure when not', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await goodSetup(s, user);
    emulator.setFaults({ denyListMfaDevices: true });
    const d = await doctor(s);
    expect(d.code).toBe(0);
    expect(d.checks['mfa-device']!.status).toBe('warn');
    expect(d.checks['mfa-device']!.text).toMatch(/cannot confirm .*iam:ListMFADevices is denied.*--serial-number/);

    await s.writeConfig('');
    const unset = await doctor(s);
    expect(unset.code).toBe(1);
    expect(unset.checks['mfa-device']!.status).toBe('fail');
    expect(unset.checks['mfa-device']!.text).toMatch(/--serial-number ARN, or set mfa_serial/);
  });

  it('session: missing and expired are warnings saying to refresh; a 36 h session warns about the MFA age', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;

    await goodSetup(
      s,
      user,
      sessionSection('default', {
        issued: Date.now() - 13 * 3600_000,
        expiration: Date.now() - 3600_000,
        device: serial,
      }),
    );
    const expired = await doctor(s);
    expect(expired.code).toBe(0);
    expectStatuses(expired, { session: 'warn', keys: 'pass', environment: 'pass' });
    expect(expired.checks.session!.text).toMatch(
      /the session of profile "default" is no longer usable since \S+( \S+)? \(it expired\)\. Run: aws-mfa-refresh$/,
    );

    const long = sessionSection('default', {
      issued: Date.now() - 3600_000,
      expiration: Date.now() + 35 * 3600_000,
      device: serial,
    });
    await goodSetup(s, user, long);
    const d = await doctor(s);
    expect(d.code).toBe(0);
    expect(d.checks.session!.status).toBe('warn');
    expect(d.checks.session!.text).toMatch(
      /usable until .* \(MFA age limit 12h 0m; .*\), (10h 59m|11h 0m) left.*it lasts 1d 12h, longer than the MFA age limit .*useless after 12h 0m\. .*--duration 43200/,
    );
    expect(d.stdout).not.toContain(long.token);

    // --max-mfa-age raises the limit: no warning.
    const relaxed = await doctor(s, ['--max-mfa-age', '36h']);
    expect(relaxed.checks.session!.status).toBe('pass');

    await s.writeCredentials(longTermSection('default-long-term', user));
    const missing = await doctor(s);
    expect(missing.code).toBe(0);
    expect(missing.checks.session!).toMatchObject({
      status: 'warn',
      text: 'profile "default" holds no MFA session yet. Run: aws-mfa-refresh',
    });
  });

  it('environment: keys in the environment fail (unset hint, no values); AWS_PROFILE elsewhere warns', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const session = await goodSetup(s, user);
    const keyId = 'AKIAENVIRONMENT00001';
    const d = await doctor(s, [], { AWS_ACCESS_KEY_ID: keyId });
    expect(d.code).toBe(1);
    expectStatuses(d, { environment: 'fail', keys: 'pass', session: 'pass' });
    expect(d.checks.environment!.text).toBe(
      'AWS_ACCESS_KEY_ID is set in this shell: the AWS CLI and SDKs use it before any profile, so profile "default" is ignored. Run: unset AWS_ACCESS_KEY_ID.',
    );
    expect(d.stdout).not.toContain(keyId);

    const elsewhere = await doctor(s, ['--profile', 'default'], { AWS_PROFILE: 'default-long-term' });
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.checks.environment!.status).toBe('warn');
    expect(elsewhere.checks.environment!.text).toMatch(
      /^AWS_PROFILE=default-long-term but the target profile is "default": the AWS CLI and SDKs use "default-long-term" \(the long-term keys.*Run: export AWS_PROFILE=default\.$/,
    );

    const legacy = await doctor(s, [], { AWS_DEFAULT_PROFILE: 'other' });
    expect(legacy.checks.environment!.status).toBe('warn');
    expect(legacy.checks.environment!.text).toMatch(
      /AWS_DEFAULT_PROFILE=other .*profile "default" for the AWS SDK for JavaScript.*Run: export AWS_PROFILE=other; unset AWS_DEFAULT_PROFILE/,
    );

    // Keys exported from the target's own session (eval "$(aws-mfa-refresh env)"): a warning, not a failure.
    const exported = await doctor(s, [], {
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secret,
      AWS_SESSION_TOKEN: session.token,
    });
    expect(exported.code).toBe(0);
    expect(exported.checks.environment!.status).toBe('warn');
    expect(exported.checks.environment!.text).toMatch(
      /^AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN are set in this shell, from the current session of profile "default".*go stale/,
    );
    for (const secret of [session.secret, session.token]) expect(exported.stdout).not.toContain(secret);

    // AWS_PROFILE naming the target is what it should be.
    const same = await doctor(s, [], { AWS_PROFILE: 'default' });
    expect(same.checks.environment).toMatchObject({ status: 'pass' });
  });

  it('keys: AWS unreachable fails with the cause; clock and device are skipped', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await goodSetup(s, user);
    const d = await doctor(s, ['--endpoint-url', 'http://127.0.0.1:9', '--timeout', '3s']);
    expect(d.code).toBe(1);
    expectStatuses(d, { keys: 'fail', clock: 'skip', 'mfa-device': 'skip', session: 'pass' });
    expect(d.checks.keys!.text).toMatch(/connection refused/);
  });

  it('loads the AWS SDK only when a check calls AWS', async () => {
    const s = await sandbox();
    const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<
      string,
      string[]
    >;
    const packagesLoaded = async () =>
      new Set((await modulesLoadedBy(['doctor'], s.env)).flatMap((m) => contents[m.replace(/.*\/dist\//, '')] ?? []));
    await s.writeCredentials('[other]\naws_access_key_id = AKIAOTHER0000000000X\naws_secret_access_key = x\n');
    const offline = await packagesLoaded();
    expect(offline).toContain('src/usecases/doctor/run.ts');
    expect([...offline].filter((p) => p.startsWith('@aws-sdk/'))).toEqual([]);
    // Positive control: with keys to try, the keys check loads the STS client.
    const user = newUser(emulator);
    await goodSetup(s, user);
    expect(await packagesLoaded()).toContain('@aws-sdk/client-sts');
  });

  it('has help with examples, and rejects a bad --max-mfa-age as a usage error', async () => {
    const s = await sandbox();
    const help = await s.run(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n  \$ aws-mfa-refresh doctor\n/);
    const bad = await s.run(['doctor', '--max-mfa-age', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-mfa-age "soon" is not a duration/);
  });
});

describe('doctor checks as functions', () => {
  it('node fails below 20', () => {
    expect(checkNode('18.20.4')).toMatchObject({ id: 'node', status: 'fail' });
    expect(checkNode('20.0.0').status).toBe('pass');
    expect(checkNode('22.11.0').status).toBe('pass');
  });

  it('clock thresholds: 60 s warns, 300 s fails, each way', () => {
    const at = (skewSeconds: number) => {
      const now = Date.now();
      // A Date header is whole seconds; place the local clock in the middle of the server's second.
      const server = Math.floor((now + skewSeconds * 1000) / 1000) * 1000;
      return checkClock([
        {
          date: new Date(server),
          sentAt: server + 500 - skewSeconds * 1000,
          receivedAt: server + 500 - skewSeconds * 1000,
          status: 200,
        },
      ]);
    };
    expect(at(0).status).toBe('pass');
    expect(at(59).status).toBe('pass');
    expect(at(-59).status).toBe('pass');
    expect(at(62).status).toBe('warn');
    expect(at(-62)).toMatchObject({ status: 'warn', message: expect.stringMatching(/62 s ahead of AWS's/) });
    expect(at(299).status).toBe('warn');
    expect(at(302)).toMatchObject({ status: 'fail', message: expect.stringMatching(/302 s behind AWS's/) });
    expect(checkClock([]).status).toBe('skip');
  });
});
