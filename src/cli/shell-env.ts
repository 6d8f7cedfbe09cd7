/**
 * Environment assignments for each shell, quoted so that any value survives `eval`:
 * quotes, `$`, backslashes and newlines included.
 */
import { ExitCode, UserError } from '../errors.js';
import { currentPlatform, type Platform } from '../platform/platform.js';

export const SHELL_FORMATS = ['bash', 'zsh', 'fish', 'powershell', 'cmd', 'dotenv', 'json'] as const;
export type ShellFormat = (typeof SHELL_FORMATS)[number];

/** From $SHELL; without one, the platform's shell (PowerShell on Windows, where $SHELL is rarely set). */
export function defaultFormat(shell = process.env.SHELL ?? '', platform: Platform = currentPlatform()): ShellFormat {
  return platform.defaultEnvFormat({ SHELL: shell });
}

/** POSIX single quotes: nothing inside is special; a ' is closed, escaped and reopened. */
function posixQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** fish single quotes: only \\ and \' are escapes. */
function fishQuote(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/**
 * PowerShell verbatim strings: nothing is special but the quote, doubled to stay literal. PowerShell
 * also ends a single-quoted string at the typographic quotes U+2018–U+201B (‘ ’ ‚ ‛): doubled too.
 */
function powershellQuote(value: string): string {
  return `'${value.replace(/['\u2018-\u201B]/g, '$&$&')}'`;
}

/**
 * cmd.exe, for `for /f "delims=" %i in ('aws-mfa-refresh env --format cmd') do @%i`: a FOR value
 * is not expanded again, so `%` and `&|<>^` inside "set "K=V"" stay literal. A double quote or a
 * line break cannot be carried at all: refused rather than mangled.
 */
function cmdSet(name: string, value: string): string {
  if (/["\r\n\0]/.test(value)) {
    throw new UserError(
      `${name} holds a double quote or a line break, which cmd.exe cannot take in a variable.`,
      ExitCode.Usage,
      'Use --format powershell (or json) instead.',
    );
  }
  return `set "${name}=${value}"`;
}

/** dotenv double quotes: \n, \" and \\ escapes (what the dotenv family understands). */
function dotenvQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
}

export function renderEnv(format: ShellFormat, set: Record<string, string>, unset: string[] = []): string {
  const entries = Object.entries(set);
  switch (format) {
    case 'bash':
    case 'zsh':
      return (
        [...unset.map((k) => `unset ${k}`), ...entries.map(([k, v]) => `export ${k}=${posixQuote(v)}`)].join('\n') +
        '\n'
      );
    case 'fish':
      return (
        [...unset.map((k) => `set -e ${k}`), ...entries.map(([k, v]) => `set -gx ${k} ${fishQuote(v)}`)].join('\n') +
        '\n'
      );
    case 'powershell':
      return (
        [
          ...unset.map((k) => `Remove-Item Env:${k} -ErrorAction SilentlyContinue`),
          ...entries.map(([k, v]) => `$Env:${k} = ${powershellQuote(v)}`),
        ].join('\n') + '\n'
      );
    case 'cmd':
      return [...unset.map((k) => `set "${k}="`), ...entries.map(([k, v]) => cmdSet(k, v))].join('\r\n') + '\r\n';
    case 'dotenv':
      return entries.map(([k, v]) => `${k}=${dotenvQuote(v)}`).join('\n') + '\n';
    case 'json':
      return `${JSON.stringify(set)}\n`;
  }
}
