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
  return (error as { name?: string })?.name === 'ExitPromptError' || (error as { name?: string })?.name === 'AbortPromptError';
}

export class Interrupted extends UserError {
  constructor() {
    super('Interrupted.', 130 as ExitCode);
  }
}

export function needInput(what: string, hint: string): UserError {
  return new UserError(`${what}, and there is no terminal to ask on.`, ExitCode.InputNeeded, hint);
}
