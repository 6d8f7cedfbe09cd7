/**
 * Installed hooks: $XDG_DATA_HOME/aws-mfa-refresh/hook.<bash|zsh|fish|ps1> (default ~/.local/share;
 * Windows: %LOCALAPPDATA%\aws-mfa-refresh), sourced by one line in the rc file, so that no shell start
 * runs `eval "$(aws-mfa-refresh init …)"` (a Node start). Each refresh rewrites installed hooks older
 * than the tool, with their own options. Home, directories and rc files follow the platform seam.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { currentPlatform, type Platform } from '../platform/platform.js';
import {
  HOOK_FILE_EXT,
  HOOK_SHELLS,
  hookScript,
  parseHookHeader,
  quoteFish,
  quotePosix,
  quotePowerShell,
  type HookOptions,
  type HookShell,
} from './hook.js';

export function hooksDir(env: NodeJS.ProcessEnv = process.env, platform: Platform = currentPlatform()): string {
  return platform.dataDir(env);
}

export function hookFile(
  shell: HookShell,
  env: NodeJS.ProcessEnv = process.env,
  platform: Platform = currentPlatform(),
): string {
  return platform.path.join(hooksDir(env, platform), `hook.${HOOK_FILE_EXT[shell]}`);
}

/** The rc file the shell reads, for the message around the source line (macOS bash: ~/.bash_profile). */
export function rcFileOf(shell: HookShell, platform: Platform = currentPlatform()): string {
  return platform.rcFile(shell === 'powershell' ? 'pwsh' : shell);
}

/** The one line for the rc file; `~/…` when the file is under the home directory and needs no quoting. */
export function sourceLine(
  shell: HookShell,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: Platform = currentPlatform(),
): string {
  const h = platform.home(env).replace(/[\\/]+$/, '');
  const win = platform.kind === 'win32';
  const under = file.startsWith(`${h}/`) || (win && file.startsWith(`${h}\\`));
  // PowerShell and Git Bash take / on Windows too; elsewhere a backslash is part of a name.
  const rest = under ? (win ? file.slice(h.length + 1).replace(/\\/g, '/') : file.slice(h.length + 1)) : undefined;
  const plain = rest !== undefined && /^[\w./-]+$/.test(rest);
  if (shell === 'powershell') return `. ${plain ? `"$HOME/${rest}"` : quotePowerShell(file)}`;
  const quote = shell === 'fish' ? quoteFish : quotePosix;
  return `source ${plain ? `~/${rest}` : quote(file)}`;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

export async function installHook(
  shell: HookShell,
  opts: HookOptions,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: Platform = currentPlatform(),
): Promise<{ file: string; line: string }> {
  const file = hookFile(shell, env, platform);
  await writeAtomic(file, hookScript(shell, opts, version));
  return { file, line: sourceLine(shell, file, env, platform) };
}

/** -1, 0, 1 as a is older than, the same as, newer than b (x.y.z, a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('-', 2);
    return { nums: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/**
 * Rewrites every installed hook written by an older version, keeping its options. Hand-edited hooks
 * (no header line) are left alone. Never throws: a refresh must not fail over it.
 */
export async function refreshInstalledHooks(
  version: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: Platform = currentPlatform(),
): Promise<string[]> {
  const rewritten: string[] = [];
  await Promise.all(
    HOOK_SHELLS.map(async (shell) => {
      const file = hookFile(shell, env, platform);
      try {
        const header = parseHookHeader(await readFile(file, 'utf8'));
        if (!header || header.shell !== shell || compareVersions(header.version, version) >= 0) return;
        const opts: HookOptions = {
          wrapAws: header.wrapAws,
          warnWithinSeconds: header.warnWithin,
          ...(header.profile !== null && { profile: header.profile }),
        };
        await writeAtomic(file, hookScript(shell, opts, version));
        rewritten.push(file);
      } catch {
        // Not installed, or not ours to fix now.
      }
    }),
  );
  return rewritten;
}
