/**
 * Issue 10, item 9: the environment and config read as the AWS CLI reads them. The readers are
 * real: the AWS CLI on this machine (/usr/bin/aws, Debian's awscli: v1, on botocore), botocore as
 * a library, and the JS SDK's own profile loader.
 *
 * The AWS CLI v2 is not packaged for Debian 12; where v2 and v1 differ (both AWS_PROFILE and
 * AWS_DEFAULT_PROFILE set) the test checks what `doctor` says each reader does, and checks v1 and
 * botocore against the real programs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Emulator } from '../emulator/index.js';
import { ROOT, runProcess, sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { startTlsFront, type TlsFront } from './tls.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));
const fronts: TlsFront[] = [];
afterAll(async () => {
  await Promise.all(fronts.map((f) => f.close()));
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv) {
  return runProcess(file, args, { env, cwd: ROOT, stdin: 'open' });
}

/** The AWS CLI (v1 here), with the sandbox's files and the emulator as its endpoint. */
const aws = (s: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}) =>
  run('aws', args, { ...s.env, AWS_DEFAULT_REGION: 'us-east-1', ...env });

async function refreshed(s: Sandbox, user: ReturnType<typeof newUser>, args: string[], env: NodeJS.ProcessEnv) {
  const serial = user.devices![0]!.serialNumber;
  return s.run(['--force', '--serial-number', serial, '--code', emulator.lastingCode(serial), ...args], { env });
}

describe('AWS_DEFAULT_PROFILE', () => {
  it('alone: refresh puts the session where the AWS CLI (v1 and v2 agree) looks, not into [default]', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('work-long-term', user));
    const r = await refreshed(s, user, [], { AWS_DEFAULT_PROFILE: 'work' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Profile "work" refreshed/);
    const written = await s.readCredentials();
    expect(sectionOf(written, 'default')).toBeUndefined();
    const session = sectionOf(written, 'work')!;
    expect(session.aws_access_key_id).toMatch(/^ASIA/);

    // The AWS CLI, given only AWS_DEFAULT_PROFILE, signs with that session.
    const who = await aws(s, ['sts', 'get-caller-identity', '--output', 'json'], { AWS_DEFAULT_PROFILE: 'work' });
    expect(who.stderr).toBe('');
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(`arn:aws:iam::123456789012:user/${user.userName}`);
    expect(emulator.countRequests('GetCallerIdentity', { accessKeyId: session.aws_access_key_id })).toBe(1);

    // doctor: the JS SDK ignores AWS_DEFAULT_PROFILE; it names who uses which profile.
    const d = await s.run(['doctor', '--json'], { env: { AWS_DEFAULT_PROFILE: 'work' } });
    const environment = JSON.parse(d.stdout).checks.find((c: { id: string }) => c.id === 'environment');
    expect(environment.status).toBe('warn');
    expect(environment.message).toBe(
      'AWS_DEFAULT_PROFILE=work without AWS_PROFILE: tools disagree on the profile: profile "work" for the AWS CLI v2, aws-mfa-refresh, botocore (boto3) and the AWS CLI v1; profile "default" for the AWS SDK for JavaScript (which ignores AWS_DEFAULT_PROFILE)',
    );
    expect(environment.hint).toMatch(/export AWS_PROFILE=work; unset AWS_DEFAULT_PROFILE/);
  });

  it('both set to different profiles: AWS_PROFILE wins (CLI v2 order), and doctor names each reader, checked against the real ones', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('work-long-term', user));
    const env = { AWS_PROFILE: 'work', AWS_DEFAULT_PROFILE: 'dev' };
    const r = await refreshed(s, user, [], env);
    expect(r.code).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'work')?.aws_session_token).toBeTruthy();

    const d = await s.run(['doctor', '--json'], { env });
    const environment = JSON.parse(d.stdout).checks.find((c: { id: string }) => c.id === 'environment');
    expect(environment.status).toBe('warn');
    expect(environment.message).toBe(
      'AWS_PROFILE=work and AWS_DEFAULT_PROFILE=dev: tools disagree on the profile: profile "work" for the AWS CLI v2, aws-mfa-refresh and the AWS SDK for JavaScript (which ignores AWS_DEFAULT_PROFILE); profile "dev" for botocore (boto3) and the AWS CLI v1',
    );

    // What doctor says of v1, botocore and the JS SDK is what they do.
    const cli = await aws(s, ['configure', 'list'], env);
    expect(cli.stdout).toMatch(/profile\s+dev\s+env/);
    const boto = await run('python3', ['-c', 'import botocore.session; print(botocore.session.Session().profile)'], {
      ...s.env,
      ...env,
    });
    expect(boto.stdout.trim()).toBe('dev');
    const js = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { getProfileName } from '@smithy/shared-ini-file-loader'; console.log(getProfileName({}));",
      ],
      { ...s.env, ...env },
    );
    expect(js.stdout.trim()).toBe('work');
  });
});

describe('AWS_CA_BUNDLE and ca_bundle (a TLS-inspecting proxy with its own CA)', () => {
  it('trusts the bundle for STS and IAM, as the AWS CLI does; without it, says the certificate is not trusted', async () => {
    const s = await sandbox();
    const dir = s.home;
    const front = await startTlsFront(emulator.url, dir);
    fronts.push(front);
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const viaTls = { AWS_ENDPOINT_URL: front.url };

    const untrusted = await refreshed(s, user, [], viaTls);
    expect(untrusted.code).toBe(6);
    expect(untrusted.stderr).toMatch(
      /the TLS certificate of the STS endpoint https:\/\/127\.0\.0\.1:\d+ is not trusted \(\w+\)\. .*AWS_CA_BUNDLE/,
    );

    // AWS_CA_BUNDLE; device discovery too, so both STS and IAM go through the front.
    const calls = emulator.countRequests('ListMFADevices');
    const serial = user.devices![0]!.serialNumber;
    const env = await s.run(['--force', '--code', emulator.lastingCode(serial)], {
      env: { ...viaTls, AWS_CA_BUNDLE: front.caFile },
    });
    expect(env.stderr).toBe('');
    expect(env.code).toBe(0);
    expect(emulator.countRequests('ListMFADevices')).toBe(calls + 1);

    // ca_bundle of the source profile in the config file.
    await s.writeConfig(`[profile default-long-term]\nca_bundle = ${front.caFile}\n`);
    const config = await refreshed(s, user, [], viaTls);
    expect(config.stderr).toBe('');
    expect(config.code).toBe(0);

    // The AWS CLI reads the same setting the same way.
    const cli = await aws(s, ['sts', 'get-caller-identity', '--profile', 'default-long-term'], viaTls);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);

    // A bundle that is not there: one line naming where it came from.
    const missing = await refreshed(s, user, [], { ...viaTls, AWS_CA_BUNDLE: join(dir, 'nope.pem') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/The CA bundle \S+nope\.pem \(AWS_CA_BUNDLE\) cannot be used: ENOENT/);
  });
});

describe('a new target profile', () => {
  it('gets region and output from [default] when the source has none, so the AWS CLI finds a region', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('work-long-term', user));
    await s.writeConfig('[default]\nregion = eu-west-3\noutput = table\n');
    const r = await refreshed(s, user, ['--profile', 'work'], {});
    expect(r.code).toBe(0);
    expect(sectionOf(await s.readConfig(), 'profile work')).toMatchObject({ region: 'eu-west-3', output: 'table' });
    const region = await aws(s, ['configure', 'get', 'region', '--profile', 'work']);
    expect(region.stdout.trim()).toBe('eu-west-3');

    // The source's own values still come first.
    await s.writeConfig('[default]\nregion = eu-west-3\n[profile other-long-term]\nregion = ap-south-1\n');
    await s.writeCredentials(`${longTermSection('work-long-term', user)}${longTermSection('other-long-term', user)}`);
    const other = await refreshed(s, user, ['--profile', 'other'], {});
    expect(other.code).toBe(0);
    expect(sectionOf(await s.readConfig(), 'profile other')?.region).toBe('ap-south-1');
  });
});
