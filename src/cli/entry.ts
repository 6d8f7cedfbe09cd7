/**
 * The bundle's entry (dist/cli.cjs, required by bin/aws-mfa-refresh.cjs). The commands that run
 * many times a day are parsed by args.ts from the flag tables and run without loading commander;
 * help, every other command and every usage error go to the commander program (main.ts).
 */
import { ExitCode } from '../exit-codes.js';
import { parseFast, type FastCommand } from './args.js';
import { endQuietlyWhenOutputCloses } from './closed-output.js';
import type { ParsedArgs } from './options.js';
import { reportError } from './output.js';
import { runRefresh } from './refresh-command.js';
import { runCredentialProcess, runEnv, runExec } from './session-commands.js';
import { runStatus } from './status-command.js';

const RUN: Record<FastCommand, (args: ParsedArgs) => Promise<void>> = {
  refresh: runRefresh,
  status: runStatus,
  env: runEnv,
  exec: runExec,
  'credential-process': runCredentialProcess,
};

/** Runs the command line (process.argv) and gives the exit code. */
export async function run(argv: string[]): Promise<number> {
  const fast = parseFast(argv.slice(2));
  if (!fast) {
    const { main } = await import('./main.js');
    return main(argv);
  }
  endQuietlyWhenOutputCloses();
  try {
    await RUN[fast.command](fast.parsed());
    return ExitCode.Ok;
  } catch (error) {
    return reportError(error, argv.includes('--debug'));
  }
}
