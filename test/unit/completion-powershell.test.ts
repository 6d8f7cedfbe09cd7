/**
 * `completion powershell`: PowerShell does not run here, so the generated text is checked: built from
 * the same spec as the bash, zsh and fish scripts (commander's commands and options, which come from
 * flags.ts), every command and flag present, and every string a PowerShell verbatim string that ends
 * where it should whatever the help holds (quotes, $, backticks). A small reader of PowerShell
 * single-quoted strings, written from the language's rules, decodes them back.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { asciiHelp, completionScript, powershellString, specOf, type Spec } from '../../src/cli/completion-command.js';
import { SHELL_FORMATS } from '../../src/cli/shell-env.js';
import { FORMATS as POLICY_FORMATS } from '../../src/policy/options.js';

const QUOTES = /['\u2018-\u201B]/;

/**
 * Reads the single-quoted string starting at `text[at]`: any of ' and U+2018–U+201B opens and closes
 * it, and two of them in a row stand for the second. Returns its value and where it ended.
 */
function readVerbatim(text: string, at: number): { value: string; end: number } {
  if (!QUOTES.test(text[at] ?? '')) throw new Error(`no string at ${at}`);
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    if (QUOTES.test(text[i]!)) {
      if (QUOTES.test(text[i + 1] ?? '')) {
        value += text[i + 1];
        i++;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += text[i];
  }
  throw new Error('unterminated string');
}

/** The rows `,@('a', 'b')` of the script, decoded. */
function rows(script: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of script.matchAll(/^\s*,@\(/gm)) {
    const first = readVerbatim(script, m.index + m[0].length);
    expect(script.slice(first.end, first.end + 2)).toBe(', ');
    const second = readVerbatim(script, first.end + 2);
    expect(script[second.end]).toBe(')');
    out.push([first.value, second.value]);
  }
  return out;
}

/** The flag table of one command: the rows between `'name' = @(` and its `)`. */
function flagTable(script: string, command: string): Array<[string, string]> {
  const start = script.indexOf(`    ${powershellString(command)} = @(\n`);
  expect(start).toBeGreaterThan(0);
  const end = script.indexOf('\n    )', start);
  return rows(script.slice(start, end));
}

const program = buildProgram();
const spec = specOf(program);
const script = completionScript('powershell', spec);

describe('PowerShell verbatim strings', () => {
  const tricky = [
    "the caller's devices",
    '$AWS_PROFILE, $(Remove-Item x), ${env:HOME}',
    'a `backtick` and `n and `$',
    'double "quotes" stay',
    '\u2018typographic\u2019 \u201Aquotes\u201B end a string too',
    "''",
    '',
  ];

  it('double every quote character and nothing else; the string reads back as written', () => {
    expect(powershellString('it\'s $HOME `n "x"')).toBe("'it''s $HOME `n \"x\"'");
    expect(powershellString('\u2018a\u2019')).toBe("'\u2018\u2018a\u2019\u2019'");
    for (const text of tricky) {
      const quoted = powershellString(text);
      expect(readVerbatim(quoted, 0)).toEqual({ value: text, end: quoted.length });
    }
  });

  it('help goes out in ASCII (PowerShell 5.1 reads our output in the console code page)', () => {
    expect(asciiHelp('900\u2013129600 s, \u2018x\u2019 \u201Cy\u201D\u2026 caf\u00e9\tend')).toBe(
      '900-129600 s, \'x\' "y"... caf? end',
    );
    expect(script).toMatch(/^[\x20-\x7E\n]*$/);
  });
});

describe('completion powershell', () => {
  it('registers a native completer for the command (and npm shims on Windows)', () => {
    expect(script).toContain(
      "Register-ArgumentCompleter -Native -CommandName 'aws-mfa-refresh', 'aws-mfa-refresh.cmd', 'aws-mfa-refresh.ps1' -ScriptBlock {",
    );
    expect(script).toContain('param($wordToComplete, $commandAst, $cursorPosition)');
    expect(script.trimEnd().endsWith('}')).toBe(true);
  });

  it('lists every visible command with its description, as commander knows them', () => {
    const visible = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    expect(visible.length).toBeGreaterThan(10);
    const start = script.indexOf('  $commands = @(\n');
    const commands = rows(script.slice(start, script.indexOf('\n  )', start)));
    expect(commands).toEqual(visible.map((c) => [c.name(), asciiHelp(c.description())]));
  });

  it('gives each command every flag commander registers for it (short and long), with its help', () => {
    for (const command of program.commands) {
      if ((command as unknown as { _hidden?: boolean })._hidden) continue;
      const table = new Map(flagTable(script, command.name()));
      for (const option of command.options) {
        for (const flag of [option.long, option.short].filter(Boolean) as string[]) {
          expect([command.name(), flag, table.get(flag)]).toEqual([
            command.name(),
            flag,
            asciiHelp(option.description),
          ]);
        }
      }
      expect(table.has('--help')).toBe(true);
      expect(table.size).toBe(command.options.flatMap((o) => [o.long, o.short].filter(Boolean)).length + 1);
    }
  });

  it('holds the same flags per command as the bash script (one spec for every shell)', () => {
    const bash = completionScript('bash', spec);
    const withSubcommands = spec.flatMap((c) => [
      c,
      ...(c.subcommands ?? []).map((sc) => ({ ...sc, name: `${c.name} ${sc.name}` })),
    ]);
    expect(withSubcommands.map((c) => c.name)).toContain('keys import');
    for (const c of withSubcommands) {
      const line = bash.split('\n').find((l) => l.startsWith(`    "${c.name}") flags="`))!;
      const bashFlags = line.slice(line.indexOf('flags="') + 7, line.lastIndexOf('"')).split(' ');
      expect([c.name, flagTable(script, c.name).map(([f]) => f)]).toEqual([c.name, bashFlags]);
    }
  });

  it('profile names come from `completion --list-profiles` after -p/--profile/-s/--source-profile, as in every shell', () => {
    for (const shell of ['bash', 'zsh', 'fish', 'powershell'] as const)
      expect(completionScript(shell, spec)).toContain('aws-mfa-refresh completion --list-profiles 2>');
    expect(script).toContain("$profileFlags = @('--profile', '-p', '--source-profile', '-s')");
    // Flags compared case-sensitively (-p is not -P); a value with spaces or quotes goes back quoted.
    expect(script).toContain('if ($profileFlags -ccontains $prev) {');
    // A table of one row (keys: --help) is assigned, not unrolled through an if's output.
    expect(flagTable(script, 'keys')).toEqual([['--help', 'display help for command']]);
    // keys' subcommands complete after it, then their own flags (`keys import --store`).
    expect(script).toContain("    'keys' = @(\n      ,@('import', ");
    expect(flagTable(script, 'keys import').map(([f]) => f)).toContain('--store');
    expect(script).toContain('if (-not $subcommands.ContainsKey($command)) { break }');
    expect(script).toContain('    $candidates = $flags[$key]\n');
    expect(script).toContain(
      `$typed = if ($text -match '[^\\w./:@+=,-]') { "'" + ($text -replace '[''\\u2018-\\u201B]', '$0$0') + "'" } else { $text }`,
    );
  });

  it('--format values per command: env shell formats, policy output formats', () => {
    expect(script).toContain(`    'env' = @(${SHELL_FORMATS.map((f) => `'${f}'`).join(', ')})`);
    expect(script).toContain(`    'policy' = @(${POLICY_FORMATS.map((f) => `'${f}'`).join(', ')})`);
    expect(SHELL_FORMATS).toContain('powershell');
  });

  it('help text with quotes, $ and backticks cannot end its string early nor run anything', () => {
    const hostile: Spec[] = [
      {
        name: 'refresh',
        description: "it's `whoami` $(Remove-Item ~) \u2019; Write-Host pwned; '",
        flags: ['--x', '--help'],
        flagHelp: { '--x': "'; exit; '", '--help': 'help' },
      },
    ];
    const text = completionScript('powershell', hostile);
    expect(rows(text)).toEqual([
      ['refresh', "it's `whoami` $(Remove-Item ~) '; Write-Host pwned; '"],
      ['--x', "'; exit; '"],
      ['--help', 'help'],
    ]);
  });
});
