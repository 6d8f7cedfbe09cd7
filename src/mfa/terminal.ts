/**
 * Where prompts go. Prompts are drawn on stderr so stdout stays clean for `--json`,
 * `eval "$(aws-mfa-refresh env)"` and pipes; they need a person at a terminal on both ends.
 */
import { ExitCode, UserError } from '../errors.js';

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

export function terminalStreams(): PromptStreams | undefined {
  if (process.stdin.isTTY && process.stderr.isTTY) return { input: process.stdin, output: process.stderr };
  return undefined;
}

/** Inquirer throws ExitPromptError on Ctrl+C; that is the user saying stop, not a crash. */
export function isPromptAbort(error: unknown): boolean {
  return (
    (error as { name?: string })?.name === 'ExitPromptError' ||
    (error as { name?: string })?.name === 'AbortPromptError'
  );
}

export class Interrupted extends UserError {
  constructor() {
    super('Interrupted.', ExitCode.Interrupted);
  }
}

export function needInput(what: string, hint: string): UserError {
  return new UserError(`${what}, and there is no terminal to ask on.`, ExitCode.InputNeeded, hint);
}

/**
 * The controlling terminal, for callers whose stdout and stderr are captured by someone else
 * (an SDK running credential_process). Undefined when the process has no terminal.
 */
export async function controllingTerminal(): Promise<PromptStreams | undefined> {
  const { openSync } = await import('node:fs');
  const tty = await import('node:tty');
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  if (!tty.isatty(fd)) return undefined;
  const input = new tty.ReadStream(fd);
  const output = new tty.WriteStream(fd);
  return { input, output };
}
