import { describe, expect, it } from 'vitest';
import {
  checkSerialNumber,
  checkSessionDuration,
  normaliseCode,
  parseDurationSeconds,
} from '../../src/config/values.js';
import { ExitCode, UserError } from '../../src/errors.js';

function usageError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(ExitCode.Usage);
    return e as UserError;
  }
  throw new Error('expected a usage error');
}

describe('parseDurationSeconds', () => {
  it('accepts seconds and unit forms', () => {
    expect(parseDurationSeconds('43200', '--duration')).toBe(43200);
    expect(parseDurationSeconds('12h', '--duration')).toBe(43200);
    expect(parseDurationSeconds('90m', '--duration')).toBe(5400);
    expect(parseDurationSeconds('1h30m', '--duration')).toBe(5400);
    expect(parseDurationSeconds('1d', '--duration')).toBe(86400);
    expect(parseDurationSeconds('45s', '--duration')).toBe(45);
  });
  it('rejects the rest with the flag named', () => {
    for (const v of ['', 'soon', '12x', '1h banana', '-5'])
      expect(usageError(() => parseDurationSeconds(v, '--duration')).message).toContain('--duration');
  });
});

describe('checkSessionDuration', () => {
  it('keeps 900..129600 and rejects outside', () => {
    expect(checkSessionDuration(900, 'x')).toBe(900);
    expect(checkSessionDuration(129600, 'x')).toBe(129600);
    usageError(() => checkSessionDuration(899, '--duration'));
    usageError(() => checkSessionDuration(129601, '--duration'));
  });
});

describe('checkSerialNumber', () => {
  it('accepts MFA ARNs in every partition and hardware serials', () => {
    for (const v of [
      'arn:aws:iam::123456789012:mfa/alice',
      'arn:aws-cn:iam::123456789012:mfa/path/alice',
      'arn:aws-us-gov:iam::123456789012:mfa/a.b@c',
      'GAHT12345678',
    ]) {
      expect(checkSerialNumber(` ${v} `)).toBe(v);
    }
  });
  it('says which ARN is wanted when given a user ARN', () => {
    const e = usageError(() => checkSerialNumber('arn:aws:iam::123456789012:user/dev/alice'));
    expect(e.message).toContain('user ARN');
    expect(e.hint).toContain('arn:aws:iam::123456789012:mfa/alice');
  });
  it('rejects passkeys and junk', () => {
    expect(usageError(() => checkSerialNumber('arn:aws:iam::123456789012:u2f/user/alice/key-ABC')).hint).toMatch(
      /cannot be used/,
    );
    usageError(() => checkSerialNumber('short'));
    usageError(() => checkSerialNumber('arn:aws:s3:::bucket'));
  });
});

describe('normaliseCode', () => {
  it('trims spaces and wants exactly six digits', () => {
    expect(normaliseCode(' 123 456 ')).toBe('123456');
    expect(normaliseCode('012345\n')).toBe('012345');
    expect(normaliseCode('12345')).toBeUndefined();
    expect(normaliseCode('1234567')).toBeUndefined();
    expect(normaliseCode('12345a')).toBeUndefined();
  });
});
