/**
 * Issue 10 item 2: a session the tool writes is usable by the tool's own rule. The margin is
 * min(--min-remaining, a quarter of the session), so right after `--duration 15m` (the shortest
 * AWS allows) `status`, `env` and the next refresh all see a usable session.
 */
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

describe('the margin rule, end to end', { timeout: 120_000 }, () => {
  for (const duration of ['15m', '20m', '1h']) {
    it(`--duration ${duration}: status exits 0, env prints the session, the next run asks nothing`, async () => {
      const s = await sandbox();
      const user = newUser(emulator);
      const serial = user.devices![0]!.serialNumber;
      await s.writeCredentials(longTermSection('default-long-term', user));
      await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);

      const r = await s.run(['--duration', duration, '--code', emulator.lastingCode(serial)], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);

      const status = await s.run(['status'], { timeoutMs: 60_000 });
      expect(status.stdout).toMatch(/^✔ default: usable until/);
      expect(status.code).toBe(0);

      const env = await s.run(['env', '--format', 'bash'], { timeoutMs: 60_000 });
      expect(env.stderr).toBe('');
      expect(env.code).toBe(0);
      expect(env.stdout).toContain('AWS_SESSION_TOKEN');

      const calls = emulator.countRequests('GetSessionToken');
      const again = await s.run([], { timeoutMs: 60_000 }); // no code given: a new code would fail (exit 3)
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('is still valid');
      expect(emulator.countRequests('GetSessionToken')).toBe(calls);
    });
  }
});
