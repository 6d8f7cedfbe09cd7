/**
 * Where prompts go. Prompts are drawn on stderr so stdout stays clean for `--json`,
 * `eval "$(aws-mfa-refresh env)"` and pipes; they need a person at a terminal on both ends.
 */
import { ExitCode, UserError } from '../errors.js';
import type { Platform } from '../platform/platform.js';
import { holdNodeExit } from '../platform/early-exit.js';

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
 * (an SDK running credential_process), or whose stdin is a pipe (`… | aws-mfa-refresh exec -- cmd`).
 * POSIX: /dev/tty, read-write. Windows: \\.\CONIN$ (read-write: raw mode needs it) and \\.\CONOUT$.
 * Undefined when the process has no terminal.
 */
export async function controllingTerminal(
  platform?: Platform,
  openSync?: (path: string, flags: string) => number,
): Promise<PromptStreams | undefined> {
  const fs = await import('node:fs');
  const tty = await import('node:tty');
  const { currentPlatform } = await import('../platform/platform.js');
  const open = openSync ?? fs.openSync;
  const { input, output } = (platform ?? currentPlatform()).terminal;
  const fds: number[] = [];
  try {
    fds.push(open(input, 'r+'));
    if (output !== input) fds.push(open(output, 'w'));
  } catch {
    fds.forEach((fd) => fs.closeSync(fd));
    return undefined;
  }
  if (!fds.every((fd) => tty.isatty(fd))) {
    fds.forEach((fd) => fs.closeSync(fd));
    return undefined;
  }
  holdNodeExit(); // what the prompt wrote there must reach the terminal (asynchronous on Windows)
  return { input: new tty.ReadStream(fds[0]!), output: new tty.WriteStream(fds[1] ?? fds[0]!) };
}

/** Closes what controllingTerminal opened (raw mode is left by the prompt before). */
export function closeTerminal(streams: PromptStreams | undefined): void {
  (streams?.input as { destroy?: () => void } | undefined)?.destroy?.();
  (streams?.output as { destroy?: () => void } | undefined)?.destroy?.();
}
