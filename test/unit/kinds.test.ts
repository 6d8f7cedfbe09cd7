import { describe, expect, it } from 'vitest';
import type { AwsFiles } from '../../src/profiles/aws-files.js';
import { classifyProfile, writeBlockingKind } from '../../src/profiles/kinds.js';
import { roleChain } from '../../src/roles/chain.js';
import { selfServedProfile } from '../../src/usecases/doctor/checks/kinds.js';

const files = (config: AwsFiles['config'], credentials: AwsFiles['credentials'] = {}): AwsFiles => ({
  paths: { config: '/c', credentials: '/k' },
  config,
  credentials,
  divergences: [],
  where: () => undefined,
});
const keys = { aws_access_key_id: 'AKIA1', aws_secret_access_key: 's' };
const session = { ...keys, aws_access_key_id: 'ASIA1', aws_session_token: 't' };

describe('profile kinds', () => {
  it("follows botocore's order, and names the JS SDK's kind where it differs", () => {
    const cases: [AwsFiles, string, string | undefined][] = [
      [files({ p: { role_arn: 'r', source_profile: 's', sso_session: 'x' } }), 'role', undefined],
      [files({ p: { role_arn: 'r', web_identity_token_file: '/t', source_profile: 's' } }), 'web-identity', 'role'],
      [files({ p: { sso_session: 'x' } }, { p: keys }), 'sso', 'long-term-keys'],
      [files({ p: { credential_process: 'x' } }, { p: session }), 'session', undefined],
      [files({ p: { credential_process: 'x', ...keys } }), 'process', 'long-term-keys'],
      [files({ p: { login_session: 'arn', credential_process: 'x' } }), 'login', 'process'],
      [files({ p: { region: 'eu-west-1' } }), 'none', undefined],
    ];
    for (const [f, kind, jsKind] of cases) {
      const c = classifyProfile(f, 'p');
      expect([c.kind, c.jsKind]).toEqual([kind, jsKind]);
    }
    expect(classifyProfile(files({}, { p: { ...session, mfa_issued: 'x' } }), 'p').sessionBy).toBe('us');
    expect(classifyProfile(files({}, { p: { ...session, assumed_role: 'True' } }), 'p').sessionBy).toBe('aws-mfa-role');
    expect(classifyProfile(files({}, { p: session }), 'p').sessionBy).toBe('other');
  });

  it('refuses writes into a profile whose keys would shadow its credential_process', () => {
    expect(writeBlockingKind(files({ p: { credential_process: 'x' } }, { p: session }), 'p')).toBe('process');
    expect(writeBlockingKind(files({ p: { region: 'x' } }, { p: session }), 'p')).toBeUndefined();
  });

  it('walks role chains: loops, missing sources, long-term ends and the session profile to fix towards', () => {
    const f = files(
      {
        a: { role_arn: 'ra', source_profile: 'b' },
        b: { role_arn: 'rb', source_profile: 'work-long-term' },
        x: { role_arn: 'rx', source_profile: 'y' },
        y: { role_arn: 'ry', source_profile: 'x' },
      },
      { 'work-long-term': keys },
    );
    expect(roleChain(f, 'a')).toMatchObject({ chain: ['a', 'b', 'work-long-term'], sessionProfile: 'work' });
    expect(roleChain(f, 'x').problems.map((p) => p.code)).toEqual(['loop']);
  });

  it("recognises this tool's session credential-process for a profile", () => {
    expect(selfServedProfile('aws-mfa-refresh credential-process --profile work')).toBe('work');
    expect(selfServedProfile('/usr/bin/aws-mfa-refresh credential-process -p w --quiet')).toBe('w');
    expect(selfServedProfile('aws-mfa-refresh credential-process')).toBe('default');
    expect(selfServedProfile('aws-mfa-refresh keys credential-process --profile work')).toBeUndefined();
    expect(selfServedProfile('/usr/local/bin/vault-creds work')).toBeUndefined();
  });
});

describe('role session names', () => {
  it('derives [\\w+=,.@-]{2,64} from the caller ARN', async () => {
    const { sessionNameFrom } = await import('../../src/usecases/role-session.js');
    expect(sessionNameFrom('arn:aws:iam::123456789012:user/alice')).toBe('alice');
    expect(sessionNameFrom('arn:aws:iam::123456789012:user/team/a')).toBe('aws-mfa-refresh-a');
    expect(sessionNameFrom(`arn:aws:iam::123456789012:user/${'x'.repeat(80)}`)).toHaveLength(64);
    expect(sessionNameFrom('arn:aws:iam::123456789012:user/al ice')).toBe('al-ice');
  });
});

describe('doctor kinds check', () => {
  it("names who wrote the target's session; aws-mfa's role session is a warning", async () => {
    const { checkKinds } = await import('../../src/usecases/doctor/checks/kinds.js');
    const ours = checkKinds(files({}, { default: { ...session, mfa_issued: 'x' } }), 'default');
    expect([ours.status, ours.message]).toEqual([
      'pass',
      'profile "default" is a session profile (written by aws-mfa-refresh)',
    ]);
    const leftover = checkKinds(files({}, { prod: { ...session, assumed_role: 'True' } }), 'prod');
    expect(leftover.status).toBe('warn');
    expect(leftover.message).toMatch(/role session written by aws-mfa --assume-role/);
    const sso = checkKinds(files({ dev: { sso_session: 'corp' } }), 'dev');
    expect([sso.status, sso.message]).toEqual([
      'fail',
      'profile "dev" is an SSO profile: it gets its credentials from `aws sso login` (IAM Identity Center) and needs no MFA session',
    ]);
  });
});

describe('role chains with keys in the key store', () => {
  it('count a `keys credential-process` profile as long-term keys', () => {
    const f = files({
      'work-long-term': { credential_process: 'aws-mfa-refresh keys credential-process --profile work-long-term' },
      a: { role_arn: 'ra', source_profile: 'work-long-term', mfa_serial: 'm' },
      b: { role_arn: 'rb', source_profile: 'work' },
    });
    expect(roleChain(f, 'a')).toMatchObject({ sourceKind: 'long-term-keys', sessionProfile: 'work' });
    expect(roleChain(f, 'b').problems).toEqual([]);
  });
});
