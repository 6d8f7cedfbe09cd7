import { beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import type { Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
let s: Sandbox;
const { sandbox } = emulatorSuite((e) => (emulator = e));
beforeAll(async () => {
  s = await sandbox();
});

describe('devices', () => {
  it('lists the MFA devices with type and enable date, marking the remembered one; --json', async () => {
    const user = newUser(emulator, 2);
    const [a, b] = user.devices!;
    await s.writeCredentials(longTermSection('default-long-term', user));
    await s.writeConfig(`[default]\nmfa_serial = ${b!.serialNumber}\n`);
    const r = await s.run(['devices']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `  ${a!.serialNumber}  virtual  enabled 2025-03-02`,
      `* ${b!.serialNumber}  virtual  enabled 2025-03-03`,
      `(* = mfa_serial remembered in ${s.config})`,
      '',
    ]);
    const json = JSON.parse((await s.run(['devices', '--json'])).stdout);
    expect(json.user).toBe(`arn:aws:iam::123456789012:user/${user.userName}`);
    expect(json.devices).toEqual([
      { serialNumber: a!.serialNumber, type: 'virtual', enableDate: '2025-03-02T00:00:00.000Z', remembered: false },
      { serialNumber: b!.serialNumber, type: 'virtual', enableDate: '2025-03-03T00:00:00.000Z', remembered: true },
    ]);
  });

  it('says what listing needs when it is denied, without the --serial-number devices lacks (exit 5)', async () => {
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    emulator.setFaults({ denyListMfaDevices: true });
    try {
      const r = await s.run(['devices']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/iam:ListMFADevices is denied.*mfa_serial/);
    } finally {
      emulator.setFaults({});
    }
  });
});

describe('help', () => {
  it('shows examples for the alias, the dotfiles line, exec, env and credential_process, and the exit codes', async () => {
    const r = await s.run(['--help']);
    expect(r.code).toBe(0);
    for (const needle of [
      "alias awsmfa='aws-mfa-refresh -q'",
      'aws-mfa-refresh --if-interactive -q ',
      'exec -- aws s3 ls',
      'eval "$(aws-mfa-refresh env)"',
      'credential_process = aws-mfa-refresh credential-process',
      'Exit codes:',
    ]) {
      expect(r.stdout).toContain(needle);
    }
    const env = await s.run(['env', '--help']);
    expect(env.stdout).toContain('aws-mfa-refresh env --format fish | source');
  });
});
