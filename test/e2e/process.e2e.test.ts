/**
 * Robust process behaviour (issue 10 item 7, issue 14's signal policy), through the built CLI:
 * a closed stdout, a code command past its timeout, the controlling terminal when stdin is piped,
 * and one Ctrl+C reaching `exec`'s child once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { CLI, NODE, type Sandbox } from './harness.js';
import { KEY, spawnCli } from './pty.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const usableSession = (name = 'default') =>
  `[${name}]\naws_access_key_id = ASIASESSION000000001\naws_secret_access_key = sessionSecret\n` +
  `aws_session_token = sessionToken\nexpiration = ${iso(Date.now() + 5 * 3600_000)}\n` +
  `mfa_issued = ${iso(Date.now())}\n`;

/** Runs the CLI with its stdout's reading end already closed, as `| head -1` leaves it. */
function runIntoClosedPipe(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // our end closes before the CLI writes a byte: its writes get EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Whether `pid` still runs (a zombie does not count); `ps` rather than /proc, so it works on macOS. */
function running(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

describe('a closed stdout ends the process quietly', () => {
  it('--help into a closed pipe: no EPIPE stack, nothing on stderr', async () => {
    const s = await sandbox();
    for (const args of [['--help'], ['exec', '--help'], ['completion', 'bash']]) {
      const r = await runIntoClosedPipe(args, s.env);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  it('devices into a closed pipe: no EPIPE stack, nothing on stderr', async () => {
    const s = await sandbox();
    const user = newUser(emulator, 2);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await runIntoClosedPipe(['devices'], s.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('--code-command past its timeout', () => {
  it('ends the command and every process it started, and says so at the timeout', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    const pids = join(s.home, 'pids');
    // The shell starts a grandchild that holds our pipe (as cmd.exe's child or a `sh -c` child would).
    const command = `sleep 60 & echo "$$ $!" > '${pids}'; wait`;
    const r = await s.run(
      ['--serial-number', user.devices![0]!.serialNumber, '--code-command', command, '--input-timeout', '2s'],
      { timeoutMs: 40_000 },
    );
    expect(r.signal).toBe(null); // not killed by the harness: we ended by ourselves
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--code-command gave no code within 2 s/);
    const [shell, grandchild] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(running(shell!)).toBe(false);
    expect(running(grandchild!)).toBe(false);
  }, 60_000);

  it('keeps the controlling terminal: a "touch your key" prompt on /dev/tty is seen, the code is used', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const code = emulator.lastingCode(serial);
    const term = spawnCli(
      ['--serial-number', serial, '--code-command', `echo 'Touch your key' > /dev/tty && echo ${code}`],
      s.env,
    );
    const { exitCode } = await term.exit;
    expect(term.screen()).toContain('Touch your key');
    expect(exitCode).toBe(0);
  }, 30_000);
});

/** A shell line in a pty: `sh -c line`, with the CLI as "$CLI". */
function shellInPty(s: Sandbox, line: string) {
  return spawnCli([], { ...s.env, CLI_NODE: NODE, CLI_JS: CLI }, ['/bin/sh', '-c', line]);
}

describe('piped stdin in a terminal: the code is asked on the controlling terminal', () => {
  it('exec: asks on the terminal, and the child still gets the piped stdin', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const term = shellInPty(
      s,
      `printf 'piped-data-for-the-child\\n' | "$CLI_NODE" "$CLI_JS" exec --serial-number ${serial} -- cat`,
    );
    await term.waitFor('MFA code for', 20_000);
    term.type(emulator.lastingCode(serial) + KEY.enter);
    const { exitCode } = await term.exit;
    expect(term.screen()).toContain('piped-data-for-the-child');
    expect(exitCode).toBe(0);
  }, 40_000);

  it('env --refresh: asks on the terminal, prints the session', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const term = shellInPty(
      s,
      `echo | "$CLI_NODE" "$CLI_JS" env --refresh --format bash --serial-number ${serial} > "$HOME/env.out"`,
    );
    await term.waitFor('MFA code for', 20_000);
    term.type(emulator.lastingCode(serial) + KEY.enter);
    const { exitCode } = await term.exit;
    expect(exitCode).toBe(0);
    expect(readFileSync(join(s.home, 'env.out'), 'utf8')).toMatch(/^export AWS_ACCESS_KEY_ID='ASIA/m);
  }, 40_000);
});

describe('exec and Ctrl+C', () => {
  // The child counts its SIGINTs; after the first it waits a moment for a second one, then reports.
  const counter = `let n = 0; process.on('SIGINT', () => { n++; if (n === 1) setTimeout(() => { console.log('SIGINTS=' + n); process.exit(n); }, 1500); }); console.log('ready'); setInterval(() => {}, 1000);`;

  it('one Ctrl+C in a terminal reaches the child once, not twice', async () => {
    const s = await sandbox();
    await s.writeCredentials(usableSession());
    const term = spawnCli(['exec', '--', NODE, '-e', counter], s.env);
    await term.waitFor('ready', 20_000);
    term.type(KEY.ctrlC);
    const { exitCode } = await term.exit;
    expect(term.screen()).toContain('SIGINTS=1');
    expect(exitCode).toBe(1);
  }, 40_000);

  it('SIGTERM is still passed on when stdin is a terminal', async () => {
    const s = await sandbox();
    await s.writeCredentials(usableSession());
    const pidFile = join(s.home, 'cli.pid');
    const term = shellInPty(
      s,
      `echo $$ > '${pidFile}'; exec "$CLI_NODE" "$CLI_JS" exec -- sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'`,
    );
    await term.waitFor('ready', 20_000);
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    const { exitCode } = await term.exit;
    expect(term.screen()).toContain('got-term');
    expect(exitCode).toBe(42);
  }, 40_000);
});
