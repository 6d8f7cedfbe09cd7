import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { sectionOf } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli } from './pty.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

describe('setup', () => {
  it('in a terminal: shows the diff without secrets, asks, moves the keys, then picks and remembers the device', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    const before = `# my keys\r\n${longTermSection('default', user, '\r\n')}region = eu-west-1\r\n\r\n[other]\r\nregion = us-west-2\r\n`;
    await s.writeCredentials(before);
    await s.writeConfig('[default]\noutput = json\n');

    // No Secret Service: setup offers no keychain step (test/e2e/keys-keychain.e2e.test.ts has one).
    const term = spawnCli(['setup'], {
      ...s.env,
      SHELL: '/bin/zsh',
      DBUS_SESSION_BUS_ADDRESS: '',
      XDG_RUNTIME_DIR: '',
    });
    await term.waitFor('Write these changes?');
    const screen = term.screen();
    expect(screen).toContain('- aws_access_key_id = ' + user.accessKeyId);
    expect(screen).toContain('+ [default-long-term]');
    expect(screen).toContain('aws_secret_access_key = (hidden)');
    expect(screen).not.toContain(user.secretAccessKey);
    term.type(KEY.enter);
    await term.waitFor('Choose and remember your MFA device now?');
    term.type('y');
    term.type(KEY.enter);
    await term.waitFor('Choose an MFA device');
    term.type(KEY.down);
    term.type(KEY.enter);
    // The dotfiles line is the shell hook's: installed for $SHELL (zsh here), and its source line printed.
    await term.waitFor('source ~/.local/share/aws-mfa-refresh/hook.zsh');
    const { exitCode } = await term.exit;
    expect(exitCode).toBe(0);
    expect(await readFile(join(s.home, '.local/share/aws-mfa-refresh/hook.zsh'), 'utf8')).toContain('aws_mfa_prompt');
    expect(term.screen()).toContain('Add this line to ~/.zshrc');

    const after = await s.readCredentials();
    expect(after).toBe(
      `# my keys\r\n[default]\r\nregion = eu-west-1\r\n\r\n[other]\r\nregion = us-west-2\r\n\r\n[default-long-term]\r\naws_access_key_id = ${user.accessKeyId}\r\naws_secret_access_key = ${user.secretAccessKey}\r\n`,
    );
    expect(await s.readConfig()).toBe(`[default]\noutput = json\nmfa_serial = ${user.devices![1]!.serialNumber}\n`);
    expect(await s.mode(s.credentials)).toBe(0o600);
  });

  it('writes nothing when the user says no', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const before = longTermSection('default', user);
    await s.writeCredentials(before);
    const term = spawnCli(['setup'], s.env);
    await term.waitFor('Write these changes?');
    term.type('n');
    term.type(KEY.enter);
    await term.waitFor('Nothing was written.');
    expect((await term.exit).exitCode).toBe(0);
    expect(await s.readCredentials()).toBe(before);
  });

  it('non-interactively with flags: a custom long-term name sets source_profile, and the device is remembered', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('work', user));
    const serial = user.devices![0]!.serialNumber;
    const r = await s.run(
      ['setup', '--profile', 'work', '--long-term-profile', 'work-keys', '--yes', '--serial-number', serial, '--json'],
      { env: { SHELL: '/bin/bash' } },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      profile: 'work',
      longTermProfile: 'work-keys',
      moved: true,
      confirmed: true,
      mfaSerial: serial,
      shellRc: '~/.bashrc',
      shellLine: 'source ~/.local/share/aws-mfa-refresh/hook.bash',
    });
    // The hook keeps the profile setup was run for.
    expect(await readFile(join(s.home, '.local/share/aws-mfa-refresh/hook.bash'), 'utf8')).toMatch(/work/);
    expect(r.stderr).toContain('+ [work-keys]'); // the diff still shows, on stderr
    expect(r.stdout + r.stderr).not.toContain(user.secretAccessKey);
    expect(await s.readCredentials()).toBe(longTermSection('work-keys', user));
    expect(sectionOf(await s.readConfig(), 'profile work')).toEqual({
      source_profile: 'work-keys',
      mfa_serial: serial,
    });

    // And the refresh that follows uses it all.
    const refresh = await s.run(['--profile', 'work', '--code', emulator.lastingCode(serial)]);
    expect(refresh.code).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'work')?.aws_session_token).toBeTruthy();
  });

  it('never leaves keys in two places: refuses when the long-term profile already holds keys, and needs --yes without a terminal', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const other = newUser(emulator);
    const both = longTermSection('default', user) + longTermSection('default-long-term', other);
    await s.writeCredentials(both);
    const clash = await s.run(['setup', '--yes']);
    expect(clash.code).toBe(5);
    expect(clash.stderr).toMatch(/"default-long-term" already holds keys/);
    expect(await s.readCredentials()).toBe(both);

    await s.writeCredentials(longTermSection('default', user));
    const noTty = await s.run(['setup']);
    expect(noTty.code).toBe(3);
    expect(noTty.stderr).toMatch(/pass --yes/);
    expect(await s.readCredentials()).toBe(longTermSection('default', user));
  });
});
