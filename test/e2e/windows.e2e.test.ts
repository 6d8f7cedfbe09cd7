/**
 * What only Windows can show (run by the CI matrix on windows-latest; skipped elsewhere):
 * a credentials file held open without delete sharing, the CONIN$ prompt and exec's Ctrl+C under
 * ConPTY, PowerShell 5.1 and 7 evaluating `env`, cmd.exe evaluating `env --format cmd`, and
 * botocore running credential_process through `cmd /c`.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { REFERENCE_PYTHON } from '../reference-python.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { CLI, NODE, sectionOf } from './harness.js';
import { KEY, spawnCli } from './pty.js';

const run = promisify(execFile);
const windows = process.platform === 'win32';
let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const session = (secret: string) =>
  `[default]\naws_access_key_id = ASIASESSION000000001\naws_secret_access_key = ${secret}\n` +
  `aws_session_token = sessionToken\nexpiration = ${iso(Date.now() + 5 * 3600_000)}\nmfa_issued = ${iso(Date.now())}\n`;

function has(command: string): boolean {
  try {
    execFileSync(command, ['-NoProfile', '-Command', 'exit 0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Holds `file` open with FileShare.None (as some editors, backup and antivirus tools do) for `ms`. */
function holdExclusively(file: string, ms: number): Promise<() => void> {
  const script = `$f = [System.IO.File]::Open('${file.replace(/'/g, "''")}', 'Open', 'Read', 'None'); 'held'; Start-Sleep -Milliseconds ${ms}; $f.Close()`;
  const child = spawn('powershell', ['-NoProfile', '-Command', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) =>
    child.stdout.on('data', (d) => String(d).includes('held') && resolve(() => child.kill())),
  );
}

/**
 * A refresh paused just before its rename (the store's test hook); while it waits, another program
 * opens the credentials file with FileShare.None for `holdMs`. Resolves with the run's outcome.
 */
async function refreshWhileHeld(holdMs: number) {
  const s = await sandbox();
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  await s.writeCredentials(longTermSection('default-long-term', user));
  const child = spawn(NODE, [CLI, '--serial-number', serial, '--code', emulator.lastingCode(serial)], {
    env: { ...s.env, AWS_MFA_REFRESH_TEST_PAUSE: 'temp-written', AWS_MFA_REFRESH_TEST_PAUSE_MS: '3000' },
  });
  let stderr = '';
  let release: (() => void) | undefined;
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.includes('paused:temp-written') && !release)
      void holdExclusively(s.credentials, holdMs).then((r) => (release = r));
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  release?.();
  return { s, user, code, stderr: stderr.replace('paused:temp-written\n', '') };
}

describe.skipIf(!windows)('[win32] a credentials file another program holds open', () => {
  it('released within the retry window: the rename is retried and the session written', async () => {
    const { s, code, stderr } = await refreshWhileHeld(4000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_access_key_id).toMatch(/^ASIA/);
  }, 90_000);

  it('held longer than about 10 s: one clear line naming the file, the original intact', async () => {
    const { s, user, code, stderr } = await refreshWhileHeld(40_000);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^aws-mfa-refresh: Cannot replace .*credentials: another program keeps it open \((EPERM|EACCES|EBUSY)/,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(await s.readCredentials()).toBe(longTermSection('default-long-term', user));
  }, 90_000);
});

describe.skipIf(!windows)('[win32] ConPTY', () => {
  it('credential-process asks on CONIN$/CONOUT$ while stdout goes to a file', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const out = join(s.home, 'out.json');
    const term = spawnCli([], s.env, [
      'cmd.exe',
      '/d',
      '/c',
      `"${NODE}" "${CLI}" credential-process --serial-number ${serial} > "${out}"`,
    ]);
    await term.waitFor('MFA code for', 30_000);
    term.type(emulator.lastingCode(serial) + KEY.enter);
    expect((await term.exit).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ Version: 1 });
  }, 60_000);

  it('exec: one Ctrl+C reaches the child once', async () => {
    const s = await sandbox();
    await s.writeCredentials(session('sessionSecret'));
    const counter = `let n = 0; process.on('SIGINT', () => { n++; if (n === 1) setTimeout(() => { console.log('SIGINTS=' + n); process.exit(n); }, 1500); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const term = spawnCli(['exec', '--', NODE, '-e', counter], s.env);
    await term.waitFor('ready', 30_000);
    term.type(KEY.ctrlC);
    await term.waitFor('SIGINTS=', 30_000);
    expect(term.screen()).toContain('SIGINTS=1');
  }, 60_000);
});

describe('PowerShell and cmd.exe evaluate env (skipped where they are not installed)', () => {
  // ' and the typographic quotes U+2018-U+201B end a PowerShell verbatim string unless doubled.
  const secret = "it's\u2018a\u2019b\u201Ac\u201Bd$x`n";
  for (const shell of ['powershell', 'pwsh']) {
    it.skipIf(!has(shell))(
      `${shell}: Invoke-Expression sets the variables byte for byte`,
      async () => {
        const s = await sandbox();
        await s.writeCredentials(session(secret));
        const script = `$Env:AWS_PROFILE = 'x'; & '${NODE}' '${CLI}' env --format powershell | Out-String | Invoke-Expression; [Console]::OutputEncoding = [Text.Encoding]::UTF8; Write-Output ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Env:AWS_SECRET_ACCESS_KEY))); Write-Output ("profile=" + [string]$Env:AWS_PROFILE)`;
        const { stdout } = await run(shell, ['-NoProfile', '-Command', script], { env: s.env });
        const [b64, profile] = stdout.trim().split(/\r?\n/);
        expect(Buffer.from(b64!, 'base64').toString('utf8')).toBe(secret);
        expect(profile).toBe('profile=');
      },
      60_000,
    );
  }

  it.skipIf(!windows)(
    'cmd.exe: for /f evaluates --format cmd',
    async () => {
      const s = await sandbox();
      const plain = 'abc+/=%PATH%&x';
      await s.writeCredentials(session(plain));
      const bat = join(s.home, 'eval.cmd');
      writeFileSync(
        bat,
        `@echo off\r\nfor /f "delims=" %%i in ('""${NODE}" "${CLI}" env --format cmd"') do %%i\r\nset AWS_SECRET_ACCESS_KEY\r\n`,
      );
      const { stdout } = await run('cmd.exe', ['/d', '/c', bat], { env: s.env });
      expect(stdout.trim()).toBe(`AWS_SECRET_ACCESS_KEY=${plain}`);
    },
    60_000,
  );
});

describe.skipIf(!windows)('[win32] botocore runs credential_process through cmd /c', () => {
  it('resolves the session', async () => {
    const s = await sandbox();
    await s.writeCredentials(session('sessionSecret').replace('[default]', '[work-session]'));
    await s.writeConfig(
      `[profile work]\ncredential_process = cmd /c "${NODE}" "${CLI}" credential-process --profile work-session\n`,
    );
    const script =
      'import botocore.session; c = botocore.session.Session(profile="work").get_credentials().get_frozen_credentials(); print(c.access_key)';
    const { stdout } = await run(REFERENCE_PYTHON, ['-c', script], {
      env: { ...s.env, AWS_SHARED_CREDENTIALS_FILE: s.credentials, AWS_CONFIG_FILE: s.config },
    });
    expect(stdout.trim()).toBe('ASIASESSION000000001');
  }, 60_000);
});
