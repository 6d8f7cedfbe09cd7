/**
 * Shell completion: commands and flags come from the commander program itself; profile names are
 * read from the user's files at completion time (`completion --list-profiles`, no AWS SDK).
 */
import type { Command, Option } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { SHELL_FORMATS } from './shell-env.js';
import { FORMATS as POLICY_FORMATS } from '../policy/options.js';

/** Values of --format, per command. */
const FORMAT_VALUES: Record<string, readonly string[]> = { env: SHELL_FORMATS, policy: POLICY_FORMATS };

const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
const PROFILE_FLAGS = ['--profile', '-p', '--source-profile', '-s'];

export interface Spec {
  name: string;
  flags: string[];
  description: string;
  /** Each flag's help (PowerShell shows it as the tooltip). */
  flagHelp: Record<string, string>;
  /** `keys import`, `keys list`…: completed after their command, with their own flags. */
  subcommands?: Spec[];
}

function flagsOf(options: readonly Option[]): string[] {
  return options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
}

function helpOf(options: readonly Option[]): Record<string, string> {
  const help: Record<string, string> = { '--help': 'display help for command' };
  for (const o of options) for (const f of [o.long, o.short]) if (f) help[f] = o.description;
  return help;
}

export function specOf(program: Command): Spec[] {
  return program.commands
    .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
    .map((c) => ({
      name: c.name(),
      flags: [...flagsOf(c.options), '--help'],
      description: c.description(),
      flagHelp: helpOf(c.options),
      ...(c.commands.length > 0 && { subcommands: specOf(c) }),
    }));
}

/** bash, zsh, fish and PowerShell scripts, all from the same spec (commander's commands and options). */
export function completionScript(shell: (typeof SHELLS)[number], spec: Spec[]): string {
  return { bash: bashScript, zsh: zshScript, fish: fishScript, powershell: powershellScript }[shell](spec);
}

/** Every command and subcommand, named as typed (`keys import`), for the scripts' case tables. */
function allCommands(spec: Spec[]): Spec[] {
  return spec.flatMap((c) => [c, ...(c.subcommands ?? []).map((s) => ({ ...s, name: `${c.name} ${s.name}` }))]);
}

/** Words that complete after `cmd` ('' = the command itself), for the commands that take one. */
function commandWords(spec: Spec[]): Array<[string, Spec[]]> {
  return [
    ['', spec],
    ...spec.flatMap((c): Array<[string, Spec[]]> => (c.subcommands ? [[c.name, c.subcommands]] : [])),
  ];
}

/** The shell's `case` line that keeps reading words while they name a command with subcommands. */
function untilCommand(spec: Spec[], indent: string): string {
  const parents = spec.filter((c) => c.subcommands).map((c) => c.name);
  return parents.length ? `${indent}case $cmd in ${parents.join('|')}) ;; *) break ;; esac` : `${indent}break`;
}

export function addCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh, fish or powershell)')
    .argument('[shell]', SHELLS.join(' | '))
    .option('--list-profiles', 'print the profile names of your AWS files (used by the scripts)')
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(aws-mfa-refresh completion bash)"                     # in ~/.bashrc (macOS: ~/.bash_profile)
  $ source <(aws-mfa-refresh completion zsh)                      # in ~/.zshrc (after compinit)
  $ aws-mfa-refresh completion fish > ~/.config/fish/completions/aws-mfa-refresh.fish
  PS> aws-mfa-refresh completion powershell | Out-String | Invoke-Expression   # in $PROFILE`,
    )
    .action(async (shell: string | undefined, flags: { listProfiles?: boolean }) => {
      if (flags.listProfiles) {
        const { awsFilePaths, loadAwsFiles } = await import('../profiles/aws-files.js');
        const files = await loadAwsFiles(awsFilePaths()).catch(() => ({ credentials: {}, config: {} }));
        const names = new Set([...Object.keys(files.credentials), ...Object.keys(files.config)]);
        process.stdout.write(
          [...names]
            .sort()
            .map((n) => `${n}\n`)
            .join(''),
        );
        return;
      }
      if (!shell || !(SHELLS as readonly string[]).includes(shell)) {
        throw new UserError(
          `completion needs a shell: ${SHELLS.join(', ')}.`,
          ExitCode.Usage,
          'Example: aws-mfa-refresh completion bash.',
        );
      }
      process.stdout.write(completionScript(shell as (typeof SHELLS)[number], specOf(program)));
    });
}

function bashScript(spec: Spec[]): string {
  const cases = allCommands(spec)
    .map((c) => `    "${c.name}") flags="${c.flags.join(' ')}" ;;`)
    .join('\n');
  const words = commandWords(spec)
    .map(
      ([cmd, w]) =>
        `      "${cmd}") COMPREPLY=($(compgen -W "${w.map((c) => c.name).join(' ')}" -- "$cur")); return ;;`,
    )
    .join('\n');
  const defaultFlags = spec.find((c) => c.name === 'refresh')!.flags.join(' ');
  return `# aws-mfa-refresh completion for bash: eval "$(aws-mfa-refresh completion bash)"  (bash 3.2 ignores source <(…))
_aws_mfa_refresh() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" w i flags
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* || \${COMP_WORDS[i-1]} == -* ]] && continue
    cmd="\${cmd:+$cmd }$w"
${untilCommand(spec, '    ')}
  done
  case "$prev" in
    ${PROFILE_FLAGS.join('|')})
      COMPREPLY=($(compgen -W "$(aws-mfa-refresh completion --list-profiles 2>/dev/null)" -- "$cur")); return ;;
    --format)
      case "$cmd" in
${Object.entries(FORMAT_VALUES)
  .map(([c, v]) => `        ${c}) COMPREPLY=($(compgen -W "${v.join(' ')}" -- "$cur")) ;;`)
  .join('\n')}
      esac
      return ;;
  esac
  if [[ "$cur" != -* ]]; then
    case "$cmd" in
${words}
    esac
  fi
  case "$cmd" in
${cases}
    *) flags="${defaultFlags}" ;;
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _aws_mfa_refresh aws-mfa-refresh
`;
}

/** A zsh single-quoted word: everything literal, a quote as '\'' (so `eval "$(…)"` and "caller's" survive). */
function zshQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function zshScript(spec: Spec[]): string {
  const cases = allCommands(spec)
    .map((c) => `    ${zshQuote(c.name)}) flags=(${c.flags.join(' ')}) ;;`)
    .join('\n');
  const words = commandWords(spec)
    .map(
      ([cmd, w]) =>
        `      ${zshQuote(cmd)}) commands=(${w.map((c) => zshQuote(`${c.name}:${c.description}`)).join(' ')}); _describe ${zshQuote(`${cmd || 'aws-mfa-refresh'} command`)} commands; return ;;`,
    )
    .join('\n');
  const defaultFlags = spec.find((c) => c.name === 'refresh')!.flags.join(' ');
  return `#compdef aws-mfa-refresh
# aws-mfa-refresh completion for zsh: source <(aws-mfa-refresh completion zsh)  (after compinit)
_aws_mfa_refresh() {
  local -a commands flags
  local cmd="" i
  for ((i = 2; i < CURRENT; i++)); do
    [[ $words[i] == -* || $words[i-1] == -* ]] && continue
    cmd=\${cmd:+$cmd }$words[i]
${untilCommand(spec, '    ')}
  done
  case $words[CURRENT-1] in
    ${PROFILE_FLAGS.join('|')})
      compadd -- \${(f)"$(aws-mfa-refresh completion --list-profiles 2>/dev/null)"}; return ;;
    --format)
      case $cmd in
${Object.entries(FORMAT_VALUES)
  .map(([c, v]) => `        ${c}) compadd -- ${v.join(' ')} ;;`)
  .join('\n')}
      esac
      return ;;
  esac
  if [[ $words[CURRENT] != -* ]]; then
    case $cmd in
${words}
    esac
  fi
  case $cmd in
${cases}
    *) flags=(${defaultFlags}) ;;
  esac
  compadd -- $flags
}
if (( $+functions[compdef] )); then compdef _aws_mfa_refresh aws-mfa-refresh; fi
`;
}

function fishScript(spec: Spec[]): string {
  const lines = [
    '# aws-mfa-refresh completion for fish: aws-mfa-refresh completion fish > ~/.config/fish/completions/aws-mfa-refresh.fish',
    'complete -c aws-mfa-refresh -f',
    `complete -c aws-mfa-refresh -n __fish_use_subcommand -a '${spec.map((c) => c.name).join(' ')}'`,
  ];
  const withConditions = spec.flatMap((c) => {
    const seen = `__fish_seen_subcommand_from ${c.name}`;
    const own = c.name === 'refresh' ? `'__fish_use_subcommand; or ${seen}'` : `'${seen}'`;
    const subs = c.subcommands ?? [];
    if (subs.length) {
      const names = subs.map((s) => s.name).join(' ');
      lines.push(
        `complete -c aws-mfa-refresh -n '${seen}; and not __fish_seen_subcommand_from ${names}' -a '${names}'`,
      );
    }
    return [
      { c, condition: own },
      ...subs.map((s) => ({ c: s, condition: `'${seen}; and __fish_seen_subcommand_from ${s.name}'` })),
    ];
  });
  for (const { c, condition } of withConditions) {
    for (const f of c.flags) {
      const flag = f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`;
      const profiles = PROFILE_FLAGS.includes(f)
        ? ` -x -a '(aws-mfa-refresh completion --list-profiles 2>/dev/null)'`
        : f === '--format' && FORMAT_VALUES[c.name]
          ? ` -x -a '${FORMAT_VALUES[c.name]!.join(' ')}'`
          : '';
      lines.push(`complete -c aws-mfa-refresh -n ${condition} ${flag}${profiles}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A PowerShell verbatim string: nothing inside is special ($, backticks, double quotes) except ' and
 * the typographic quotes U+2018–U+201B, which also end one: doubled. One line (help never has two).
 */
export function powershellString(text: string): string {
  return `'${text.replace(/\s+/g, ' ').replace(/['\u2018-\u201B]/g, (q) => q + q)}'`;
}

/**
 * Help text in ASCII: Windows PowerShell 5.1 decodes a program's output with the console's code page,
 * so the script carries no byte it could misread (a dash or a typographic quote in help becomes ASCII).
 */
export function asciiHelp(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[\u2010-\u2015]/g, '-')
    .replace(/[\u2018-\u201B]/g, "'")
    .replace(/[\u201C-\u201F]/g, '"')
    .replace(/\u2026/g, '...')
    .replace(/[^\x20-\x7E]/g, '?');
}

/** Rows of a table of pairs (name, help); the leading comma keeps a lone row a pair (PowerShell unrolls arrays). */
function pairRows(rows: Array<[string, string]>, indent: string): string {
  return rows.map(([a, b]) => `${indent},@(${powershellString(a)}, ${powershellString(asciiHelp(b || a))})`).join('\n');
}

function powershellScript(spec: Spec[]): string {
  const flagTables = allCommands(spec)
    .map(
      (c) =>
        `    ${powershellString(c.name)} = @(\n${pairRows(
          c.flags.map((f) => [f, c.flagHelp[f] ?? f]),
          '      ',
        )}\n    )`,
    )
    .join('\n');
  const formats = Object.entries(FORMAT_VALUES)
    .map(([c, v]) => `    ${powershellString(c)} = @(${v.map(powershellString).join(', ')})`)
    .join('\n');
  return `# aws-mfa-refresh completion for PowerShell (5.1 and 7), in $PROFILE:
#   aws-mfa-refresh completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName 'aws-mfa-refresh', 'aws-mfa-refresh.cmd', 'aws-mfa-refresh.ps1' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $commands = @(
${pairRows(
  spec.map((c) => [c.name, c.description]),
  '    ',
)}
  )
  $flags = @{
${flagTables}
  }
  $formats = @{
${formats}
  }
  $subcommands = @{
${spec
  .filter((c) => c.subcommands)
  .map(
    (c) =>
      `    ${powershellString(c.name)} = @(\n${pairRows(
        c.subcommands!.map((sc) => [sc.name, sc.description]),
        '      ',
      )}\n    )`,
  )
  .join('\n')}
  }
  $profileFlags = @(${PROFILE_FLAGS.map(powershellString).join(', ')})
  # The words before the one being completed, the program's name first; the command is the first
  # word that is neither a flag nor a flag's value (as in the bash and zsh scripts), and with its
  # subcommand when it has them (\`keys import\`).
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
  $command = ''
  for ($i = 1; $i -lt $words.Count; $i++) {
    if ($words[$i].StartsWith('-') -or $words[$i - 1].StartsWith('-')) { continue }
    $command = if ($command) { "$command $($words[$i])" } else { $words[$i] }
    if (-not $subcommands.ContainsKey($command)) { break }
  }
  $prev = if ($words.Count -gt 0) { $words[-1] } else { '' }
  $kind = 'ParameterValue'
  if ($profileFlags -ccontains $prev) {
    # Read from your AWS files at completion time, as the other shells do (no AWS call).
    $candidates = @(aws-mfa-refresh completion --list-profiles 2>$null | Where-Object { $_ } | ForEach-Object { ,@($_, $_) })
  } elseif ($prev -ceq '--format') {
    if (-not $formats.ContainsKey($command)) { return }
    $candidates = @($formats[$command] | ForEach-Object { ,@($_, $_) })
  } elseif (-not $command -and -not $wordToComplete.StartsWith('-')) {
    $candidates = $commands
  } elseif ($subcommands.ContainsKey($command) -and -not $wordToComplete.StartsWith('-')) {
    $candidates = $subcommands[$command]
  } else {
    $kind = 'ParameterName'
    # Assigned directly: an if's output is unrolled, and a one-row table (keys: --help) would become its two strings.
    $key = if ($command -and $flags.ContainsKey($command)) { $command } else { 'refresh' }
    $candidates = $flags[$key]
  }
  foreach ($candidate in $candidates) {
    $text = $candidate[0]
    if (-not $text.StartsWith($wordToComplete, [System.StringComparison]::OrdinalIgnoreCase)) { continue }
    # A profile name with spaces or quotes goes back on the line as a verbatim string.
    $typed = if ($text -match '[^\\w./:@+=,-]') { "'" + ($text -replace '[''\\u2018-\\u201B]', '$0$0') + "'" } else { $text }
    [System.Management.Automation.CompletionResult]::new($typed, $text, $kind, $candidate[1])
  }
}
`;
}
