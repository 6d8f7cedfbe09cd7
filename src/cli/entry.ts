/**
 * The bundles' entry. The commands that run many times a day are parsed by args.ts from the flag
 * tables and run without loading commander; help, every other command and every usage error go to
 * the commander program (main.ts).
 *
 * Two bundles are built from it (scripts/build.mjs): dist/cli.cjs holds everything; dist/hot.cjs
 * leaves out what a usable session never needs (commander, the refresh, the prompts, the AWS
 * client). A command of dist/hot.cjs that reaches one of those gets `undefined` from run(): it has
 * only read files so far, and the launcher runs the command line again with dist/cli.cjs.
 */
import { ExitCode } from '../exit-codes.js';
import { mayEndAtOnce } from '../platform/early-exit.js';
import { parseFast, type FastCommand } from './args.js';
import { endQuietlyWhenOutputCloses } from './closed-output.js';
import type { ParsedArgs } from './options.js';
import { makeDebug, reportError } from './output.js';
import { isLeftOut } from './left-out.js';
import { runCredentialProcess, runEnv, runExec } from './session-commands.js';
import { runStatus } from './status-command.js';

const RUN: Record<FastCommand, (args: ParsedArgs) => Promise<void>> = {
  refresh: async (args) => (await import('./refresh-command.js')).runRefresh(args),
  status: runStatus,
  env: runEnv,
  exec: runExec,
  'credential-process': runCredentialProcess,
};

/** Set when a command of the start-up parser has run to its end, result or error reported. */
let fastCommandDone = false;

/** Runs the command line (process.argv) and gives the exit code; undefined: run it with dist/cli.cjs. */
export async function run(argv: string[]): Promise<number | undefined> {
  let fast: ReturnType<typeof parseFast>;
  try {
    fast = parseFast(argv.slice(2));
    if (!fast) {
      const { main } = await import('./main.js');
      return await main(argv);
    }
    endQuietlyWhenOutputCloses();
    await RUN[fast.command](fast.parsed());
    fastCommandDone = true;
    return ExitCode.Ok;
  } catch (error) {
    if (isLeftOut(error)) {
      // The lines --debug printed so far come again from cli.cjs: say why.
      if (argv.includes('--debug')) makeDebug(true)(`${(error as Error).message}: the command starts over in cli.cjs`);
      return undefined;
    }
    const code = reportError(error, argv.includes('--debug'));
    fastCommandDone = fast !== undefined;
    return code;
  }
}

/**
 * Whether the process may end at once, skipping Node's teardown (platform/early-exit.ts): only after
 * a start-up-parser command (a refresh, status, env, exec, credential-process), which has awaited
 * all its work (exec's child has ended).
 */
export function mayExitAtOnce(): boolean {
  return fastCommandDone && mayEndAtOnce();
}
