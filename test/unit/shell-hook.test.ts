import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOOK_SHELLS, hookScript, parseHookHeader } from '../../src/shell/hook.js';
import { compareVersions, sourceLine } from '../../src/shell/install.js';
import {
  formatStamp,
  parseStamp,
  readStamp,
  removeStamp,
  stampFile,
  stampMargin,
  writeStamp,
} from '../../src/shell/stamp.js';

const HOSTILE = 'o\'x$(touch pwned)`id`\\’"';

describe('hookScript', () => {
  it.each(HOOK_SHELLS)('%s: a header that reads back, and no template left over', (shell) => {
    const text = hookScript(shell, { profile: 'work', wrapAws: true, warnWithinSeconds: 600 }, '1.2.3');
    expect(parseHookHeader(text)).toEqual({ version: '1.2.3', shell, profile: 'work', wrapAws: true, warnWithin: 600 });
    expect(text).not.toMatch(/@@[A-Z]+@@|\\\$\{/);
    expect(text).toContain('aws-mfa-refresh 1.2.3');
  });

  it.each(['bash', 'zsh', 'fish'] as const)(
    '%s: the profile survives quoting byte for byte, and nothing in it runs',
    async (shell: 'bash' | 'zsh' | 'fish') => {
      const dir = await mkdtemp(join(tmpdir(), 'amr-hook-'));
      try {
        const file = join(dir, 'hook');
        await writeFile(file, hookScript(shell, { profile: HOSTILE }, '1.0.0'));
        const quiet = { bash: ['--norc', '--noprofile'], zsh: ['-f'], fish: ['--no-config'] }[shell];
        const r = spawnSync(shell, [...quiet, '-c', `source ${file}; printf '%s' "$_amr_profile_flag"`], {
          cwd: dir,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, HOME: dir },
        });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(HOSTILE);
        await expect(stat(join(dir, 'pwned'))).rejects.toThrow();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('the PowerShell hook (pwsh is not installable here: its text is checked)', () => {
  const plain = hookScript('powershell', {}, '1.0.0');
  const wrapped = hookScript(
    'powershell',
    { profile: "o'brien\u2019s", wrapAws: true, warnWithinSeconds: 300 },
    '1.0.0',
  );

  it('quotes the profile for single quotes, doubling straight and typographic quotes', () => {
    expect(wrapped).toContain("$global:AmrProfileFlag = 'o''brien\u2019\u2019s'\n");
    expect(wrapped).toContain('$global:AmrWarnWithin = 300\n');
    expect(plain).toContain("$global:AmrProfileFlag = ''\n");
    expect(plain).toContain('$global:AmrWarnWithin = 900\n');
  });

  it('reads the clock and the files in-process, and starts only aws-mfa-refresh (never date or a shell)', () => {
    expect(plain).toContain('[DateTimeOffset]::UtcNow.ToUnixTimeSeconds()');
    expect(plain).toContain('LastWriteTimeUtc');
    expect(plain).not.toMatch(/\bdate\b|Start-Process|cmd\.exe|bash|\$\(\s*&/i);
    const started = [...plain.matchAll(/& (\$[\w:]+)/g)].map((m) => m[1]);
    expect(new Set(started)).toEqual(new Set(['$bin', '$global:AmrInnerPrompt']));
    expect(plain).toContain('Get-Command aws-mfa-refresh -CommandType Application');
  });

  it('keeps the existing prompt, its $? and $LASTEXITCODE, and wraps it only once', () => {
    expect(plain).toContain('$global:AmrInnerPrompt = $function:prompt');
    expect(plain).toMatch(
      /\$code = \$global:LASTEXITCODE[\s\S]*Update-AmrPrompt -Notice[\s\S]*\$global:LASTEXITCODE = \$code/,
    );
    expect(plain).toContain('if (-not $global:AmrPromptWrapped)');
  });

  it('refreshes only in a terminal, and asks status -q first when the stamp cannot tell', () => {
    expect(plain).toMatch(
      /if \(\$s\.State -eq 0 -or \$s\.State -eq 3 -or -not \(Test-AmrTerminal\)\) \{ return \$true \}/,
    );
    expect(plain).toMatch(/if \(\$s\.State -eq 2\) \{\s*& \$bin status -q --profile \$s\.Profile/);
    expect(plain).toContain('[Console]::IsInputRedirected');
    expect(plain).toContain("GetCommandLineArgs() -match '^-noni'"); // pwsh -NonInteractive
    // A profile the refresh refused (exit 5 or 7) is left alone until an AWS file is newer than the marker.
    expect(plain).toMatch(/if \(\$rc -eq 5 -or \$rc -eq 7\) \{\s*if \(Test-Path [^\n]*WriteAllText\(\$s\.Skip, ''\)/);
    expect(plain).toMatch(/configItem\.LastWriteTimeUtc -gt \$skip\.LastWriteTimeUtc[^\n]*\{\s*\$result\.State = 3/);
    // The refresh's output goes to the host, not into the function's return value.
    expect(plain).toContain('& $bin --profile $s.Profile | Out-Host\n  $rc = $LASTEXITCODE');
  });

  it('defines aws only with --wrap-aws, calling the real aws application with the same arguments', () => {
    expect(plain).not.toContain('function global:aws ');
    expect(wrapped).toContain('function global:aws {');
    expect(wrapped).toContain('Get-Command aws -CommandType Application');
    expect(wrapped).toContain('& $real @args');
  });

  it('has balanced braces and parentheses', () => {
    for (const text of [plain, wrapped]) {
      const code = text.replace(/^#.*$/gm, '').replace(/'[^'\n]*'/g, "''");
      expect(code.split('{').length).toBe(code.split('}').length);
      expect(code.split('(').length).toBe(code.split(')').length);
    }
  });
});

describe('stamps', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('keep min(min-remaining, a quarter of the session) as margin', () => {
    expect(stampMargin(1800, 43200)).toBe(1800);
    expect(stampMargin(1800, 3600)).toBe(900);
    expect(stampMargin(1800)).toBe(1800);
    expect(stampMargin(600, 129600)).toBe(600);
  });

  it('format and parse one line, the path last (it may hold spaces)', () => {
    const s = { okUntil: 100, usableUntil: 1900, credentialsMtime: 50, credentialsFile: '/home/a b/.aws/credentials' };
    expect(formatStamp(s)).toBe('1 100 1900 50 /home/a b/.aws/credentials\n');
    expect(parseStamp(formatStamp(s))).toEqual(s);
    expect(parseStamp('2 100 1900 50 /x\n')).toBeUndefined();
    expect(parseStamp('1 -5 1900 50 /x\n')).toBeUndefined();
  });

  it('are written privately and atomically next to the state, and only for names a shell can find', async () => {
    const home = await mkdtemp(join(tmpdir(), 'amr-stamp-'));
    dirs.push(home);
    const env = { HOME: home, XDG_STATE_HOME: '' };
    const credentials = join(home, 'credentials');
    await writeFile(credentials, '[x]\n');
    const until = new Date(Date.UTC(2030, 0, 1));
    const file = await writeStamp({
      profile: 'work',
      usableUntil: until,
      marginSeconds: 1800,
      credentialsFile: credentials,
      env,
    });
    expect(file).toBe(join(home, '.local/state/aws-mfa-refresh/stamps/work'));
    expect((await stat(file!)).mode & 0o777).toBe(0o600);
    const mtime = Math.floor((await stat(credentials)).mtimeMs / 1000);
    expect(await readFile(file!, 'utf8')).toBe(
      `1 ${until.getTime() / 1000 - 1800} ${until.getTime() / 1000} ${mtime} ${credentials}\n`,
    );
    expect(await readStamp('work', env)).toMatchObject({ okUntil: until.getTime() / 1000 - 1800 });
    await removeStamp('work', env);
    expect(await readStamp('work', env)).toBeUndefined();

    for (const bad of ['a/b', '..', '.']) {
      expect(stampFile(bad, env)).toBeUndefined();
      expect(
        await writeStamp({ profile: bad, usableUntil: until, marginSeconds: 0, credentialsFile: credentials, env }),
      ).toBeUndefined();
    }
    // No credentials file: nothing to vouch for.
    expect(
      await writeStamp({
        profile: 'p',
        usableUntil: until,
        marginSeconds: 0,
        credentialsFile: join(home, 'none'),
        env,
      }),
    ).toBeUndefined();
  });

  it("are rewritten only when their line changes or the credentials file became newer (the hook's -nt test)", async () => {
    const home = await mkdtemp(join(tmpdir(), 'amr-stamp-'));
    dirs.push(home);
    const env = { HOME: home, XDG_STATE_HOME: '' };
    const credentials = join(home, 'credentials');
    await writeFile(credentials, '[x]\n');
    const input = { profile: 'work', usableUntil: new Date(Date.UTC(2030, 0, 1)), marginSeconds: 600 };
    const file = (await writeStamp({ ...input, credentialsFile: credentials, env }))!;
    const first = await stat(file, { bigint: true });
    // The same judgement again (`status` in every prompt): the file is left alone.
    expect(await writeStamp({ ...input, credentialsFile: credentials, env })).toBe(file);
    expect((await stat(file, { bigint: true })).ino).toBe(first.ino);
    // Another line: replaced.
    await writeStamp({ ...input, marginSeconds: 300, credentialsFile: credentials, env });
    const second = await stat(file, { bigint: true });
    expect(second.ino).not.toBe(first.ino);
    // Same line, but the credentials file is now newer than the stamp: replaced, so the hook trusts it again.
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(credentials, '[x]\n');
    await writeStamp({ ...input, marginSeconds: 300, credentialsFile: credentials, env });
    const third = await stat(file, { bigint: true });
    expect(third.ino).not.toBe(second.ino);
    expect(third.mtimeNs >= (await stat(credentials, { bigint: true })).mtimeNs).toBe(true);

    // A credentials path beyond ASCII (the stamp is UTF-8): the same judgement still leaves it alone.
    const accented = join(home, 'crédentials ü');
    await writeFile(accented, '[x]\n');
    const other = (await writeStamp({ ...input, credentialsFile: accented, env }))!;
    const before = await stat(other, { bigint: true });
    expect(await writeStamp({ ...input, credentialsFile: accented, env })).toBe(other);
    expect((await stat(other, { bigint: true })).ino).toBe(before.ino);
  });
});

describe('install helpers', () => {
  it('compare versions numerically, a pre-release before its release', () => {
    expect(compareVersions('0.1.0', '0.1.0')).toBe(0);
    expect(compareVersions('0.9.0', '0.10.0')).toBe(-1);
    expect(compareVersions('1.0.0', '0.99.99')).toBe(1);
    expect(compareVersions('1.0.0-beta.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0', '1.0.0-rc.1')).toBe(1);
  });

  it('print the source line with ~ under HOME, quoted elsewhere', () => {
    const env = { HOME: '/home/me' };
    expect(sourceLine('zsh', '/home/me/.local/share/aws-mfa-refresh/hook.zsh', env)).toBe(
      'source ~/.local/share/aws-mfa-refresh/hook.zsh',
    );
    expect(sourceLine('fish', '/home/me/.local/share/aws-mfa-refresh/hook.fish', env)).toBe(
      'source ~/.local/share/aws-mfa-refresh/hook.fish',
    );
    expect(sourceLine('powershell', '/home/me/.local/share/aws-mfa-refresh/hook.ps1', env)).toBe(
      '. "$HOME/.local/share/aws-mfa-refresh/hook.ps1"',
    );
    expect(sourceLine('bash', "/data/it's/hook.bash", env)).toBe("source '/data/it'\\''s/hook.bash'");
    expect(sourceLine('fish', "/data/it's/hook.fish", env)).toBe("source '/data/it\\'s/hook.fish'");
    expect(sourceLine('powershell', "C:/it's/hook.ps1", env)).toBe(". 'C:/it''s/hook.ps1'");
  });
});
