/** Issue 10 items 8 and 9, the pure parts: failure reasons, the host that failed, values, profile order, time. */
import { describe, expect, it } from 'vitest';
import type { AwsFailure } from '../../src/aws/errors.js';
import { mapAwsError } from '../../src/aws/errors.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { checkEndpointUrl, checkRegion } from '../../src/config/values.js';
import { resolveProfile } from '../../src/config/resolve.js';
import { formatUntil } from '../../src/profiles/session.js';
import { configUpdates } from '../../src/usecases/refresh.js';

const ctx = {
  call: 'GetSessionToken' as const,
  profileName: 'p-long-term',
  accessKeyId: 'AKIAX',
  endpoint: 'https://sts.us-east-1.amazonaws.com',
  timeoutMs: 10000,
};
const invalidToken = Object.assign(new Error('The security token included in the request is invalid.'), {
  name: 'InvalidClientTokenId',
  $metadata: { httpStatusCode: 403 },
});
const refusedBy = (address: string, port: number) =>
  Object.assign(new Error('x'), {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', address, port }),
  });

describe('the reason of an InvalidClientTokenId', () => {
  it('is the stale token when one was sent, an old session for an ASIA key, else the key itself', () => {
    const stale = mapAwsError(invalidToken, { ...ctx, sessionToken: true }) as AwsFailure;
    expect(stale.reason).toBe('stale-token');
    expect(stale.hint).toMatch(/Remove aws_session_token from \[p-long-term\]/);
    expect((mapAwsError(invalidToken, { ...ctx, accessKeyId: 'ASIAX' }) as AwsFailure).reason).toBe('old-session-key');
    expect((mapAwsError(invalidToken, ctx) as AwsFailure).reason).toBe('unknown-key');
  });
});

describe('the host that failed', () => {
  const proxy = { url: 'http://user:secret@10.0.0.1:3128', variable: 'https_proxy' };
  it('names the proxy (without its password) when its address refused', () => {
    const e = mapAwsError(refusedBy('10.0.0.1', 3128), { ...ctx, proxy });
    expect(e.message).toBe(
      'GetSessionToken failed: connection refused by the proxy http://10.0.0.1:3128 (https_proxy) on the way to the STS endpoint https://sts.us-east-1.amazonaws.com.',
    );
    expect(e.message + e.hint).not.toContain('secret');
  });
  it('names the endpoint when another address refused, and the IAM endpoint for ListMFADevices', () => {
    expect(mapAwsError(refusedBy('192.0.2.1', 443), { ...ctx, proxy }).message).toMatch(/refused by the STS endpoint/);
    const iam = mapAwsError(refusedBy('192.0.2.1', 443), {
      ...ctx,
      call: 'ListMFADevices',
      endpoint: 'https://iam.amazonaws.com',
    });
    expect(iam.message).toBe(
      'ListMFADevices failed: connection refused by the IAM endpoint https://iam.amazonaws.com.',
    );
  });
  it('an untrusted certificate: exit 6, pointing to AWS_CA_BUNDLE, or to the bundle in use', () => {
    const tls = Object.assign(new Error('x'), {
      cause: Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    });
    const e = mapAwsError(tls, ctx) as AwsFailure;
    expect([e.reason, e.exitCode]).toEqual(['untrusted-certificate', ExitCode.Unreachable]);
    expect(e.hint).toMatch(/AWS_CA_BUNDLE/);
    const withBundle = mapAwsError(tls, { ...ctx, caBundle: { path: '/etc/corp.pem', from: 'AWS_CA_BUNDLE' } });
    expect(withBundle.hint).toMatch(/The CA bundle \/etc\/corp\.pem \(AWS_CA_BUNDLE\) does not hold its issuer/);
  });
});

describe('values the AWS CLI would refuse', () => {
  it('regions and endpoint URLs', () => {
    expect(checkRegion('eu-west-1')).toBe('eu-west-1');
    expect(checkRegion('local')).toBe('local');
    expect(checkRegion('EU-West-1')).toBe('EU-West-1'); // botocore's pattern is case-blind
    for (const bad of ['moon 1', '', '-x', 'a/b', 'x-', 'ſ', 'eu-west-1\n'])
      expect(() => checkRegion(bad)).toThrow(UserError);
    expect(checkEndpointUrl('http://127.0.0.1:4566')).toBe('http://127.0.0.1:4566');
    for (const bad of ['notaurl', 'localhost:4566', 'ftp://x', 'https://']) {
      expect(() => checkEndpointUrl(bad)).toThrow(/is not an http:\/\/ or https:\/\/ URL/);
    }
  });
});

describe('the target profile', () => {
  const target = (env: NodeJS.ProcessEnv, profile?: string) =>
    resolveProfile({ flags: { ...(profile && { profile }) }, env }).target;
  it('--profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, default (the AWS CLI v2 order)', () => {
    const both = { AWS_PROFILE: 'a', AWS_DEFAULT_PROFILE: 'b' };
    expect(target(both, 'f')).toEqual({ value: 'f', origin: { kind: 'flag', flag: '--profile' } });
    expect(target(both)).toEqual({ value: 'a', origin: { kind: 'env', variable: 'AWS_PROFILE' } });
    expect(target({ AWS_DEFAULT_PROFILE: 'b' })).toEqual({
      value: 'b',
      origin: { kind: 'env', variable: 'AWS_DEFAULT_PROFILE' },
    });
    expect(target({}).value).toBe('default');
    expect(resolveProfile({ flags: {}, env: { AWS_PROFILE: 'a' } }).targetLabel).toBe('"a" (from AWS_PROFILE)');
  });
});

describe('a new target config section', () => {
  it('takes region and output from the source, else from [default]', () => {
    const base = { serialNumber: 'x', discovered: false, remember: true, targetHasConfig: false };
    expect(
      configUpdates({
        ...base,
        sourceConfig: { region: 'ap-south-1' },
        defaultConfig: { region: 'x', output: 'json' },
      }),
    ).toEqual({ region: 'ap-south-1', output: 'json' });
    expect(configUpdates({ ...base, targetHasConfig: true, sourceConfig: {}, defaultConfig: { region: 'x' } })).toEqual(
      {},
    );
  });
});

describe('the time format', () => {
  it('local time today, date and time otherwise, with what is left or how long ago', () => {
    const now = new Date(2026, 10, 29, 12, 0);
    expect(formatUntil(new Date(2026, 10, 29, 17, 18), now)).toBe('17:18 (5h 18m left)');
    expect(formatUntil(new Date(2026, 10, 30, 6, 5), now)).toBe('2026-11-30 06:05 (18h 5m left)');
    expect(formatUntil(new Date(2026, 10, 29, 10, 0), now)).toBe('10:00 (2h 0m ago)');
  });
});
