import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { defaultFormat, renderEnv } from '../../src/cli/shell-env.js';

const HOSTILE = {
  AWS_SECRET_ACCESS_KEY: 'it\'s $HOME `id` \\ \\\\ "q" $(echo no)',
  AWS_SESSION_TOKEN: 'line one\nline two\r\n\ttab; rm -rf / #',
  AWS_ACCESS_KEY_ID: "'''",
};

/** Evaluates the output in the real shell and prints each variable as hex, byte for byte. */
function roundTrip(shell: 'bash' | 'zsh' | 'fish'): Record<string, string> {
  const names = Object.keys(HOSTILE);
  const script =
    shell === 'fish'
      ? `cat | source; for n in ${names.join(' ')}; printf '%s=' $n; printf '%s' "$$n" | od -An -tx1 | tr -d ' \\n'; echo; end`
      : `eval "$(cat)"; for n in ${names.join(' ')}; do printf '%s=' "$n"; eval "printf '%s' \\"\\$$n\\"" | od -An -tx1 | tr -d ' \\n'; echo; done`;
  const quiet = { bash: ['--norc', '--noprofile'], zsh: ['-f'], fish: ['--no-config'] }[shell];
  const r = spawnSync(shell, [...quiet, '-c', script], {
    input: renderEnv(shell, HOSTILE, ['AWS_PROFILE']),
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  expect(r.stderr).toBe('');
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('='))
      .map(([k, hex]) => [k!, Buffer.from(hex ?? '', 'hex').toString()]),
  );
}

describe('renderEnv', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    it(`${shell}: quotes, $, backslashes, CR/LF and tabs survive eval byte for byte`, () => {
      expect(roundTrip(shell)).toEqual(HOSTILE);
    });
  }
  it('powershell doubles single quotes; dotenv escapes; json is JSON', () => {
    expect(renderEnv('powershell', { A: "it's" }, ['AWS_PROFILE'])).toBe(
      "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n$Env:A = 'it''s'\n",
    );
    expect(renderEnv('dotenv', { A: 'x"y\\z\nw' })).toBe('A="x\\"y\\\\z\\nw"\n');
    expect(JSON.parse(renderEnv('json', HOSTILE))).toEqual(HOSTILE);
  });
  it('picks the format from $SHELL', () => {
    expect(defaultFormat('/usr/bin/zsh')).toBe('zsh');
    expect(defaultFormat('/usr/local/bin/fish')).toBe('fish');
    expect(defaultFormat('C:\\Program Files\\PowerShell\\7\\pwsh.exe')).toBe('powershell');
    expect(defaultFormat('/bin/bash')).toBe('bash');
    expect(defaultFormat('')).toBe('bash');
  });
});
