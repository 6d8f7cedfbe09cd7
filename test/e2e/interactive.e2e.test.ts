import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { sectionOf } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli } from './pty.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

describe('interactive refresh in a real terminal', () => {
  it('lets the user pick the second device with the arrow keys, type the code, and remembers the choice', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    const [first, second] = user.devices!;
    await s.writeCredentials(longTermSection('default-long-term', user));

    const term = spawnCli([], s.env);
    await term.waitFor('Choose an MFA device');
    expect(term.screen()).toContain(`${first!.serialNumber}   (virtual, enabled 2025-03-02)`);
    expect(term.screen()).toContain(second!.serialNumber);
    term.type(KEY.down);
    await term.waitFor(new RegExp(`❯ ${second!.serialNumber.replace(/[/.]/g, '\\$&')}`));
    term.type(KEY.enter);
    await term.waitFor(`MFA code for ${user.userName}-device1:`);

    term.type('12a');
    term.type(KEY.enter);
    await term.waitFor('Enter the 6 digits your device shows.');
    term.type('\x7f\x7f\x7f'); // backspace the bad input away
    for (const digit of emulator.lastingCode(second!.serialNumber)) term.type(digit);
    term.type(KEY.enter);
    const { exitCode } = await term.exit;
    expect(term.screen()).toMatch(/✔ Profile "default" refreshed: valid until/);
    expect(exitCode).toBe(0);

    expect(
      emulator.requests.filter((r) => r.action === 'GetSessionToken' && r.accessKeyId === user.accessKeyId)[0]!.params
        .SerialNumber,
    ).toBe(second!.serialNumber);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toMatch(/^ASIA/);
    expect(sectionOf(await s.readConfig(), 'default')?.mfa_serial).toBe(second!.serialNumber);
  });

  it('gets the STS call ready while the code is typed, sending nothing: Enter makes the only request', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    const term = spawnCli([], s.env);
    await term.waitFor(`MFA code for ${user.userName}-phone:`);
    await new Promise((r) => setTimeout(r, 500)); // the warm-up runs meanwhile
    const mine = () => emulator.requests.filter((r) => r.accessKeyId === user.accessKeyId);
    expect(mine()).toEqual([]);
    for (const digit of emulator.lastingCode(serial)) term.type(digit);
    term.type(KEY.enter);
    const { exitCode } = await term.exit;
    expect(exitCode, term.screen()).toBe(0);
    expect(mine().map((r) => r.action)).toEqual(['GetSessionToken']);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toMatch(/^ASIA/);
  });

  it('prompts for the code of a remembered device and stops cleanly on Ctrl+C without writing', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    await s.writeConfig(`[default]\nmfa_serial = ${user.devices![0]!.serialNumber}\n`);
    const term = spawnCli([], s.env);
    await term.waitFor(`MFA code for ${user.userName}-phone:`);
    term.type(KEY.ctrlC);
    const { exitCode } = await term.exit;
    expect(exitCode).toBe(130);
    expect(term.screen()).not.toMatch(/Error|at .*\.js/);
    expect(await s.readCredentials()).toBe(longTermSection('default-long-term', user));
  });

  it('shows a progress line on the terminal while AWS is slow, and erases it', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    emulator.setFaults({ hang: true });
    try {
      const term = spawnCli(
        ['--serial-number', user.devices![0]!.serialNumber, '--code', '123456', '--timeout', '2s'],
        s.env,
      );
      await term.waitFor('Waiting for AWS (GetSessionToken)…');
      const { exitCode } = await term.exit;
      expect(exitCode).toBe(6);
      // The line is erased (carriage return, erase to end of line) before the error is printed.
      expect(term.raw()).toMatch(
        /Waiting for AWS \(GetSessionToken\)…\r\x1b\[Kaws-mfa-refresh: GetSessionToken failed: no answer/,
      );
    } finally {
      emulator.setFaults({});
    }
  });
});
