/**
 * Installed shell hooks follow the platform seam: where they go, the home the source line is relative
 * to (USERPROFILE on Windows, as PowerShell's $HOME; HOME ignored there) and the rc file named.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlatform, systemFacts, type PlatformKind } from '../../src/platform/platform.js';
import { hookFile, installHook, rcFileOf, sourceLine } from '../../src/shell/install.js';

const on = (kind: PlatformKind) => makePlatform(kind, systemFacts());

describe('installed hooks through the platform seam', () => {
  const winEnv = {
    HOME: '/c/msys64/home/u', // set by MSYS; botocore and PowerShell ignore it
    USERPROFILE: 'C:\\Users\\u',
    LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local',
  };

  it('Windows: under %LOCALAPPDATA%, sourced relative to $HOME (USERPROFILE), with /', () => {
    const file = hookFile('powershell', winEnv, on('win32'));
    expect(file).toBe('C:\\Users\\u\\AppData\\Local\\aws-mfa-refresh\\hook.ps1');
    expect(sourceLine('powershell', file, winEnv, on('win32'))).toBe(
      '. "$HOME/AppData/Local/aws-mfa-refresh/hook.ps1"',
    );
    // Git Bash on Windows: the same directory, ~ relative.
    expect(sourceLine('bash', hookFile('bash', winEnv, on('win32')), winEnv, on('win32'))).toBe(
      'source ~/AppData/Local/aws-mfa-refresh/hook.bash',
    );
    // Outside the home directory: the full path, quoted for PowerShell.
    expect(sourceLine('powershell', "D:\\o'hook\\hook.ps1", winEnv, on('win32'))).toBe(". 'D:\\o''hook\\hook.ps1'");
  });

  it('Linux and macOS: $XDG_DATA_HOME or ~/.local/share; a backslash in a name stays quoted', () => {
    for (const kind of ['linux', 'darwin', 'wsl'] as const) {
      expect(hookFile('zsh', { HOME: '/home/me' }, on(kind))).toBe('/home/me/.local/share/aws-mfa-refresh/hook.zsh');
      expect(hookFile('fish', { HOME: '/home/me', XDG_DATA_HOME: '/d' }, on(kind))).toBe(
        '/d/aws-mfa-refresh/hook.fish',
      );
    }
    expect(sourceLine('bash', '/home/me/a\\b/hook.bash', { HOME: '/home/me' }, on('linux'))).toBe(
      "source '/home/me/a\\b/hook.bash'",
    );
  });

  it('the rc file named: ~/.bash_profile for bash on macOS, ~/.bashrc on Linux, $PROFILE for PowerShell', () => {
    expect(rcFileOf('bash', on('darwin'))).toBe('~/.bash_profile');
    expect(rcFileOf('bash', on('linux'))).toBe('~/.bashrc');
    expect(rcFileOf('zsh', on('darwin'))).toBe('~/.zshrc');
    expect(rcFileOf('fish', on('linux'))).toBe('~/.config/fish/config.fish');
    expect(rcFileOf('powershell', on('win32'))).toBe('$PROFILE');
    expect(rcFileOf('powershell', on('linux'))).toBe('$PROFILE');
  });

  it('installs where the platform says, and returns the line', async () => {
    const home = mkdtempSync(join(tmpdir(), 'install-platform-'));
    try {
      const { file, line } = await installHook(
        'zsh',
        { wrapAws: false, warnWithinSeconds: 600 },
        '9.9.9',
        { HOME: home },
        on('linux'),
      );
      expect(file).toBe(join(home, '.local', 'share', 'aws-mfa-refresh', 'hook.zsh'));
      expect(line).toBe('source ~/.local/share/aws-mfa-refresh/hook.zsh');
      expect(readFileSync(file, 'utf8')).toMatch(/9\.9\.9/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the per-device code lock lives in the platform state directory, next to the used codes', () => {
  it('Windows: %LOCALAPPDATA% (HOME ignored); elsewhere $XDG_STATE_HOME or ~/.local/state', async () => {
    const { codeLockFile } = await import('../../src/mfa/code-lock.js');
    const device = 'arn:aws:iam::123456789012:mfa/alice';
    const env = { HOME: '/c/msys64/home/u', USERPROFILE: 'C:\\Users\\u', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' };
    expect(codeLockFile(device, env, on('win32'))).toMatch(
      /^C:\\Users\\u\\AppData\\Local\\aws-mfa-refresh\\locks\\[0-9a-f]{32}\.lock$/,
    );
    expect(codeLockFile(device, { HOME: '/home/me' }, on('linux'))).toMatch(
      /^\/home\/me\/\.local\/state\/aws-mfa-refresh\/locks\/[0-9a-f]{32}\.lock$/,
    );
    expect(codeLockFile(device, { HOME: '/home/me', XDG_STATE_HOME: '/s' }, on('darwin'))).toMatch(
      /^\/s\/aws-mfa-refresh\/locks\//,
    );
  });
});
