/**
 * Environment assignments for each shell, quoted so that any value survives `eval`:
 * quotes, `$`, backslashes and newlines included.
 */
export const SHELL_FORMATS = ['bash', 'zsh', 'fish', 'powershell', 'dotenv', 'json'] as const;
export type ShellFormat = (typeof SHELL_FORMATS)[number];

export function defaultFormat(shell = process.env.SHELL ?? ''): ShellFormat {
  const name =
    shell
      .split(/[\\/]/)
      .pop()
      ?.replace(/\.exe$/i, '') ?? '';
  if (name === 'zsh') return 'zsh';
  if (name === 'fish') return 'fish';
  if (name === 'pwsh' || name === 'powershell') return 'powershell';
  return 'bash';
}

/** POSIX single quotes: nothing inside is special; a ' is closed, escaped and reopened. */
function posixQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** fish single quotes: only \\ and \' are escapes. */
function fishQuote(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/** PowerShell verbatim strings: '' is a quote, nothing else is special. */
function powershellQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
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
    case 'dotenv':
      return entries.map(([k, v]) => `${k}=${dotenvQuote(v)}`).join('\n') + '\n';
    case 'json':
      return `${JSON.stringify(set)}\n`;
  }
}
