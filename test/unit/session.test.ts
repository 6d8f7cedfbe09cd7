import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatTimestamp,
  holdsLongTermKeys,
  parseTimestamp,
  readSession,
} from '../../src/profiles/session.js';

describe('parseTimestamp', () => {
  it('reads our ISO format, aws-mfa UTC format and saml2aws offsets', () => {
    expect(parseTimestamp('2026-11-28T06:05:42Z')?.toISOString()).toBe('2026-11-28T06:05:42.000Z');
    expect(parseTimestamp('2026-11-28 06:05:42')?.toISOString()).toBe('2026-11-28T06:05:42.000Z');
    expect(parseTimestamp('2026-11-28T07:05:42+01:00')?.toISOString()).toBe('2026-11-28T06:05:42.000Z');
    expect(parseTimestamp('2026-11-28T07:05:42.5+0100')?.toISOString()).toBe('2026-11-28T06:05:42.500Z');
    expect(parseTimestamp('"2026-11-28T06:05:42Z"')?.toISOString()).toBe('2026-11-28T06:05:42.000Z');
  });
  it('rejects anything else', () => {
    for (const v of ['', 'tomorrow', '2026-13-40T99:00:00Z', '1764309942'])
      expect(parseTimestamp(v), v).toBeUndefined();
  });
  it('formats without milliseconds', () => {
    expect(formatTimestamp(new Date('2026-11-28T06:05:42.789Z'))).toBe('2026-11-28T06:05:42Z');
  });
  it('formats every date as toISOString does, without the milliseconds', () => {
    const edges = [
      0,
      -1,
      Date.UTC(0, 0, 1) - 1,
      Date.UTC(0, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      8.64e15,
      -8.64e15,
    ];
    const dates = [...edges, ...Array.from({ length: 2000 }, () => Math.round((Math.random() - 0.3) * 4e14))];
    for (const ms of dates) {
      const date = new Date(ms);
      expect(formatTimestamp(date), String(ms)).toBe(date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
    expect(() => formatTimestamp(new Date(NaN))).toThrow(RangeError);
  });
  it('reads the T and Z in either case, as before', () => {
    expect(parseTimestamp('2026-11-28t06:05:42z')?.toISOString()).toBe('2026-11-28T06:05:42.000Z');
  });
});

describe('readSession', () => {
  const base = { aws_access_key_id: 'ASIAX', aws_secret_access_key: 's', aws_session_token: 't' };
  it('is usable until the expiration when the MFA age limit comes later', () => {
    const s = readSession({ ...base, expiration: '2026-11-28T06:00:00Z', mfa_issued: '2026-11-27T20:00:00Z' }, 43200)!;
    expect(s.usableUntil.toISOString()).toBe('2026-11-28T06:00:00.000Z');
    expect(s.limitedByMfaAge).toBe(false);
  });
  it('is cut short by the MFA age limit for a 36 h session', () => {
    const s = readSession({ ...base, expiration: '2026-11-29T06:00:00Z', mfa_issued: '2026-11-27T18:00:00Z' }, 43200)!;
    expect(s.usableUntil.toISOString()).toBe('2026-11-28T06:00:00.000Z');
    expect(s.limitedByMfaAge).toBe(true);
  });
  it('reads aws-mfa and saml2aws expirations', () => {
    expect(readSession({ ...base, expiration: '2026-11-28 06:00:00' }, 43200)?.expiration.toISOString()).toBe(
      '2026-11-28T06:00:00.000Z',
    );
    expect(
      readSession({ ...base, x_security_token_expires: '2026-11-28T07:00:00+01:00' }, 43200)?.expiration.toISOString(),
    ).toBe('2026-11-28T06:00:00.000Z');
  });
  it('has no session without a token or a readable expiration', () => {
    expect(
      readSession({ aws_access_key_id: 'AKIA', aws_secret_access_key: 's', expiration: '2026-11-28T06:00:00Z' }, 43200),
    ).toBeUndefined();
    expect(readSession({ ...base }, 43200)).toBeUndefined();
    expect(readSession(undefined, 43200)).toBeUndefined();
  });
});

describe('holdsLongTermKeys', () => {
  it('is true for keys without a token, false for sessions and empty profiles', () => {
    expect(holdsLongTermKeys({ aws_access_key_id: 'AKIA', aws_secret_access_key: 's' })).toBe(true);
    expect(holdsLongTermKeys({ aws_access_key_id: 'ASIA', aws_secret_access_key: 's', aws_session_token: 't' })).toBe(
      false,
    );
    expect(holdsLongTermKeys({ aws_access_key_id: 'ASIA', aws_secret_access_key: 's', aws_security_token: 't' })).toBe(
      false,
    );
    expect(holdsLongTermKeys({ region: 'eu-west-1' })).toBe(false);
    expect(holdsLongTermKeys(undefined)).toBe(false);
  });
});

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(12 * 3600_000)).toBe('12h 0m');
    expect(formatDuration(45 * 60_000 + 59_000)).toBe('45m');
    expect(formatDuration(50 * 3600_000)).toBe('2d 2h');
    expect(formatDuration(-5)).toBe('0m');
  });
});
