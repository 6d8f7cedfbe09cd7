/**
 * Installed hooks: $XDG_DATA_HOME/aws-mfa-refresh/hook.<bash|zsh|fish|ps1> (default ~/.local/share),
 * sourced by one line in the rc file, so that no shell start runs `eval "$(aws-mfa-refresh init …)"`
 * (a Node start). Each refresh rewrites installed hooks older than the tool, with their own options.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
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

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || homedir();
}

export function hooksDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(home(env), '.local', 'share'), 'aws-mfa-refresh');
}

export function hookFile(shell: HookShell, env: NodeJS.ProcessEnv = process.env): string {
  return join(hooksDir(env), `hook.${HOOK_FILE_EXT[shell]}`);
}

/** The rc file each shell reads, for the message around the source line. */
export const RC_FILE: Record<HookShell, string> = {
  bash: '~/.bashrc',
  zsh: '~/.zshrc',
  fish: '~/.config/fish/config.fish',
  powershell: '$PROFILE',
};

/** The one line for the rc file; `~/…` when the file is under HOME and needs no quoting. */
export function sourceLine(shell: HookShell, file: string, env: NodeJS.ProcessEnv = process.env): string {
  const h = home(env).replace(/\/+$/, '');
  const rest = file.startsWith(`${h}/`) ? file.slice(h.length + 1) : undefined;
  const plain = rest !== undefined && /^[\w./-]+$/.test(rest);
  if (shell === 'powershell') return `. ${plain ? `"$HOME/${rest}"` : quotePowerShell(file)}`;
  const quote = shell === 'fish' ? quoteFish : quotePosix;
  return `source ${plain ? `~/${rest}` : quote(file)}`;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

export async function installHook(
  shell: HookShell,
  opts: HookOptions,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ file: string; line: string }> {
  const file = hookFile(shell, env);
  await writeAtomic(file, hookScript(shell, opts, version));
  return { file, line: sourceLine(shell, file, env) };
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
export async function refreshInstalledHooks(version: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const rewritten: string[] = [];
  await Promise.all(
    HOOK_SHELLS.map(async (shell) => {
      const file = hookFile(shell, env);
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
