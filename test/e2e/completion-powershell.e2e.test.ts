/**
 * `completion powershell` from the built CLI, and (where PowerShell is installed: the CI matrix's
 * runners, not this machine) evaluated by pwsh / Windows PowerShell and asked through TabExpansion2,
 * which is what Tab calls: commands, flags, profile names from the files, formats.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, NODE, makeSandbox, runProcess, type Sandbox } from './harness.js';

const windows = process.platform === 'win32';
/** PowerShell 7, else Windows PowerShell 5.1; undefined where neither runs. */
const POWERSHELLS = ['pwsh', ...(windows ? ['powershell'] : [])].filter(
  (exe) => spawnSync(exe, ['-NoProfile', '-Command', 'exit 0'], { stdio: 'ignore' }).status === 0,
);

let s: Sandbox;
/** PATH variants: npm's .cmd shim alone, and with its .ps1 shim (which PowerShell runs first) on Windows. */
const shims: Record<string, NodeJS.ProcessEnv> = {};
beforeAll(async () => {
  s = await makeSandbox();
  await s.writeCredentials('[alpha-long-term]\naws_access_key_id = AKIA1\naws_secret_access_key = x\n');
  await s.writeConfig("[profile beta]\nregion = eu-west-1\n[profile it's mine]\nregion = eu-west-1\n[default]\n");
  const onPath = async (name: string, files: Record<string, string>) => {
    const bin = join(s.home, name);
    await mkdir(bin);
    for (const [file, text] of Object.entries(files)) await writeFile(join(bin, file), text);
    shims[name] = { ...s.env, PATH: `${bin}${delimiter}${process.env.PATH}` };
    return bin;
  };
  if (windows) {
    // What npm puts on PATH on Windows.
    const cmd = `@"${NODE}" "${CLI}" %*\r\n`;
    await onPath('cmd-shim', { 'aws-mfa-refresh.cmd': cmd });
    await onPath('ps1-shim', {
      'aws-mfa-refresh.cmd': cmd,
      'aws-mfa-refresh.ps1': `& "${NODE}" "${CLI}" $args\r\nexit $LASTEXITCODE\r\n`,
    });
  } else {
    await symlink(CLI, join(await onPath('link', {}), 'aws-mfa-refresh'));
  }
});
afterAll(() => s.cleanup());

describe('completion powershell', () => {
  it('prints the Register-ArgumentCompleter script', async () => {
    const r = await s.run(['completion', 'powershell']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Register-ArgumentCompleter -Native -CommandName 'aws-mfa-refresh'");
  });

  // Shown as skipped where no PowerShell runs (this machine); the CI matrix runs it.
  const variants = windows ? ['cmd-shim', 'ps1-shim'] : ['link'];
  for (const exe of POWERSHELLS.length > 0 ? POWERSHELLS : ['pwsh']) {
    for (const shim of variants) {
      it.skipIf(!POWERSHELLS.includes(exe))(
        `[${exe}, ${shim}] completes commands, flags, profile names and formats`,
        async () => {
          const env = shims[shim]!;
          // Errors (loading or completing) go to stderr, which must stay empty.
          const script = `aws-mfa-refresh completion powershell | Out-String | Invoke-Expression
function t([string]$line) {
  $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
  "$line=> " + (($r.CompletionMatches | ForEach-Object { $_.CompletionText }) -join ' ')
}
t 'aws-mfa-refresh st'
t 'aws-mfa-refresh --profile '
t 'aws-mfa-refresh exec -p b'
t 'aws-mfa-refresh status --al'
t 'aws-mfa-refresh keys --h'
t 'aws-mfa-refresh env --format p'
t 'aws-mfa-refresh policy --format t'
t 'aws-mfa-refresh --profile it'`;
          // -EncodedCommand (UTF-16LE, base64): the script whole, no quoting, no execution policy for a file.
          const encoded = Buffer.from(script, 'utf16le').toString('base64');
          const r = await runProcess(exe, ['-NoProfile', '-NonInteractive', '-EncodedCommand', encoded], {
            env,
            timeoutMs: 120_000,
          });
          expect(r.stderr).toBe('');
          const lines = r.stdout.split(/\r?\n/);
          expect(lines).toContain('aws-mfa-refresh st=> status');
          expect(lines).toContain("aws-mfa-refresh --profile => alpha-long-term beta default 'it''s mine'");
          expect(lines).toContain('aws-mfa-refresh exec -p b=> beta');
          expect(lines).toContain('aws-mfa-refresh status --al=> --all');
          expect(lines).toContain('aws-mfa-refresh keys --h=> --help'); // a one-row table stays a row
          expect(lines).toContain('aws-mfa-refresh env --format p=> powershell');
          expect(lines).toContain('aws-mfa-refresh policy --format t=> terraform');
          expect(lines).toContain("aws-mfa-refresh --profile it=> 'it''s mine'");
          expect(r.code).toBe(0);
        },
        60_000,
      );
    }
  }
});
