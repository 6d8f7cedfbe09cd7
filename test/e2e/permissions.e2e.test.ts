/**
 * Permissions, end to end with the real CLI against the emulator: new files private whatever the
 * umask, existing modes kept (with a warning when others can read), the temp file never more
 * readable than the final file at any moment, and a full disk failing cleanly.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  rmSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
  fstatSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { newUser } from './fixtures.js';
import { makeSandbox, type Sandbox } from './harness.js';
import { isoSeconds, leftovers, refreshProblems, sourceConfig, spawnCli } from '../stress/support.js';

let emulator: Emulator;
const sandboxes: Sandbox[] = [];
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  await emulator?.close();
});

const mode = (p: string) => statSync(p).mode & 0o777;
const octal = (m: number) => m.toString(8).padStart(4, '0');

/**
 * A sandbox and a user whose long-term keys are in a config file outside ~/.aws (so that ~/.aws
 * and the credentials file do not exist until the refresh makes them), and a refresh to run.
 */
async function setup() {
  const s = await makeSandbox(emulator.url);
  sandboxes.push(s);
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  const configPath = join(s.home, 'amr-config');
  writeFileSync(configPath, sourceConfig(user), { mode: 0o600 });
  const env = { ...s.env, AWS_CONFIG_FILE: configPath };
  const args = (profile = 'work') => [
    '--profile',
    profile,
    '--source-profile',
    'amr-source',
    '--no-remember',
    '--serial-number',
    serial,
    '--code',
    emulator.lastingCode(serial),
  ];
  const sessionFor = (index = -1) => {
    const issued = emulator.sessions.filter((x) => x.userName === user.userName).at(index)!;
    return {
      aws_access_key_id: issued.accessKeyId,
      aws_secret_access_key: issued.secretAccessKey,
      aws_session_token: issued.sessionToken,
      expiration: isoSeconds(issued.expiration),
      mfa_device: serial,
    };
  };
  return { s, user, serial, env, args, sessionFor };
}

describe('new files are private whatever the umask', () => {
  for (const umask of ['022', '000']) {
    it(`umask ${umask}: a new ~/.aws is 0700, a new credentials file 0600, and so is the lock while held`, async () => {
      const { s, env, args } = await setup();
      expect(existsSync(join(s.home, '.aws'))).toBe(false);
      const child = spawnCli(
        args(),
        { ...env, AWS_MFA_REFRESH_TEST_PAUSE: 'locked', AWS_MFA_REFRESH_TEST_PAUSE_MS: '300' },
        { shellPrefix: `umask ${umask}` },
      );
      await child.waitFor('stderr', 'paused:locked\n');
      expect(mode(join(s.home, '.aws'))).toBe(0o700);
      expect(mode(`${s.credentials}.lock`)).toBe(0o600);
      const exit = await child.exited;
      expect(exit.code, child.stderr).toBe(0);
      expect(child.stderr).toBe('paused:locked\n');
      expect(mode(join(s.home, '.aws'))).toBe(0o700);
      expect(mode(s.credentials)).toBe(0o600);
      expect(leftovers(join(s.home, '.aws'))).toEqual([]);
    });
  }

  it('umask 000: every missing directory of AWS_SHARED_CREDENTIALS_FILE is created 0700', async () => {
    const { s, env, args } = await setup();
    const file = join(s.home, 'a', 'b', 'credentials');
    const child = spawnCli(args(), { ...env, AWS_SHARED_CREDENTIALS_FILE: file }, { shellPrefix: 'umask 000' });
    expect((await child.exited).code, child.stderr).toBe(0);
    expect([mode(join(s.home, 'a')), mode(join(s.home, 'a', 'b')), mode(file)]).toEqual([0o700, 0o700, 0o600]);
  });
});

describe('an existing file keeps its mode', () => {
  for (const [m, what] of [
    [0o644, 'readable'],
    [0o604, 'readable'],
    [0o620, 'writable'],
  ] as const) {
    it(`${octal(m)}: exit 0, one warning line naming the file and the fix, the mode kept`, async () => {
      const { s, env, args, sessionFor } = await setup();
      const before = Buffer.from('# mine\n[personal]\nregion = us-east-1\n');
      await s.writeCredentials('');
      writeFileSync(s.credentials, before);
      chmodSync(s.credentials, m);
      const child = spawnCli(args(), env);
      expect((await child.exited).code, child.stderr).toBe(0);
      expect(child.stderr).toBe(
        `warning: ~/.aws/credentials is ${what} by others (mode ${octal(m)}); run: chmod 600 ${s.credentials}\n`,
      );
      expect(mode(s.credentials), 'not silently changed').toBe(m);
      expect(refreshProblems(before, readFileSync(s.credentials), 'work', sessionFor())).toEqual([]);
    });
  }

  it('0600: no warning at all', async () => {
    const { s, env, args } = await setup();
    await s.writeCredentials('[personal]\nregion = us-east-1\n');
    const child = spawnCli(args(), env);
    expect((await child.exited).code).toBe(0);
    expect(child.stderr).toBe('');
    expect(mode(s.credentials)).toBe(0o600);
  });
});

/**
 * Watches a directory from another process as fast as it can and reports every mode each temp file
 * had, so that the window between the temp file's creation and its chmod is seen too.
 */
function watchTemps(dir: string, stopFile: string) {
  const script = `
    const { readdirSync, lstatSync, existsSync } = require('node:fs');
    const [dir, stop] = process.argv.slice(1);
    const seen = {};
    let polls = 0;
    process.stderr.write('ready\\n');
    const end = Date.now() + 20000;
    while (!existsSync(stop) && Date.now() < end) {
      polls++;
      for (const n of readdirSync(dir)) {
        if (!n.endsWith('.tmp')) continue;
        try {
          const st = lstatSync(dir + '/' + n);
          const k = (st.mode & 0o777).toString(8) + ':' + st.size;
          seen[k] = (seen[k] || 0) + 1;
        } catch {}
      }
    }
    process.stdout.write(JSON.stringify({ polls, seen }));
  `;
  const child = spawn(process.execPath, ['-e', script, dir, stopFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const ready = new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
  const done = new Promise<{ polls: number; seen: Record<string, number> }>((resolve) =>
    child.on('close', () => resolve(JSON.parse(out))),
  );
  return { ready, done };
}

describe('the temp file is never more readable than the final file', () => {
  it('at the pause after it is written: same mode as the final file (new 0600, existing 0644 and 0640)', async () => {
    for (const existing of [undefined, 0o644, 0o640]) {
      const { s, env, args } = await setup();
      if (existing !== undefined) {
        await s.writeCredentials('[personal]\nregion = us-east-1\n');
        chmodSync(s.credentials, existing);
      }
      const child = spawnCli(
        args(),
        { ...env, AWS_MFA_REFRESH_TEST_PAUSE: 'temp-written', AWS_MFA_REFRESH_TEST_PAUSE_MS: '300' },
        { shellPrefix: 'umask 000' },
      );
      await child.waitFor('stderr', 'paused:temp-written\n');
      const temps = readdirSync(join(s.home, '.aws')).filter((n) => n.endsWith('.tmp'));
      expect(temps).toHaveLength(1);
      expect(mode(join(s.home, '.aws', temps[0]!))).toBe(existing ?? 0o600);
      expect((await child.exited).code, child.stderr).toBe(0);
      expect(mode(s.credentials)).toBe(existing ?? 0o600);
    }
  });

  it('at every moment, watched from another process while a 5 MB file is written (umask 000; final 0600, 0640, 0200)', async () => {
    const big = Buffer.from(
      Array.from(
        { length: 10_000 },
        (_, i) =>
          `[p${i}]\naws_access_key_id = ASIA${String(i).padStart(16, '0')}\naws_session_token = ${'x'.repeat(440)}\n`,
      ).join('\n'),
    );
    for (const existing of [undefined, 0o640, 0o200]) {
      const final = existing ?? 0o600;
      const views: Array<{ mode: number; bytes: number }> = [];
      let midWrite = false;
      // The window before the chmod is milliseconds: on a loaded machine the watcher may miss it,
      // so try up to three times to see it (every view of every try must pass).
      for (let attempt = 0; attempt < 3 && !midWrite; attempt++) {
        const { s, env, args } = await setup();
        mkdirSync(join(s.home, '.aws'), { mode: 0o700 });
        // (A new file is small: its window is short, but the check is the same.)
        if (existing !== undefined) {
          writeFileSync(s.credentials, big);
          chmodSync(s.credentials, existing);
        }
        const stop = join(s.home, 'stop');
        const watcher = watchTemps(join(s.home, '.aws'), stop);
        await watcher.ready;
        // Pausing after the temp is written keeps it in view in its final mode, too.
        const child = spawnCli(
          args(),
          { ...env, AWS_MFA_REFRESH_TEST_PAUSE: 'temp-written', AWS_MFA_REFRESH_TEST_PAUSE_MS: '100' },
          { shellPrefix: 'umask 000' },
        );
        const exit = await child.exited;
        writeFileSync(stop, '');
        const { polls, seen } = await watcher.done;
        expect(exit.code, child.stderr).toBe(0);
        expect(mode(s.credentials)).toBe(final);
        expect(polls).toBeGreaterThan(10);
        const size = statSync(s.credentials).size;
        const these = Object.keys(seen).map((k) => ({
          mode: parseInt(k.split(':')[0]!, 8),
          bytes: Number(k.split(':')[1]),
        }));
        expect(these.length, 'the temp file was seen').toBeGreaterThan(0);
        views.push(...these);
        // Seen while still being written or before its chmod, not only at the pause.
        midWrite = existing === undefined || these.some((v) => v.bytes < size || v.mode !== final);
      }
      expect(
        midWrite,
        `the temp file of a 5 MB write was never seen before its final state: ${JSON.stringify(views)}`,
      ).toBe(true);
      for (const v of views)
        expect(octal(v.mode & ~final), `temp mode ${octal(v.mode)} vs final ${octal(final)}`).toBe('0000');
    }
  });
});

describe('a full disk', () => {
  /** Mounts a 64 KiB tmpfs at `dir`; undefined when this system does not let us. */
  function mountTmpfs(dir: string): string | undefined {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
      return undefined;
    } catch (error) {
      return String((error as { stderr?: Buffer }).stderr ?? error).trim() || 'mount failed';
    }
  }

  /** Fills the file system of `dir` with a filler file, then frees `leaveBytes` of it. */
  function fill(dir: string, leaveBytes: number): void {
    const filler = join(dir, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(4096, 0x41);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOSPC') throw error;
    }
    const size = fstatSync(fd).size;
    closeSync(fd);
    truncateSync(filler, Math.max(0, size - leaveBytes));
  }

  for (const [name, leave, message] of [
    [
      'room for the lock but not the temp file',
      4096,
      /^aws-mfa-refresh: Cannot write ~\/\.aws\/credentials: no space left on device\. Free some disk space, then run again\.\n$/,
    ],
    [
      'not even room for the lock',
      0,
      /^aws-mfa-refresh: Cannot lock ~\/\.aws\/credentials: no space left on device\. Free some disk space, then run again\.\n$/,
    ],
  ] as const) {
    it(`${name}: one clear line, exit 1, the original untouched, no temp or lock left`, async (ctx) => {
      const { s, env, args } = await setup();
      const awsDir = join(s.home, '.aws');
      const refused = mountTmpfs(awsDir);
      if (refused)
        ctx.skip(`cannot mount a tmpfs here (${refused}); run as root with CAP_SYS_ADMIN to test a full disk`);
      try {
        // ~20 KB of someone's credentials: the temp copy needs five pages the disk does not have.
        const before = Buffer.from(`# keep me\n[personal]\nregion = us-east-1\nx_blob = ${'b'.repeat(20_000)}\n`);
        writeFileSync(s.credentials, before, { mode: 0o600 });
        fill(awsDir, leave);
        const child = spawnCli(args(), env);
        const exit = await child.exited;
        expect(exit.code).toBe(1);
        expect(child.stdout).toBe('');
        expect(child.stderr).toMatch(message);
        expect(readFileSync(s.credentials).equals(before), 'the original is untouched').toBe(true);
        expect(mode(s.credentials)).toBe(0o600);
        expect(readdirSync(awsDir).sort()).toEqual(['credentials', 'filler']);
        // Space again: the next refresh works, with nothing to clean up.
        rmSync(join(awsDir, 'filler'));
        const again = spawnCli(args(), env);
        expect((await again.exited).code, again.stderr).toBe(0);
        expect(readdirSync(awsDir)).toEqual(['credentials']);
      } finally {
        execFileSync('umount', [awsDir]);
      }
    });
  }
});
