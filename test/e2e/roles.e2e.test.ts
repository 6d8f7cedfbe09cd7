/**
 * Profile kinds and roles, through the built CLI against the emulator: refusals for profiles whose
 * credentials come from elsewhere, a role profile as target, aws-mfa's role sessions.
 */
import { describe, expect, it } from 'vitest';
import { trustPolicy, type Emulator } from '../emulator/index.js';
import { sectionOf } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli } from './pty.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));
const ACCOUNT = '123456789012';
let roleCounter = 0;

function newRole(opts: { mfa?: boolean; policy?: object } = {}) {
  roleCounter += 1;
  const roleName = `Role${process.pid}x${roleCounter}`;
  const { arn } = emulator.addRole({
    roleName,
    trustPolicy: opts.policy ?? trustPolicy(ACCOUNT, { mfa: opts.mfa ?? true }),
  });
  return arn;
}

const KEYS_OF_OTHER = '[other]\naws_access_key_id = AKIAOTHER0000000000X\naws_secret_access_key = otherSecret\n';

describe('profiles whose credentials come from elsewhere', () => {
  const cases: { kind: string; config: string; pattern: RegExp }[] = [
    {
      kind: 'SSO (sso_session)',
      config:
        '[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n',
      pattern: /Profile "dev" is an SSO profile: it gets its credentials from `aws sso login`.*needs no MFA session/,
    },
    {
      kind: 'SSO (legacy sso_start_url)',
      config:
        '[profile dev]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Dev\n',
      pattern: /Profile "dev" is an SSO profile/,
    },
    {
      kind: 'credential_process',
      config: '[profile dev]\ncredential_process = /usr/local/bin/vault-creds dev\n',
      pattern:
        /Profile "dev" is a credential_process profile: its credential_process \(\/usr\/local\/bin\/vault-creds dev\) provides the credentials/,
    },
    {
      kind: 'web identity',
      config: '[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/ci\nweb_identity_token_file = /var/run/token\n',
      pattern: /Profile "dev" is a web-identity profile: .*AssumeRoleWithWebIdentity/,
    },
    {
      kind: 'login_session',
      config: '[profile dev]\nlogin_session = arn:aws:iam::123456789012:user/alice\nregion = eu-west-1\n',
      pattern: /Profile "dev" is a login_session profile: it gets its credentials from `aws login`/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.kind} for refresh, env, exec, credential-process and setup: exit 7, one line, files byte-identical`, async () => {
      const s = await sandbox();
      const user = newUser(emulator);
      const credentials = `${KEYS_OF_OTHER}\n${longTermSection('dev-long-term', user)}`;
      await s.writeCredentials(credentials);
      await s.writeConfig(c.config);
      for (const args of [
        ['--profile', 'dev', '--code', '123456'],
        ['env', '--profile', 'dev', '--refresh'],
        ['exec', '--profile', 'dev', '--', 'true'],
        ['credential-process', '--profile', 'dev'],
        ['setup', '--profile', 'dev', '--yes', '--no-device'],
      ]) {
        const r = await s.run(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(7);
        expect(r.stderr, args.join(' ')).toMatch(c.pattern);
        expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
        expect(r.stdout, args.join(' ')).toBe('');
      }
      expect(await s.readCredentials()).toBe(credentials);
      expect(await s.readConfig()).toBe(c.config);
      expect(emulator.requests.filter((r) => r.accessKeyId === user.accessKeyId)).toHaveLength(0);
    });
  }

  it('says when the JS SDK reads the profile as another kind', async () => {
    const s = await sandbox();
    // botocore: SSO first; the JS SDK: credential_process before SSO.
    const config = '[profile dev]\nsso_start_url = https://corp.awsapps.com/start\ncredential_process = /bin/creds\n';
    await s.writeConfig(config);
    const r = await s.run(['--profile', 'dev', '--code', '123456']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /is an SSO profile.*\(the AWS SDK for JavaScript reads it as a credential_process profile instead\)/,
    );
  });
});

describe('a role profile as target', () => {
  it('refreshes the source session once, checks the role with one AssumeRole, writes nothing into the role', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const roleArn = newRole();
    await s.writeCredentials(longTermSection('work-long-term', user));
    const config = `[profile work]\nmfa_serial = ${serial}\n\n[profile work-admin]\nrole_arn = ${roleArn}\nsource_profile = work\nexternal_id = ext-42\nduration_seconds = 7200\n`;
    await s.writeConfig(config);

    const since = emulator.requests.length;
    const r = await s.run(['--profile', 'work-admin', '--code', emulator.lastingCode(serial)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^✔ Profile "work" refreshed: valid until .*; role "work-admin" \\(${roleArn.replace(/[/]/g, '\\/')}\\) works\\.\\n$`,
      ),
    );
    const calls = emulator.requests.slice(since);
    expect(calls.filter((c) => c.action === 'GetSessionToken')).toHaveLength(1);
    const assumes = calls.filter((c) => c.action === 'AssumeRole');
    expect(assumes).toHaveLength(1);
    expect(assumes[0]!.status).toBe(200);
    expect(assumes[0]!.params.SerialNumber).toBeUndefined();
    expect(assumes[0]!.params.ExternalId).toBe('ext-42');
    expect(assumes[0]!.params.DurationSeconds).toBe('3600');
    expect(assumes[0]!.params.RoleSessionName).toBe(user.userName);
    const after = await s.readCredentials();
    expect(sectionOf(after, 'work-admin')).toBeUndefined();
    expect(sectionOf(after, 'work')!.aws_session_token).toBeTruthy();
    expect(await s.readConfig()).toBe(config);

    // Again: the session is usable, no code; the role is checked again.
    const again = await s.run(['--profile', 'work-admin']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^✔ Profile "work" is still valid until .*; role "work-admin" .* works\.\n$/);
    const json = await s.run(['--profile', 'work-admin', '--json'], { env: { AWS_PROFILE: 'ignored' } });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      profile: 'work-admin',
      roleArn,
      sourceProfile: 'work',
      refreshed: false,
      roleWorks: true,
    });
    // AWS_PROFILE names the role just as well.
    expect((await s.run([], { env: { AWS_PROFILE: 'work-admin' } })).stdout).toMatch(/role "work-admin" .* works/);
  });

  it('a chain ending at long-term keys is explained and points to roles --fix; a refusing trust policy exits 10', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default', user));
    await s.writeConfig(`[profile admin]\nrole_arn = ${newRole()}\nsource_profile = default\nmfa_serial = ${serial}\n`);
    const classic = await s.run(['--profile', 'admin', '--code', emulator.lastingCode(serial)]);
    expect(classic.code).toBe(7);
    expect(classic.stderr).toMatch(
      /Role profile "admin" sources from "default", which holds long-term keys: .* Run aws-mfa-refresh setup --profile default .* roles --fix/,
    );

    const t = await sandbox();
    const other = newUser(emulator);
    const otherSerial = other.devices![0]!.serialNumber;
    const refusing = newRole({ policy: trustPolicy('999999999999') });
    await t.writeCredentials(longTermSection('default-long-term', other));
    await t.writeConfig(`[profile locked]\nrole_arn = ${refusing}\nsource_profile = default\nrole_session_name = me\n`);
    const r = await t.run(['--profile', 'locked', '--code', emulator.lastingCode(otherSerial)]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/AWS refused to let profile "default" assume the role: .*not authorized.*trust policy/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe("aws-mfa's --assume-role leftovers", () => {
  it('names a role session written by aws-mfa, refreshes it only with --force and then drops the role marks', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const leftover =
      '[prod]\naws_access_key_id = ASIAOLDROLE000000001\naws_secret_access_key = old\naws_session_token = oldtoken\n' +
      'aws_security_token = oldtoken\nexpiration = 2099-01-01 00:00:00\nassumed_role = True\n' +
      'assumed_role_arn = arn:aws:iam::123456789012:role/prod-admin\n\n';
    const before = leftover + longTermSection('prod-long-term', user);
    await s.writeCredentials(before);
    const r = await s.run(['--profile', 'prod', '--code', emulator.lastingCode(serial)]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /holds a role session written by aws-mfa --assume-role \(arn:aws:iam::123456789012:role\/prod-admin\).*--force/,
    );
    expect(await s.readCredentials()).toBe(before);

    const forced = await s.run(['--profile', 'prod', '--force', '--code', emulator.lastingCode(serial)]);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    const prod = sectionOf(await s.readCredentials(), 'prod')!;
    expect(prod.assumed_role).toBeUndefined();
    expect(prod.assumed_role_arn).toBeUndefined();
    expect(prod.aws_session_token).not.toBe('oldtoken');
  });
});

/** A user with keys in default-long-term, a role trusting MFA sessions, [profile admin] sourcing from [default]. */
async function roleSandbox(extraConfig = '') {
  const s = await sandbox();
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  const roleArn = newRole();
  await s.writeCredentials(longTermSection('default-long-term', user));
  await s.writeConfig(`[profile admin]\nrole_arn = ${roleArn}\nsource_profile = default\n${extraConfig}`);
  const refreshed = await s.run(['--code', emulator.lastingCode(serial)]);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  return { s, user, serial, roleArn, roleName: roleArn.split('/').pop()! };
}

describe('session commands with a role profile', () => {
  it('credential-process hands out role credentials; a second call makes no STS call (cached, 0600)', async () => {
    const { s, user, roleName } = await roleSandbox();
    const since = emulator.requests.length;
    const first = await s.run(['credential-process', '--profile', 'admin']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const json = JSON.parse(first.stdout) as Record<string, string | number>;
    expect(json.Version).toBe(1);
    expect(json.AccessKeyId).toMatch(/^ASIA/);
    expect(Date.parse(String(json.Expiration))).toBeGreaterThan(Date.now() + 50 * 60 * 1000);
    expect(emulator.requests.slice(since).filter((r) => r.action === 'AssumeRole' && r.status === 200)).toHaveLength(1);

    const between = emulator.requests.length;
    const second = await s.run(['credential-process', '--profile', 'admin']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual(json);
    expect(emulator.requests.length).toBe(between); // no STS call at all

    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const who = await new STSClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: {
        accessKeyId: String(json.AccessKeyId),
        secretAccessKey: String(json.SecretAccessKey),
        sessionToken: String(json.SessionToken),
      },
    }).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${user.userName}`);

    const { readdir, stat } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const dir = join(s.home, '.local', 'state', 'aws-mfa-refresh', 'role-sessions');
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await stat(join(dir, files[0]!))).mode & 0o777).toBe(0o600);

    // env: the same role credentials, with their expiration.
    const env = await s.run(['env', '--profile', 'admin', '--format', 'json']);
    expect(env.code).toBe(0);
    const vars = JSON.parse(env.stdout) as Record<string, string>;
    expect(vars.AWS_ACCESS_KEY_ID).toBe(json.AccessKeyId);
    expect(vars.AWS_CREDENTIAL_EXPIRATION).toBe(json.Expiration);

    // A refreshed source session is another session: the cached role credentials are not used.
    const forced = await s.run(['--force', '--code', emulator.lastingCode(user.devices![0]!.serialNumber)]);
    expect(forced.code).toBe(0);
    const third = await s.run(['credential-process', '--profile', 'admin']);
    expect(JSON.parse(third.stdout).AccessKeyId).not.toBe(json.AccessKeyId);
  });

  it('exec serves fresh role credentials to a child that outlives a short role session', async () => {
    const { s, roleName } = await roleSandbox();
    emulator.setFaults({ roleSessionSeconds: 3 });
    try {
      const child = [
        "import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';",
        "const c = new STSClient({ region: 'us-east-1' });",
        'const a = await c.send(new GetCallerIdentityCommand({}));',
        'await new Promise((r) => setTimeout(r, 4500));',
        'const b = await c.send(new GetCallerIdentityCommand({}));',
        'console.log(JSON.stringify({ a: a.Arn, b: b.Arn, keys: process.env.AWS_ACCESS_KEY_ID ?? null, uri: process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI }));',
      ].join('\n');
      const since = emulator.requests.length;
      const r = await s.run(
        ['exec', '--profile', 'admin', '--', process.execPath, '--input-type=module', '-e', child],
        {
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          timeoutMs: 60_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { a: string; b: string; keys: string | null; uri: string };
      expect(out.a).toMatch(new RegExp(`assumed-role/${roleName}/`));
      expect(out.b).toBe(out.a);
      expect(out.keys).toBeNull();
      expect(out.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
      // The first role session had expired when the second call was made: a new one was assumed.
      expect(
        emulator.requests.slice(since).filter((q) => q.action === 'AssumeRole' && q.status === 200).length,
      ).toBeGreaterThanOrEqual(2);
      expect(
        emulator.requests.slice(since).filter((q) => q.action === 'GetCallerIdentity' && q.status !== 200),
      ).toHaveLength(0);

      // --env-keys: plain keys instead.
      const plain = await s.run([
        'exec',
        '--profile',
        'admin',
        '--env-keys',
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.AWS_ACCESS_KEY_ID, process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI)',
      ]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(/^ASIA\w+ undefined\n$/);
    } finally {
      emulator.setFaults({});
    }
  });

  it('the AWS CLI in exec picks role credentials up from the endpoint; --serve offers it for a session profile', async () => {
    const { s, user, roleName } = await roleSandbox('region = us-east-1\n'); // passed on as AWS_REGION
    const env = { AWS_EC2_METADATA_DISABLED: 'true' };
    const role = await s.run(
      ['exec', '--profile', 'admin', '--', 'aws', 'sts', 'get-caller-identity', '--output', 'json'],
      {
        env,
        timeoutMs: 60_000,
      },
    );
    expect(role.code, role.stderr).toBe(0);
    expect(JSON.parse(role.stdout).Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${user.userName}`);

    const served = await s.run(['exec', '--serve', '--', 'aws', 'sts', 'get-caller-identity', '--output', 'json'], {
      env: { ...env, AWS_DEFAULT_REGION: 'us-east-1' },
      timeoutMs: 60_000,
    });
    expect(served.code, served.stderr).toBe(0);
    expect(JSON.parse(served.stdout).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/${user.userName}`);
  });

  it('the endpoint checks its token on every request', async () => {
    const { s } = await roleSandbox();
    const probe = [
      'const u = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, t = process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;',
      'const codes = [];',
      'for (const h of [{}, { Authorization: "wrong" }, { Authorization: t }]) codes.push((await fetch(u, { headers: h })).status);',
      'codes.push((await fetch(u + "x", { headers: { Authorization: t } })).status);',
      'const body = await (await fetch(u, { headers: { Authorization: t } })).json();',
      'console.log(JSON.stringify({ codes, fields: Object.keys(body).sort() }));',
    ].join('\n');
    const r = await s.run(['exec', '--profile', 'admin', '--', process.execPath, '--input-type=module', '-e', probe]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      codes: [403, 403, 200, 404],
      fields: ['AccessKeyId', 'Expiration', 'SecretAccessKey', 'Token'],
    });
  });
});

describe('roles and roles --fix', () => {
  it('lists every role profile with its chain and problems; exit 1 while one does not work; --json', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user) + longTermSection('work-long-term', user));
    await s.writeConfig(
      '[profile good]\nrole_arn = arn:aws:iam::123456789012:role/Good\nsource_profile = default\n\n' +
        '[profile classic]\nrole_arn = arn:aws:iam::123456789012:role/Classic\nsource_profile = work-long-term\n' +
        'mfa_serial = arn:aws:iam::123456789012:mfa/alice\nduration_seconds = 43200\n\n' +
        '[profile lost]\nrole_arn = arn:aws:iam::123456789012:role/Lost\nsource_profile = nowhere\n\n' +
        '[profile loop1]\nrole_arn = arn:aws:iam::123456789012:role/L1\nsource_profile = loop2\n\n' +
        '[profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/L2\nsource_profile = loop1\n\n' +
        '[profile sso]\nsso_session = corp\n',
    );
    const r = await s.run(['roles']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^✔ good {2}arn:aws:iam::123456789012:role\/Good {2}good → default \(MFA session\)$/m);
    expect(r.stdout).toMatch(/^✖ classic .* classic → work-long-term \(long-term keys\)$/m);
    expect(r.stdout).toMatch(/every role session needs its own MFA code/);
    expect(r.stdout).toMatch(/run aws-mfa-refresh roles --fix/);

    const json = await s.run(['roles', '--json']);
    expect(json.code).toBe(1);
    const rows = JSON.parse(json.stdout) as {
      profile: string;
      works: boolean;
      sessionProfile: string | null;
      problems: { code: string }[];
    }[];
    expect(rows.map((x) => [x.profile, x.works, x.sessionProfile, x.problems.map((p) => p.code)])).toEqual([
      ['good', true, 'default', []],
      ['classic', false, 'work', ['long-term-source', 'mfa-serial', 'duration']],
      ['lost', false, null, ['missing-source']],
      ['loop1', false, null, ['loop']],
      ['loop2', false, null, ['loop']],
    ]);

    const fixNoTty = await s.run(['roles', '--fix']);
    expect(fixNoTty.code).toBe(3);
  });

  it('roles --fix rewrites losslessly; botocore and the JS SDK then assume the role off the session without a code', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    const roleArn = newRole();
    await s.writeCredentials(longTermSection('work-long-term', user));
    const before =
      '# my roles\n[profile work]\nregion = eu-west-1\n\n' +
      `[profile admin] ; prod account\nrole_arn = ${roleArn}\nsource_profile = work-long-term\nmfa_serial = ${serial}\n` +
      'duration_seconds = 43200 ; long days\nregion = eu-west-1\n';
    await s.writeConfig(before);
    const r = await s.run(['roles', '--fix', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^- source_profile = work-long-term$/m);
    expect(r.stdout).toMatch(/^\+ source_profile = work$/m);
    const after = await s.readConfig();
    expect(after).toBe(
      '# my roles\n[profile work]\nregion = eu-west-1\n' +
        `mfa_serial = ${serial}\n\n` +
        `[profile admin] ; prod account\nrole_arn = ${roleArn}\nsource_profile = work\n` +
        'duration_seconds = 3600\nregion = eu-west-1\n',
    );
    expect((await s.run(['roles'])).code).toBe(0);
    expect((await s.run(['roles', '--fix', '--yes'])).stdout).toMatch(/No role profile needs a rewrite/);

    // The morning refresh of the session profile, then no tool asks for another code.
    const refreshed = await s.run(['--profile', 'work', '--code', emulator.lastingCode(serial)]);
    expect(refreshed.code, refreshed.stderr).toBe(0);

    const since = Date.now();
    const { execFile } = await import('node:child_process');
    // The AWS CLI is botocore: it reads the fixed config and assumes the role with the session (stdin is closed: no code).
    const botocoreArn = await new Promise<string>((resolve, reject) =>
      execFile(
        'aws',
        ['sts', 'get-caller-identity', '--profile', 'admin', '--output', 'json'],
        { env: { ...s.env, AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(stderr)) : resolve((JSON.parse(stdout) as { Arn: string }).Arn),
      ),
    );
    expect(botocoreArn).toMatch(new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/`));

    const { fromIni } = await import('@aws-sdk/credential-providers');
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const provider = fromIni({
      profile: 'admin',
      configFilepath: s.config,
      filepath: s.credentials,
      clientConfig: { endpoint: emulator.url, region: 'us-east-1' },
    });
    const id = await new STSClient({ region: 'us-east-1', endpoint: emulator.url, credentials: provider }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(id.Arn).toMatch(/:assumed-role\//);
    // Both assumed the role with the session, without a SerialNumber.
    const assumes = emulator.requests.filter((q) => q.action === 'AssumeRole' && q.receivedAt >= since);
    expect(assumes.length).toBe(2);
    expect(assumes.every((q) => q.status === 200 && q.params.SerialNumber === undefined)).toBe(true);
  });

  it('roles --fix in a terminal: shows the diff, asks; no writes nothing, yes writes', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('work-long-term', user));
    const before = '[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = work-long-term\n';
    await s.writeConfig(before);
    const no = spawnCli(['roles', '--fix'], s.env);
    await no.waitFor('Write these changes?');
    expect(no.screen()).toContain('+ source_profile = work');
    no.type('n');
    no.type(KEY.enter);
    await no.waitFor('Nothing was written.');
    expect((await no.exit).exitCode).toBe(1); // the role still does not work
    expect(await s.readConfig()).toBe(before);

    const yes = spawnCli(['roles', '--fix'], s.env);
    await yes.waitFor('Write these changes?');
    yes.type(KEY.enter);
    await yes.waitFor('Rewrote "admin"');
    expect((await yes.exit).exitCode).toBe(0);
    expect(await s.readConfig()).toBe(before.replace('source_profile = work-long-term', 'source_profile = work'));
  });

  it('setup offers the same rewrite for role profiles sourcing from the profile it turns into a session', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default', user));
    await s.writeConfig(
      `[default]\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = default\nmfa_serial = ${serial}\n`,
    );
    const r = await s.run(['setup', '--yes', '--no-device']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Role profiles to source from the MFA session \(admin\)/);
    expect(await s.readConfig()).toBe(
      `[default]\nregion = eu-west-1\nmfa_serial = ${serial}\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = default\n`,
    );
    expect(sectionOf(await s.readCredentials(), 'default-long-term')!.aws_access_key_id).toBe(user.accessKeyId);
  });
});

describe('doctor: kinds and roles', () => {
  it('flags a credential_process that runs this tool for its own profile, and role profiles that need roles --fix', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const config =
      '[profile sdk]\ncredential_process = aws-mfa-refresh credential-process --profile sdk\n\n' +
      '[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = default\nduration_seconds = 43200\n';
    await s.writeConfig(config);
    const r = await s.run(['doctor', '--json'], { timeoutMs: 60_000 });
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { id: string; status: string; message: string; hint?: string }[];
    };
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId.kinds!.status).toBe('fail');
    expect(byId.kinds!.message).toMatch(/profile "sdk" runs aws-mfa-refresh credential-process for itself/);
    expect(byId.kinds!.hint).toMatch(/--profile sdk-session/);
    expect(byId.roles!.status).toBe('warn');
    expect(byId.roles!.message).toMatch(/admin: profile "admin" asks for duration_seconds = 43200/);
    expect(byId.roles!.hint).toMatch(/roles --fix/);
    expect(r.code).toBe(1);

    // A separate profile is fine; a fixed role passes.
    await s.writeConfig(
      '[profile sdk]\ncredential_process = aws-mfa-refresh credential-process --profile default\n\n' +
        '[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = default\n',
    );
    const ok = JSON.parse((await s.run(['doctor', '--json'], { timeoutMs: 60_000 })).stdout) as typeof report;
    const okById = Object.fromEntries(ok.checks.map((c) => [c.id, c]));
    expect(okById.kinds!.status).toBe('pass');
    expect(okById.roles!.status).toBe('pass');
  });
});

describe('status --all', () => {
  it('shows role profiles under the session they are assumed with', async () => {
    const { s, roleArn } = await roleSandbox();
    const r = await s.run(['status', '--all']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^✔ default: usable until .*\\n {4}role admin: ${roleArn.replace(/[/]/g, '\\/')}\\n$`),
    );
    const json = JSON.parse((await s.run(['status', '--all', '--json'])).stdout) as {
      profile: string;
      roles: unknown[];
    }[];
    expect(json).toEqual([
      expect.objectContaining({ profile: 'default', roles: [{ profile: 'admin', roleArn, works: true }] }),
    ]);
  });
});
