/** The margin rule: min(--min-remaining, a quarter of the session's life), the same for every judge. */
import { describe, expect, it } from 'vitest';
import { marginSeconds, sessionMarginSeconds } from '../../src/profiles/margin.js';
import { judge } from '../../src/profiles/session-state.js';
import { readSession } from '../../src/profiles/session.js';
import { needsRefresh } from '../../src/usecases/refresh.js';

const NOW = Date.parse('2026-11-29T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A session as the tool writes it: issued `agoSeconds` ago, lasting `durationSeconds`. */
function written(durationSeconds: number, agoSeconds = 5) {
  const issued = NOW - agoSeconds * 1000;
  return {
    aws_access_key_id: 'ASIA',
    aws_secret_access_key: 's',
    aws_session_token: 't',
    mfa_issued: iso(issued),
    expiration: iso(issued + durationSeconds * 1000),
  };
}

describe('the margin rule', () => {
  it('is the minimum remaining, capped at a quarter of the life; unknown life: the minimum remaining', () => {
    expect(marginSeconds(1800, 43200)).toBe(1800);
    expect(marginSeconds(1800, 3600)).toBe(900);
    expect(marginSeconds(1800, 900)).toBe(225);
    expect(marginSeconds(1800)).toBe(1800);
    expect(marginSeconds(0, 3600)).toBe(0);
  });

  it('measures the life from mfa_issued to usable-until (the MFA age limit when earlier)', () => {
    const s = readSession(written(43200), 3600)!;
    expect(sessionMarginSeconds(1800, s)).toBe(900); // usable 1 h (MFA age limit): a quarter is 15 min
    const foreign = readSession({ ...written(900), mfa_issued: undefined }, 43200)!;
    expect(sessionMarginSeconds(1800, foreign)).toBe(1800);
  });

  for (const minutes of [15, 20, 30, 59, 60, 120, 720, 2160]) {
    it(`a ${minutes} min session just written is usable for status/env/exec and not refreshed again`, () => {
      const values = written(minutes * 60);
      expect(judge('work', values, 43200, 1800, NOW).state).toBe('usable');
      expect(needsRefresh(readSession(values, 43200), { force: false, minRemainingSeconds: 1800, now: NOW })).toBe(
        false,
      );
    });
  }

  it('a 20 min session is due once less than 5 min is left', () => {
    const values = written(20 * 60, 0);
    const at = (minutes: number) => judge('work', values, 43200, 1800, NOW + minutes * 60_000).state;
    expect(at(14)).toBe('usable');
    expect(at(16)).toBe('expiring');
    const session = readSession(values, 43200);
    expect(needsRefresh(session, { force: false, minRemainingSeconds: 1800, now: NOW + 16 * 60_000 })).toBe(true);
  });
});
