import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import type { Emulator } from '../emulator/index.js';
import { modulesLoadedBy, sectionOf, withoutSection } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { REFERENCE_PYTHON } from '../reference-python.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const run = promisify(execFile);

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

/** Other profiles, comments and blank lines the tool must not touch. */
const NEIGHBOURS =
  '# my keys\n[other]\naws_access_key_id = AKIAOTHER0000000000X\naws_secret_access_key = otherSecret ; keep me\n\n;trailing comment\n';

function callsOf(action: string, accessKeyId?: string) {
  return emulator.requests.filter((r) => r.action === action && (!accessKeyId || r.accessKeyId === accessKeyId));
}

async function identityWith(profile: Record<string, string>) {
  const client = new STSClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    credentials: {
      accessKeyId: profile.aws_access_key_id!,
      secretAccessKey: profile.aws_secret_access_key!,
      sessionToken: profile.aws_session_token!,
    },
  });
  return client.send(new GetCallerIdentityCommand({}));
}

describe('refresh, end to end against the emulator', () => {
  it("a refresh works without loading Node's web streams or Web Crypto (the SDK only tests for them)", async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const serial = user.devices![0]!.serialNumber;
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    const loaded = await modulesLoadedBy(['-q', '--code', emulator.lastingCode(serial)], s.env, { esm: false });
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_session_token).toBeTruthy();
    expect(loaded).toContain('node:https'); // the probe sees the SDK's own modules
    // (internal/webstreams/util comes with Node's own start.)
    const web = /^node:internal\/(webstreams\/(readable|writable)stream|crypto\/webcrypto)$/;
    expect(loaded.filter((m) => web.test(m))).toEqual([]);
  });

  it('discovers the only device, writes the session losslessly with 0600, remembers the device, and the keys work', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const before = NEIGHBOURS + '\n' + longTermSection('default-long-term', user);
    await s.writeCredentials(before);
    const serial = user.devices![0]!.serialNumber;

    const r = await s.run(['--code', emulator.lastingCode(serial)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^✔ Profile "default" refreshed: valid until \d\d:\d\d(?:| \S+) \((11h 59m|12h 0m)\)\.\n$|^✔ Profile "default" refreshed: valid until \d{4}-\d\d-\d\d \d\d:\d\d \((11h 59m|12h 0m)\)\.\n$/,
    );

    const after = await s.readCredentials();
    expect(after.startsWith(before)).toBe(true); // everything we do not own is byte-identical, in place
    expect(withoutSection(after, 'default')).toBe(`${before}\n`); // the new section comes after one blank line
    const session = sectionOf(after, 'default')!;
    expect(session.aws_access_key_id).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(session.aws_session_token!.length).toBeGreaterThan(100);
    expect(session.mfa_device).toBe(serial);
    const expiration = Date.parse(session.expiration!);
    expect(session.expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(expiration - Date.now() - 43200_000)).toBeLessThan(60_000);
    expect(session.mfa_issued).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await s.mode(s.credentials)).toBe(0o600);

    const identity = await identityWith(session);
    expect(identity.Arn).toBe(`arn:aws:iam::123456789012:user/${user.userName}`);
    expect(callsOf('ListMFADevices', user.accessKeyId)).toHaveLength(1);
    expect(callsOf('ListMFADevices', user.accessKeyId)[0]!.params.UserName).toBe(user.userName);

    // Remembered: tomorrow needs no IAM call.
    expect(sectionOf(await s.readConfig(), 'default')?.mfa_serial).toBe(serial);

    // Still valid: no prompt, no AWS call, exit 0.
    const requestsBefore = emulator.requests.length;
    const again = await s.run([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^✔ Profile "default" is still valid until .* left\); not refreshed/);
    expect(emulator.requests.length).toBe(requestsBefore);
    expect(await s.readCredentials()).toBe(after);

    // --force refreshes anyway, using the remembered device without IAM.
    const forced = await s.run(['--force', '--code', emulator.lastingCode(serial)]);
    expect(forced.code).toBe(0);
    expect(callsOf('ListMFADevices', user.accessKeyId)).toHaveLength(1);
    const reforced = await s.readCredentials();
    expect(sectionOf(reforced, 'default')!.aws_access_key_id).not.toBe(session.aws_access_key_id);
    expect(withoutSection(reforced, 'default')).toBe(`${before}\n`);
  });

  it('uses mfa_serial and source_profile from ~/.aws/config for a custom profile, without calling IAM', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    const serial = user.devices![1]!.serialNumber;
    await s.writeCredentials(longTermSection('alice-keys', user));
    await s.writeConfig(`[profile work]\nsource_profile = alice-keys\nmfa_serial = ${serial}\nregion = eu-west-1\n`);
    const config = await s.readConfig();

    const r = await s.run(['--profile', 'work', '--code', emulator.lastingCode(serial), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ profile: 'work', sourceProfile: 'alice-keys', refreshed: true, serialNumber: serial });
    expect(out.expiration).toMatch(/Z$/);
    expect(callsOf('ListMFADevices', user.accessKeyId)).toHaveLength(0);
    expect(callsOf('GetSessionToken', user.accessKeyId)[0]!.params.SerialNumber).toBe(serial);
    expect(sectionOf(await s.readCredentials(), 'work')?.aws_session_token).toBeTruthy();
    expect(await s.readConfig()).toBe(config); // nothing to remember
  });

  it('honours AWS_PROFILE, NAME-long-term, AWS_SHARED_CREDENTIALS_FILE and --duration, and -q prints nothing', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const credsFile = join(s.home, 'elsewhere-credentials');
    await writeFile(credsFile, longTermSection('dev-long-term', user), { mode: 0o600 });
    const r = await s.run(
      ['-q', '--serial-number', serial, '--code', emulator.lastingCode(serial), '--duration', '90m'],
      {
        env: { AWS_PROFILE: 'dev', AWS_SHARED_CREDENTIALS_FILE: credsFile },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    expect(callsOf('GetSessionToken', user.accessKeyId)[0]!.params.DurationSeconds).toBe('5400');
    const { readFile } = await import('node:fs/promises');
    const session = sectionOf(await readFile(credsFile, 'utf8'), 'dev')!;
    expect(Math.abs(Date.parse(session.expiration!) - Date.now() - 5400_000)).toBeLessThan(60_000);
  });

  it('reads the code from stdin with --code -', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run(['--serial-number', serial, '--code', '-'], { input: ` ${emulator.lastingCode(serial)}\n` });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses to write a session over long-term keys (exit 5) and leaves the file untouched', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const text = longTermSection('default', user) + '\n' + longTermSection('default-long-term', user);
    await s.writeCredentials(text);
    const r = await s.run(['--code', '123456']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^aws-mfa-refresh: Profile "default" in .*credentials holds long-term keys; .*\n$/);
    expect(await s.readCredentials()).toBe(text);
    expect(emulator.requests.filter((q) => q.accessKeyId === user.accessKeyId)).toHaveLength(0);

    const same = await s.run(['--profile', 'x', '--source-profile', 'x', '--code', '123456']);
    expect(same.code).toBe(5);
    expect(same.stderr).toMatch(/both "x"/);
  });

  it('exits 3 with a one-line message naming --code when there is no terminal and no code', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run(['--serial-number', user.devices![0]!.serialNumber]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--code/);
    expect(await s.readCredentials()).toBe(longTermSection('default-long-term', user));
  });

  it('exits 3 when several devices exist and no terminal can choose, listing them', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run(['--code', '123456']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(user.devices![1]!.serialNumber);
    expect(r.stderr).toMatch(/--serial-number/);
  });

  it('exits 4 on a wrong code and on a code used twice, writing nothing', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const text = longTermSection('default-long-term', user);
    await s.writeCredentials(text);
    const code = emulator.lastingCode(serial);
    const wrong = String((Number(code) + 500000) % 1000000).padStart(6, '0');
    const r = await s.run(['--serial-number', serial, '--code', wrong]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/rejected the MFA code/);
    expect(await s.readCredentials()).toBe(text);

    const ok = await s.run(['--serial-number', serial, '--code', code]);
    expect(ok.code).toBe(0);
    const reused = await s.run(['--serial-number', serial, '--code', code, '--force']);
    expect(reused.code).toBe(4);
  });

  it('exits 5 for unknown keys and for a wrong secret', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(
      longTermSection('default-long-term', { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x'.repeat(40) }),
    );
    const unknown = await s.run(['--serial-number', serial, '--code', '123456']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(
      /does not recognise the keys of profile "default-long-term" \(AKIAUNKNOWN000000000\)/,
    );

    await s.writeCredentials(
      longTermSection('default-long-term', { accessKeyId: user.accessKeyId, secretAccessKey: 'y'.repeat(40) }),
    );
    const wrongSecret = await s.run(['--serial-number', serial, '--code', '123456']);
    expect(wrongSecret.code).toBe(5);
    expect(wrongSecret.stderr).toMatch(/secret access key does not match/);
    expect(wrongSecret.stderr).not.toContain('y'.repeat(40));
  });

  it('exits 5 when the source profile has no keys, and 2 on bad flags', async () => {
    const s = await sandbox();
    const missing = await s.run(['--code', '123456']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/No long-term keys in profile "default-long-term"/);

    for (const args of [
      ['--duration', '10'],
      ['--duration', 'soon'],
      ['--code', '12345'],
      ['--serial-number', 'arn:aws:iam::123456789012:user/alice'],
      ['--bogus'],
    ]) {
      const r = await s.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const userArn = await s.run(['--serial-number', 'arn:aws:iam::123456789012:user/alice']);
    expect(userArn.stderr).toMatch(/arn:aws:iam::123456789012:mfa\/alice/);
  });

  it('warns when --duration outlives --max-mfa-age', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial), '--duration', '36h']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: a 129600 s session outlives the MFA age limit/);
    expect(r.stdout).toMatch(/\((11h 59m|12h 0m)\)/); // usable for 12 h, not 36
  });

  it('exits 6 when AWS cannot be reached', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((res) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => res(p));
      });
    });
    const r = await s.run(['--serial-number', serial, '--code', '123456'], {
      env: { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` },
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/connection refused/);
  });
});

describe('refresh: more of the flow', () => {
  it('discovers devices of a user with an IAM path, keeps keys it does not own, reads duration_seconds, and --no-remember', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 1, { path: '/engineering/team-a/' });
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(
      longTermSection('ops-long-term', user) + '\n[ops]\nregion = eu-central-1\noutput = table\n',
    );
    await s.writeConfig('[profile ops]\nduration_seconds = 3600\n');
    const config = await s.readConfig();
    const r = await s.run(['--profile', 'ops', '--code', emulator.lastingCode(serial), '--no-remember']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(callsOf('ListMFADevices', user.accessKeyId)[0]!.params.UserName).toBe(user.userName);
    expect(callsOf('GetSessionToken', user.accessKeyId)[0]!.params.DurationSeconds).toBe('3600');
    const ops = sectionOf(await s.readCredentials(), 'ops')!;
    expect(ops).toMatchObject({ region: 'eu-central-1', output: 'table', mfa_device: serial });
    expect(ops.aws_session_token).toBeTruthy();
    expect(await s.readConfig()).toBe(config); // --no-remember: config untouched
  });

  it('adds a config section with the source region and output for a new target profile', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('keys', user));
    await s.writeConfig('# mine\n[profile keys]\nregion = ap-south-1\noutput = json\n');
    const r = await s.run([
      '--profile',
      'fresh',
      '--source-profile',
      'keys',
      '--serial-number',
      serial,
      '--code',
      emulator.lastingCode(serial),
    ]);
    expect(r.code).toBe(0);
    expect(await s.readConfig()).toBe(
      '# mine\n[profile keys]\nregion = ap-south-1\noutput = json\n\n[profile fresh]\nsource_profile = keys\nregion = ap-south-1\noutput = json\n',
    );
  });

  it('explains how to create a device when the user has none (exit 5)', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 0);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run(['--code', '123456']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      new RegExp(`IAM user ${user.userName} has no MFA device\\. Create and enable a virtual MFA device`),
    );
  });

  it('refuses before spending a code: a read-only file, upper-case long-term keys in the target, a profile name with spaces', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const { chmod } = await import('node:fs/promises');
    await s.writeCredentials(longTermSection('default-long-term', user));
    await chmod(s.credentials, 0o400);
    const readOnly = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial)]);
    expect(readOnly.code).toBe(9);
    expect(readOnly.stderr).toMatch(/credentials is read-only \(mode 0400\)\. Make it writable with: chmod 600 /);
    await chmod(s.credentials, 0o600);

    await s.writeCredentials(
      longTermSection('default-long-term', user) +
        '[default]\nAWS_ACCESS_KEY_ID = AKIAUPPER\nAWS_SECRET_ACCESS_KEY = x\n',
    );
    const upper = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial)]);
    expect(upper.code).toBe(5);
    expect(upper.stderr).toMatch(/Profile "default" in .* holds long-term keys/);

    const spaced = await s.run(['--profile', 'my profile', '--serial-number', serial, '--code', '123456']);
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toMatch(/--profile "my profile" is not a usable profile name\. .*without spaces/);
    expect(callsOf('GetSessionToken', user.accessKeyId)).toHaveLength(0); // no code was spent
  });

  it('never waits forever for a code on stdin (exit 3 after --input-timeout)', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const { spawn } = await import('node:child_process');
    const { CLI, NODE } = await import('./harness.js');
    const started = Date.now();
    const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
      const c = spawn(
        NODE,
        [CLI, '--serial-number', user.devices![0]!.serialNumber, '--code', '-', '--input-timeout', '1s'],
        { env: s.env, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => res({ code, stderr })); // stdin is left open and silent
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No MFA code arrived on stdin within 1 s/);
    expect(Date.now() - started).toBeLessThan(15000);
  });
});

describe('code sources', () => {
  it('takes the code from --code-command, and from mfa_process in config', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    const [a, b] = user.devices!;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const script = join(s.home, 'otp.sh');
    await writeFile(script, `#!/bin/sh\necho "touch your key" >&2\necho " $1 "\necho ignored-second-line\n`, {
      mode: 0o700,
    });
    const r = await s.run([
      '--serial-number',
      a!.serialNumber,
      '--code-command',
      `${script} ${emulator.lastingCode(a!.serialNumber)}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('touch your key\n');

    await s.writeConfig(
      `[default]\nmfa_serial = ${b!.serialNumber}\nmfa_process = ${script} ${emulator.lastingCode(b!.serialNumber)}\n`,
    );
    const viaConfig = await s.run(['--force']);
    expect(viaConfig.code).toBe(0);
    expect(callsOf('GetSessionToken', user.accessKeyId).map((q) => q.params.SerialNumber)).toEqual([
      a!.serialNumber,
      b!.serialNumber,
    ]);
  });

  it('fails clearly when the code command fails or prints no code (exit 3), writing nothing', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const text = longTermSection('default-long-term', user);
    await s.writeCredentials(text);
    const serial = user.devices![0]!.serialNumber;
    const failing = await s.run(['--serial-number', serial, '--code-command', 'exit 9']);
    expect(failing.code).toBe(3);
    expect(failing.stderr).toMatch(/^aws-mfa-refresh: --code-command failed \(exit 9\)\. Run it yourself/);
    const chatty = await s.run(['--serial-number', serial, '--code-command', 'echo "your code is 123456"']);
    expect(chatty.code).toBe(3);
    expect(chatty.stderr).toMatch(/printed something other than a 6-digit code/);
    expect(await s.readCredentials()).toBe(text);
  });

  it('says a code cannot be used twice, and when the next one comes, when AWS rejects the code used last time', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const code = emulator.lastingCode(serial);
    expect((await s.run(['--serial-number', serial, '--code', code])).code).toBe(0);
    const state = join(s.home, '.local', 'state', 'aws-mfa-refresh', 'used-codes.json');
    expect(await s.mode(state)).toBe(0o600);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(state, 'utf8')).not.toContain(code);

    const again = await s.run(['--force', '--serial-number', serial, '--code', code]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(
      /it is the code already used at \d\d:\d\d for this device, and each code works only once\. Wait for the next code \(in \d+ s\)/,
    );
  });
});

describe('what we write is read back by real readers', () => {
  it('the JS SDK fromIni and botocore see the new session and the other profiles unchanged', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(NEIGHBOURS + longTermSection('default-long-term', user).replace(/\n/g, '\r\n'));
    const r = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial)]);
    expect(r.code).toBe(0);
    const session = sectionOf(await s.readCredentials(), 'default')!;

    const files = { filepath: s.credentials, configFilepath: s.config, ignoreCache: true };
    const js = await fromIni({ profile: 'default', ...files })();
    expect(js.accessKeyId).toBe(session.aws_access_key_id);
    expect(js.sessionToken).toBe(session.aws_session_token);
    const other = await fromIni({ profile: 'other', ...files })();
    expect(other.accessKeyId).toBe('AKIAOTHER0000000000X');

    const script = `
import json, botocore.session
out = {}
for p in ("default", "other", "default-long-term"):
    c = botocore.session.Session(profile=p).get_credentials().get_frozen_credentials()
    out[p] = [c.access_key, c.token]
print(json.dumps(out))`;
    const { stdout } = await run(REFERENCE_PYTHON, ['-c', script], {
      env: { ...process.env, AWS_SHARED_CREDENTIALS_FILE: s.credentials, AWS_CONFIG_FILE: s.config, HOME: s.home },
    });
    const boto = JSON.parse(stdout);
    expect(boto.default).toEqual([session.aws_access_key_id, session.aws_session_token]);
    expect(boto.other).toEqual(['AKIAOTHER0000000000X', null]);
    expect(boto['default-long-term']).toEqual([user.accessKeyId, null]);
  });
});
