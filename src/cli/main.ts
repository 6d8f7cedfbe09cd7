import { Command, CommanderError } from 'commander';
import { ExitCode, EXIT_CODE_MEANINGS } from '../exit-codes.js';
import { VERSION } from '../version.js';
import { PROGRAM, reportError } from './output.js';
import { addRefreshCommand } from './refresh-command.js';
import { addStatusCommand } from './status-command.js';
import { addDevicesCommand } from './devices-command.js';
import { addCompletionCommand } from './completion-command.js';
import { addSetupCommand } from './setup-command.js';
import { addPolicyCommand } from './policy-command.js';
import { addDoctorCommand } from './doctor-command.js';
import { addCredentialProcessCommand, addEnvCommand, addExecCommand } from './session-commands.js';
import { addInitCommand } from './init-command.js';

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
  addDoctorCommand(program);
  addCompletionCommand(program);
  addInitCommand(program);
  program.addHelpText(
    'after',
    `
Examples:
  $ aws-mfa-refresh                                   # the morning refresh (asks only when needed)
  $ alias awsmfa='aws-mfa-refresh -q'                 # morning alias
  $ aws-mfa-refresh status -q || aws-mfa-refresh      # dotfiles line: refresh at login when needed
  $ aws-mfa-refresh exec -- aws s3 ls                 # run one command with the session
  $ eval "$(aws-mfa-refresh env)"                     # put the session into this shell
  credential_process = aws-mfa-refresh credential-process --profile default   # in ~/.aws/config

${exitCodesHelp()}`,
  );
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeErr: () => {} });
  return program;
}

function exitCodesHelp(): string {
  return [
    'Exit codes:',
    ...EXIT_CODE_MEANINGS.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return ExitCode.Ok;
      const message = error.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`${PROGRAM}: ${message} Run ${PROGRAM} --help for usage.\n`);
      return ExitCode.Usage;
    }
    return reportError(error, argv.includes('--debug'));
  }
}
