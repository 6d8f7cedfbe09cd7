/**
 * Issue 10 item 5: a code is spent only when the result can be saved. A directory that cannot take
 * the lock and the temp file (a read-only ~/.aws, a config directory that is not ours) is found
 * before a code is asked: one line, exit 9, no code command run, no AWS call.
 *
 * Root ignores directory modes, and the tests run as root in CI: there the CLI runs as nobody
 * (setpriv, uid 65534) in a HOME that nobody owns; as any other user it runs as that user.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { CLI, NODE, runProcess, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const root = process.getuid?.() === 0;
const NOBODY = 65534;
const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Everything under `dir` belongs to the user the CLI runs as. */
function giveAway(dir: string): void {
  if (!root) return;
  execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
}

function runAsUser(s: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}) {
  const argv = root
    ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', NODE, CLI, ...args]
    : [NODE, CLI, ...args];
  return runProcess(argv[0]!, argv.slice(1), { env: { ...s.env, ...env }, stdin: 'ignore' });
}

describe.skipIf(root && !hasSetpriv)('nothing is asked when the result cannot be saved', { timeout: 120_000 }, () => {
  async function setup(config: (serial: string) => string) {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    await s.writeConfig(config(serial));
    giveAway(s.home);
    chmodSync(s.home, 0o700);
    const marker = join(s.home, 'code-was-asked');
    const codeCommand = `touch '${marker}'; echo ${emulator.lastingCode(serial)}`;
    const calls = () =>
      emulator.requests.filter((r) => r.accessKeyId === user.accessKeyId && r.action !== 'GetCallerIdentity').length;
    return { s, user, serial, marker, codeCommand, calls };
  }

  it('a read-only ~/.aws: exit 9, one line naming the directory, no code asked, no AWS call', async () => {
    const { s, marker, codeCommand, calls } = await setup((serial) => `[default]\nmfa_serial = ${serial}\n`);
    chmodSync(join(s.home, '.aws'), 0o555);
    const r = await runAsUser(s, ['--code-command', codeCommand]);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^aws-mfa-refresh: Cannot create a file in ~\/\.aws: permission denied, where ~\/\.aws\/credentials is saved/,
    );
    expect(r.stderr).toContain('No code was asked.');
    expect(r.code).toBe(9);
    expect(existsSync(marker)).toBe(false);
    expect(calls()).toBe(0);
    expect(readdirSync(join(s.home, '.aws')).sort()).toEqual(['config', 'credentials']);
  });

  it('a config directory that is not writable, when a discovered device would be remembered: exit 9; --no-remember refreshes', async () => {
    const { s, marker, codeCommand, calls } = await setup(() => '');
    const configDir = join(s.home, 'ro');
    mkdirSync(configDir);
    const env = { AWS_CONFIG_FILE: join(configDir, 'config') };
    execFileSync('cp', [s.config, env.AWS_CONFIG_FILE]);
    giveAway(configDir);
    chmodSync(configDir, 0o555);

    const r = await runAsUser(s, ['--code-command', codeCommand], env);
    expect(r.stderr).toMatch(
      /^aws-mfa-refresh: Cannot create a file in .*\/ro: permission denied, where .*\/ro\/config is saved/,
    );
    expect(r.code).toBe(9);
    expect(existsSync(marker)).toBe(false);
    expect(calls()).toBe(0);

    const ok = await runAsUser(s, ['--code-command', codeCommand, '--no-remember'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
