/**
 * One long-term-keys predicate: key names compared without case, as botocore (the AWS CLI) reads
 * them. Upper-case long-term keys in the target are long-term keys to refresh, status, doctor and
 * setup alike (before, doctor said ✔ and status "no MFA session" while refresh refused).
 */
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const UPPER =
  '[default]\nAWS_ACCESS_KEY_ID = AKIAUPPER0000000000X\nAWS_SECRET_ACCESS_KEY = upperSecret\nregion = eu-west-1\n';

describe('upper-case long-term keys in the target', () => {
  it('are long-term keys for refresh (exit 5), status (exit 1, "long-term keys") and doctor (profiles fails)', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user) + UPPER);
    const before = await s.readCredentials();

    const refresh = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial)]);
    expect(refresh.code).toBe(5);
    expect(refresh.stderr).toMatch(/Profile "default" in .* holds long-term keys/);

    const status = await s.run(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('Profile "default" holds long-term keys, not an MFA session.');

    const doctor = await s.run(['doctor', '--json']);
    expect(doctor.code).toBe(1);
    const profiles = (
      JSON.parse(doctor.stdout) as { checks: { id: string; status: string; message: string }[] }
    ).checks.find((c) => c.id === 'profiles')!;
    expect(profiles.status).toBe('fail');
    expect(profiles.message).toMatch(/holds long-term keys/);
    expect(await s.readCredentials()).toBe(before);
  });

  it('are moved by setup, under the names every SDK reads', async () => {
    const s = await sandbox();
    await s.writeCredentials(UPPER);
    const setup = await s.run(['setup', '--yes', '--no-device']);
    expect(setup.code).toBe(0);
    expect(await s.readCredentials()).toBe(
      '[default]\nregion = eu-west-1\n\n[default-long-term]\naws_access_key_id = AKIAUPPER0000000000X\naws_secret_access_key = upperSecret\n',
    );
  });
});
