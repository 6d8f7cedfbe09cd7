import { Command, CommanderError } from 'commander';
import { ExitCode, EXIT_CODE_MEANINGS } from '../exit-codes.js';
import { VERSION } from '../version.js';
import { PROGRAM, reportError } from './output.js';
import { dotfilesLine } from '../config/hints.js';
import { addRefreshCommand } from './refresh-command.js';
import { addStatusCommand } from './status-command.js';
import { addDevicesCommand } from './devices-command.js';
import { addCompletionCommand } from './completion-command.js';
import { addSetupCommand } from './setup-command.js';
import { addPolicyCommand } from './policy-command.js';
import { addDoctorCommand } from './doctor-command.js';
import { addRolesCommand } from './roles-command.js';
import { addCredentialProcessCommand, addEnvCommand, addExecCommand } from './session-commands.js';
import { addKeysCommand } from './keys-command.js';
import { addInitCommand } from './init-command.js';
import { endQuietlyWhenOutputCloses } from './closed-output.js';

export function buildProgram(): Command {
  const program = new Command(PROGRAM)
    .description(
      'Refresh an MFA-backed AWS session into ~/.aws/credentials, so plain `aws` commands and every SDK just work.',
    )
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: () => {} }); // commander's own errors are re-printed as one line below
  addRefreshCommand(program);
  addStatusCommand(program);
  addDevicesCommand(program);
  addEnvCommand(program);
  addExecCommand(program);
  addCredentialProcessCommand(program);
  addSetupCommand(program);
  addPolicyCommand(program);
  addRolesCommand(program);
  addDoctorCommand(program);
  addKeysCommand(program);
  addCompletionCommand(program);
  addInitCommand(program);
  program.addHelpText(
    'after',
    `
Examples:
  $ aws-mfa-refresh                                   # the morning refresh (asks only when needed)
  $ alias awsmfa='aws-mfa-refresh -q'                 # morning alias
  $ aws-mfa-refresh init zsh --install                # the shell hook: prints its line for ~/.zshrc
  $ ${dotfilesLine().padEnd(49)} # dotfiles line without the hook: refresh at login, only in a terminal
  $ aws-mfa-refresh exec -- aws s3 ls                 # run one command with the session
  $ eval "$(aws-mfa-refresh env)"                     # put the session into this shell
  $ aws-mfa-refresh roles --fix                       # role profiles: one code a day for every account
  credential_process = aws-mfa-refresh credential-process --profile work   # in [profile work-sdk] of ~/.aws/config

${exitCodesHelp()}`,
  );
  for (const sub of program.commands) {
    // Remember which command failed, so its usage error can point to its own --help.
    sub
      .exitOverride((error) => {
        throw Object.assign(error, { commandName: sub.name() });
      })
      .configureOutput({ writeErr: () => {} });
  }
  return program;
}

/** The one line for a commander usage error: what is wrong, and the --help that explains it. */
export function usageLine(program: Command, error: CommanderError, argv: readonly string[]): string {
  const words = argv.slice(2);
  const commands = program.commands.map((c) => c.name());
  const failed = (error as { commandName?: string }).commandName;
  const refresh = program.commands.find((c) => c.name() === 'refresh');
  // The default command got a word it takes no argument for: a mistyped command (`statuss`).
  const implicit = failed === 'refresh' && !words.includes('refresh');
  const unknownWord =
    error.code === 'commander.excessArguments' && implicit
      ? refresh?.args[0]
      : error.code === 'commander.help' && words.includes('help')
        ? words[words.indexOf('help') + 1]
        : undefined;
  if (unknownWord !== undefined) {
    const near = closest(unknownWord, commands);
    return `unknown command '${unknownWord}'${near ? ` (did you mean ${near}?)` : ''}. Run ${PROGRAM} --help for the commands.`;
  }
  const message = error.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ');
  const help = failed && !implicit ? `${PROGRAM} ${failed} --help` : `${PROGRAM} ${failed ? 'refresh ' : ''}--help`;
  return `${message.replace(/\.?$/, '.')} Run ${help} for usage.`;
}

/** The candidate within an edit distance of 2 (or a third of the word), if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word.toLowerCase(), name);
    if (distance <= Math.max(2, Math.floor(name.length / 3)) && (!best || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

function exitCodesHelp(): string {
  return [
    'Exit codes:',
    ...EXIT_CODE_MEANINGS.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  endQuietlyWhenOutputCloses();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return ExitCode.Ok;
      process.stderr.write(`${PROGRAM}: ${usageLine(program, error, argv)}\n`);
      return ExitCode.Usage;
    }
    return reportError(error, argv.includes('--debug'));
  }
}
