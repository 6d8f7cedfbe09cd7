import { spawn, type ChildProcess } from 'node:child_process';
import { UserError } from '../errors.js';
import { currentPlatform, type Platform } from '../platform/platform.js';
import { isTerminal } from './output.js';

/**
 * Runs the command with inherited stdio; secrets travel in `env` only, never in argv.
 * The result is the child's exit code (128+N when a signal ended it).
 *
 * Signals: we listen to all of them (so none ends us before the child) but pass on only what the
 * child would not get anyway (Platform.forwardedSignals). In a terminal, Ctrl+C and Ctrl+\ reach
 * the whole foreground process group, the child included: passing them on would deliver them twice
 * (terraform: "Two interrupts received. Exiting immediately").
 */
export function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  platform: Platform = currentPlatform(),
  stdinIsTerminal: boolean = isTerminal(0),
): Promise<number> {
  return new Promise((resolve, reject) => {
    const forwarded = platform.forwardedSignals(stdinIsTerminal);
    const listened = platform.waitedSignals;
    // Listen before spawning: a signal that lands between the spawn and the listeners would
    // otherwise kill us with the default action and leave the child running on its own.
    const pending: NodeJS.Signals[] = [];
    let child: ChildProcess | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!forwarded.includes(signal)) return; // the child got it from the terminal itself
      if (!child) pending.push(signal);
      else if (child.exitCode === null) child.kill(signal);
    };
    for (const s of listened) process.on(s, onSignal);
    const done = () => listened.forEach((s) => process.removeListener(s, onSignal));
    const cannotRun = (error: NodeJS.ErrnoException) => {
      done();
      reject(
        error.code === 'ENOENT'
          ? new UserError(`Command not found: ${command}.`, 127, 'Check its name or PATH.')
          : new UserError(`Cannot run ${command}: ${error.message}.`, 126),
      );
    };
    const plan = platform.spawnPlan(command, args, env);
    try {
      child = spawn(plan.file, plan.args, {
        env,
        stdio: 'inherit',
        ...(plan.windowsVerbatimArguments && { windowsVerbatimArguments: true }),
      });
    } catch (error) {
      // Windows throws EINVAL synchronously for a .cmd/.bat started without a shell.
      cannotRun(error as NodeJS.ErrnoException);
      return;
    }
    for (const s of pending) child.kill(s);
    child.on('error', cannotRun);
    child.on('exit', (code, signal) => {
      done();
      if (code !== null) return resolve(code);
      // 128 + the signal's number (os, not loaded at start-up, has the table).
      void import('node:os').then(({ constants }) => resolve(128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  });
}
