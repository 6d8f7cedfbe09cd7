/**
 * Issue 10 item 6: coming from aws-mfa. Its `aws_mfa_device` in the long-term profile names the
 * device; a `--source-profile` given once is remembered as source_profile of the target (which
 * botocore, the AWS CLI and the JS SDK ignore on a profile without role_arn: checked with each);
 * a default source without keys gets the list of profiles that have them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fromIni } from '@aws-sdk/credential-providers';
import type { Emulator } from '../emulator/index.js';
import { sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const run = promisify(execFile);

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

/** What botocore, the AWS CLI and the JS SDK make of profile `default`. */
async function readers(s: Sandbox) {
  const env = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: s.credentials, AWS_CONFIG_FILE: s.config, HOME: s.home };
  const script = `
import json, botocore.session
c = botocore.session.Session(profile="default").get_credentials()
f = c.get_frozen_credentials()
print(json.dumps([c.method, f.access_key, f.token]))`;
  const boto = JSON.parse((await run('/usr/bin/python3', ['-c', script], { env })).stdout);
  const cli = JSON.parse(
    (
      await run(
        '/usr/bin/aws',
        ['sts', 'get-caller-identity', '--profile', 'default', '--endpoint-url', emulator.url],
        {
          env: { ...env, AWS_DEFAULT_REGION: 'us-east-1' },
        },
      )
    ).stdout,
  ).Arn;
  const js = await fromIni({
    profile: 'default',
    filepath: s.credentials,
    configFilepath: s.config,
    ignoreCache: true,
  })();
  return { boto, cli, js: [js.accessKeyId, js.sessionToken] };
}

describe('coming from aws-mfa', () => {
  it('aws_mfa_device in the long-term profile names the device: two devices, no terminal, no chooser', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    const second = user.devices![1]!.serialNumber;
    await s.writeCredentials(`${longTermSection('default-long-term', user)}aws_mfa_device = ${second}\n`);
    const r = await s.run(['--code', emulator.lastingCode(second)], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'default')?.mfa_device).toBe(second);
    expect(emulator.countRequests('ListMFADevices', { accessKeyId: user.accessKeyId })).toBe(0);
  });

  it('--source-profile given once is remembered; the next plain run uses it; every reader reads the profile as before', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('alice-keys', user));
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\nregion = eu-west-1\n`);

    const first = await s.run(['--source-profile', 'alice-keys', '--code', emulator.lastingCode(serial)], {
      timeoutMs: 60_000,
    });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await s.readConfig()).toBe(
      `[default]\nmfa_serial = ${serial}\nregion = eu-west-1\nsource_profile = alice-keys\n`,
    );

    const next = await s.run(['--force', '--code', emulator.lastingCode(serial)], { timeoutMs: 60_000 });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);

    // The same files without source_profile: botocore, the AWS CLI and the JS SDK read the same session.
    const session = sectionOf(await s.readCredentials(), 'default')!;
    const withIt = await readers(s);
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\nregion = eu-west-1\n`);
    const without = await readers(s);
    expect(withIt).toEqual(without);
    expect(withIt.boto).toEqual(['shared-credentials-file', session.aws_access_key_id, session.aws_session_token]);
    expect(withIt.cli).toBe(`arn:aws:iam::123456789012:user/${user.userName}`);
  }, 120_000);

  it('--no-remember leaves the config alone', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('alice-keys', user));
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    const r = await s.run(['--source-profile', 'alice-keys', '--no-remember', '--code', emulator.lastingCode(serial)], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(0);
    expect(await s.readConfig()).toBe(`[default]\nmfa_serial = ${serial}\n`);
  });

  it('a default source without keys: the error lists the profiles that have them', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('alice-keys', user));
    const r = await s.run(['--code', '123456'], { timeoutMs: 60_000 });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /^aws-mfa-refresh: No long-term keys in profile "default-long-term" .*--source-profile \(it is remembered\)\. Profiles with long-term keys: alice-keys\.\n$/,
    );
  });
});
