/** How the CLI speaks: results on stdout, everything else on stderr, one line per failure. */
import { fstatSync, statSync, writeSync } from 'node:fs';
import { ExitCode, QuietExit, UserError } from '../errors.js';

export { PROGRAM } from '../config/hints.js';
import { PROGRAM } from '../config/hints.js';

/**
 * A result for a program to read (credential-process, env, --json): one write(2) to fd 1, without
 * creating process.stdout, whose stream machinery (and net, for a pipe) costs more than the rest of
 * the command. Windows consoles need the stream's UTF-16 conversion; a non-blocking pipe that is
 * full (EAGAIN) gets the rest through the stream, which waits.
 */
export function writeResult(text: string): void {
  if (process.platform === 'win32') {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') process.exit(0); // the reader is gone: see closed-output.ts
    if (code !== 'EAGAIN') throw error;
    process.stdout.write(bytes.subarray(offset));
  }
}

/**
 * Whether stdin, stdout or stderr is a terminal. Node's answer (process.stdout.isTTY) creates the
 * stream, loading tty, net or fs/promises and the streams (2–4 ms); a pipe, a file or /dev/null is
 * told apart by fstat alone.
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  if (process.platform !== 'win32') {
    try {
      const stats = fstatSync(fd);
      if (!stats.isCharacterDevice() || stats.rdev === statSync('/dev/null').rdev) return false;
    } catch {
      return false; // closed
    }
  }
  // Each getter creates its stream: only the one asked about.
  return Boolean((fd === 0 ? process.stdin : fd === 1 ? process.stdout : process.stderr).isTTY);
}

/** A stream, or the fd of stdout or stderr when the stream is not needed otherwise. */
type Output = NodeJS.WriteStream | 1 | 2;

export function useColour(output: Output): boolean {
  const terminal = typeof output === 'number' ? isTerminal(output) : Boolean(output.isTTY);
  return terminal && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function paint(output: Output, code: number, text: string): string {
  return useColour(output) ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Long base64-ish runs look like secrets or tokens; never let one reach a log line. */
export function redact(text: string): string {
  return text.replace(/[A-Za-z0-9/+=]{32,}/g, (s) => `${s.slice(0, 4)}…[redacted]`);
}

export function makeDebug(enabled: boolean): (line: string) => void {
  // Milliseconds since the process started: shows where time goes.
  return enabled
    ? (line) => process.stderr.write(`[debug +${Math.round(performance.now())}ms] ${redact(line)}\n`)
    : () => {};
}

export function warn(line: string): void {
  process.stderr.write(`${paint(process.stderr, 33, 'warning:')} ${line}\n`);
}

/** A line for a person who waits (another run holds the code lock): on stderr, even with --quiet. */
export function notice(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints the one-line failure and returns the exit code. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof QuietExit) return error.exitCode; // the command already said why
  if (error instanceof UserError) {
    if (error.exitCode === ExitCode.Interrupted) {
      process.stderr.write('\n');
      return ExitCode.Interrupted;
    }
    const line = [error.message, error.hint].filter(Boolean).join(' ');
    process.stderr.write(`${PROGRAM}: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
    if (debug && error.stack) process.stderr.write(`[debug] ${redact(error.stack)}\n`);
    return error.exitCode;
  }
  const e = error as Error | undefined;
  const message = (e?.message ?? String(error)).split('\n')[0];
  process.stderr.write(
    `${PROGRAM}: unexpected error: ${redact(message ?? '')}. Run again with --debug and report it if it persists.\n`,
  );
  if (debug && e?.stack) process.stderr.write(`[debug] ${redact(e.stack)}\n`);
  return ExitCode.Unexpected;
}
