/**
 * Issue 10 item 1: several terminals at once spend one code. Runs that need a code take a lock per
 * MFA device; the others say so on stderr, wait (at most --input-timeout, then exit 11) and use the
 * session the first one wrote. Independently, a session written while the code was being typed
 * means no STS call at all.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { watchChild } from '../support/watched-child.js';
import { CLI, NODE, sectionOf } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli } from './pty.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

async function setup() {
  const s = await sandbox();
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  await s.writeCredentials(longTermSection('default-long-term', user));
  await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
  const stsCalls = () => emulator.countRequests('GetSessionToken', { accessKeyId: user.accessKeyId });
  return { s, user, serial, stsCalls };
}

/** The CLI without a terminal, its stderr readable while it runs. */
function start(args: string[], env: NodeJS.ProcessEnv) {
  const child = watchChild(spawn(NODE, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 120_000);
  return {
    done: child.exited.then(({ code }) => {
      clearTimeout(timer);
      return { code, stdout: child.stdout, stderr: child.stderr };
    }),
    async stderrShows(text: string) {
      await child.waitFor('stderr', text).catch(() => {}); // an early exit is reported by the line below
      expect(child.stderr).toContain(text);
    },
  };
}

describe('several runs, one code', { timeout: 120_000 }, () => {
  it('4 runs started together with a code command that takes a second: one GetSessionToken, all exit 0', async () => {
    const { s, serial, stsCalls } = await setup();
    const code = emulator.lastingCode(serial);
    const args = ['--code-command', `sleep 1; echo ${code}`, '--input-timeout', '90s'];
    const results = await Promise.all(Array.from({ length: 4 }, () => s.run(args, { timeoutMs: 120_000 })));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(stsCalls()).toBe(1);
    expect(results.filter((r) => r.stdout.includes('refreshed: valid until'))).toHaveLength(1);
    for (const r of results.filter((x) => x.stderr)) {
      expect(r.stderr).toMatch(/^another aws-mfa-refresh is asking for a code \(pid \d+\); waiting…\n$/);
    }
  });

  it('two terminals: the second waits with one line and uses the session the first one got', async () => {
    const { s, user, serial, stsCalls } = await setup();
    const first = spawnCli([], s.env);
    await first.waitFor(`MFA code for ${user.userName}-phone:`, 60_000);
    const second = start(['--input-timeout', '90s'], s.env); // no terminal, no code: it could not ask
    await second.stderrShows('waiting…');
    for (const digit of emulator.lastingCode(serial)) first.type(digit);
    first.type(KEY.enter);
    expect((await first.exit).exitCode).toBe(0);
    const r = await second.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^another aws-mfa-refresh is asking for a code \(pid \d+\); waiting…\n$/);
    expect(r.stdout).toContain('is still valid');
    expect(stsCalls()).toBe(1);
  });

  it('the wait ends at --input-timeout with exit 11; once the first is cancelled, a waiting run asks itself', async () => {
    const { s, user, serial, stsCalls } = await setup();
    const first = spawnCli([], s.env);
    await first.waitFor(`MFA code for ${user.userName}-phone:`, 60_000);

    const timedOut = await s.run(['--input-timeout', '2s', '--code', '123456'], { timeoutMs: 60_000 });
    expect(timedOut.code).toBe(11);
    const lines = timedOut.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/waiting…$/);
    expect(lines[1]).toMatch(/^aws-mfa-refresh: Another aws-mfa-refresh \(pid \d+\) is still asking for a code/);

    const third = start(['--input-timeout', '90s', '--code-command', `echo ${emulator.lastingCode(serial)}`], s.env);
    await third.stderrShows('waiting…');
    first.type(KEY.ctrlC);
    expect((await first.exit).exitCode).toBe(130);
    const r = await third.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('refreshed: valid until');
    expect(stsCalls()).toBe(1);
  });

  it('a session written while the code was being typed: no STS call, the code is not spent', async () => {
    const { s, serial, stsCalls } = await setup();
    const expiration = new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const other = `[default]\naws_access_key_id = ASIAFROMOTHERTOOL000\naws_secret_access_key = s\naws_session_token = t\nexpiration = ${expiration}\n`;
    const code = emulator.lastingCode(serial);
    const r = await s.run(['--code-command', `printf '%s' '${other}' >> "$HOME/.aws/credentials"; echo ${code}`], {
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(stsCalls()).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toBe('ASIAFROMOTHERTOOL000');
  });
});
