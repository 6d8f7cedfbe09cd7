/**
 * Issue 10 item 3: the dotfiles line is safe in non-interactive shells. `--if-interactive` with no
 * terminal prints nothing, reads nothing and exits 0 at once (no AWS call); in a terminal it asks as
 * a plain refresh does. The line `--help` prints is run as a login shell would run it.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { CLI, NODE, runProcess, sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { spawnCli } from './pty.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

/** A sandbox whose session has expired (a plain refresh would need a code), the CLI on PATH. */
async function expired() {
  const s = await sandbox();
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  const past = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await s.writeCredentials(
    `${longTermSection('default-long-term', user)}[default]\naws_access_key_id = ASIAOLD\naws_secret_access_key = x\naws_session_token = t\nexpiration = ${past}\n`,
  );
  await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
  const bin = join(s.home, 'bin');
  await mkdir(bin);
  await symlink(CLI, join(bin, 'aws-mfa-refresh'));
  const env = { ...s.env, PATH: `${bin}:${dirname(NODE)}:${process.env.PATH}` };
  return { s, user, serial, env };
}

function sh(file: string, args: string[], env: NodeJS.ProcessEnv, stdin: 'close' | 'open' = 'close') {
  return runProcess(file, args, { env, stdin });
}

async function dotfilesLineFromHelp(s: Sandbox): Promise<string> {
  const help = await s.run(['--help'], { timeoutMs: 60_000 });
  const line = help.stdout.split('\n').find((l) => l.includes('# dotfiles line'));
  expect(line).toBeDefined();
  return line!.replace(/^\s*\$\s*/, '').replace(/\s+#.*$/, '');
}

describe('--if-interactive', { timeout: 120_000 }, () => {
  it('the dotfiles line from --help, in a login shell without a terminal (bash -lc): silent, exit 0, no AWS call', async () => {
    const { s, env } = await expired();
    const line = await dotfilesLineFromHelp(s);
    expect(line).toBe('aws-mfa-refresh --if-interactive -q');
    // /etc/profile may reset PATH (it does for root on Debian): set it again, as a user's profile would.
    await writeFile(join(s.home, '.bash_profile'), `PATH=${JSON.stringify(env.PATH)}\n${line}\n`);
    const before = emulator.requests.length;
    const r = await sh('bash', ['-lc', 'echo login-done'], env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('login-done\n');
    expect(r.code).toBe(0);
    expect(emulator.requests.length).toBe(before);
  });

  it('reads nothing: with --code - and a stdin that never ends, it exits 0 at once, the file untouched', async () => {
    const { s, env } = await expired();
    const credentials = await s.readCredentials();
    const r = await sh(NODE, [CLI, '--if-interactive', '--code', '-'], env, 'open');
    expect(r).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    expect(await s.readCredentials()).toBe(credentials);
  });

  it('in a terminal it asks for the code and refreshes, as a plain refresh does', async () => {
    const { s, user, serial, env } = await expired();
    const term = spawnCli(['--if-interactive', '-q'], env);
    await term.waitFor(`MFA code for ${user.userName}-phone:`, 60_000);
    for (const digit of emulator.lastingCode(serial)) term.type(digit);
    term.type('\r');
    const { exitCode } = await term.exit;
    expect(exitCode).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toMatch(/^ASIA[A-Z0-9]{16}$/);
  });
});
