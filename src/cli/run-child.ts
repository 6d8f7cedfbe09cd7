import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { UserError } from '../errors.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * Runs the command with inherited stdio; secrets travel in `env` only, never in argv.
 * Signals we receive are passed on; the result is the child's exit code (128+N when a signal ended it).
 */
export function runChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // Listen before spawning: a signal that lands between the spawn and the listeners would
    // otherwise kill us with the default action and leave the child running on its own.
    const pending: NodeJS.Signals[] = [];
    // eslint-disable-next-line prefer-const -- assigned after the listeners that read it
    let child: ChildProcess | undefined;
    const forward = (signal: NodeJS.Signals) => {
      if (!child) pending.push(signal);
      else if (child.exitCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = () => FORWARDED.forEach((s) => process.removeListener(s, forward));
    child = spawn(command, args, { env, stdio: 'inherit' });
    for (const s of pending) child.kill(s);
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(
        error.code === 'ENOENT'
          ? new UserError(`Command not found: ${command}.`, 127, 'Check its name or PATH.')
          : new UserError(`Cannot run ${command}: ${error.message}.`, 126),
      );
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
