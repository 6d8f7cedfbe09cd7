import { describe, expect, it } from 'vitest';
import { MfaCodeRejected, mapAwsError } from '../../src/aws/errors.js';
import { ExitCode } from '../../src/errors.js';

const ctx = {
  call: 'GetSessionToken' as const,
  profileName: 'p-long-term',
  accessKeyId: 'AKIAX',
  endpoint: 'https://sts.us-east-1.amazonaws.com',
  timeoutMs: 10000,
};
const sdkError = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 }, ...extra });

describe('mapAwsError', () => {
  it('says by how much the clock is off, from the Date header of the rejection', () => {
    const serverTime = new Date(Date.now() + 600_000).toUTCString();
    const e = mapAwsError(
      sdkError(
        'SignatureDoesNotMatch',
        'Signature expired: 20261127T190123Z is now earlier than 20261127T191500Z (20261127T192000Z - 5 min.)',
        { $response: { headers: { date: serverTime } } },
      ),
      ctx,
    );
    expect(e.exitCode).toBe(ExitCode.Credentials);
    expect(e.message).toMatch(/your clock is off by (599|600|601) s \(behind AWS\)/);
    const ahead = mapAwsError(
      sdkError('RequestExpired', 'Request has expired.', {
        $response: { headers: { date: new Date(Date.now() - 400_000).toUTCString() } },
      }),
      ctx,
    );
    expect(ahead.message).toMatch(/off by (399|400|401) s \(ahead of AWS\)/);
  });
  it('tells a wrong code from a wrong device', () => {
    expect(
      mapAwsError(
        sdkError('AccessDenied', 'MultiFactorAuthentication failed with invalid MFA one time pass code.'),
        ctx,
      ),
    ).toBeInstanceOf(MfaCodeRejected);
    const device = mapAwsError(
      sdkError(
        'AccessDenied',
        'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
      ),
      { ...ctx, serialNumber: 'arn:aws:iam::1:mfa/x' },
    );
    expect(device).not.toBeInstanceOf(MfaCodeRejected);
    expect(device.exitCode).toBe(ExitCode.CodeRejected);
    expect(device.message).toContain('arn:aws:iam::1:mfa/x');
  });
  it('maps network errors found in causes and aggregates to exit 6', () => {
    const refused = Object.assign(new Error('x'), {
      name: 'Error',
      errors: [Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
    });
    expect(mapAwsError(refused, ctx).exitCode).toBe(ExitCode.Unreachable);
    const dns = Object.assign(new Error('x'), {
      cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }),
    });
    expect(mapAwsError(dns, ctx).message).toMatch(/cannot resolve the host/);
  });
  it('never repeats a multi-line message', () => {
    expect(mapAwsError(sdkError('Weird', 'first line\nsecond line'), ctx).message).toBe(
      'GetSessionToken failed: Weird: first line',
    );
  });
});
