/**
 * Where the MFA code comes from, in this order: --code CODE, --code - (one line of stdin),
 * --code-command / mfa_process (a command that prints it), or a prompt.
 * Nothing here waits forever: stdin has a deadline, and no terminal means no prompt.
 */
import { ExitCode, UserError } from '../errors.js';
import { checkCodeFlag, normaliseCode } from '../config/values.js';
import { askCode } from './prompts.js';
import { needInput, terminalStreams, type PromptStreams } from './terminal.js';

export interface CodeRequest {
  serialNumber: string;
  /** The --code value: six digits, or `-` for stdin. */
  flag?: string;
  /** A command that prints the code (--code-command, or mfa_process in config) and where it came from. */
  command?: { command: string; source: string };
  stdinTimeoutMs: number;
}

export async function obtainCode(
  req: CodeRequest,
  promptStreams: () => PromptStreams | undefined = terminalStreams,
): Promise<string> {
  if (req.flag !== undefined && req.flag !== '-') return checkCodeFlag(req.flag);
  if (req.flag === '-') {
    const line = await readLine(process.stdin, req.stdinTimeoutMs);
    const code = normaliseCode(line);
    if (!code)
      throw new UserError(
        'The code read from stdin is not 6 digits.',
        ExitCode.Usage,
        'Send exactly one line with the 6-digit code, e.g. echo 123456 | aws-mfa-refresh --code -.',
      );
    return code;
  }
  if (req.command) {
    const { runCodeCommand } = await import('./code-command.js');
    return runCodeCommand(req.command.command, req.command.source, req.stdinTimeoutMs);
  }
  const streams = promptStreams();
  if (!streams)
    throw needInput('An MFA code is needed', 'Pass it with --code 123456, or --code - to read it from stdin.');
  return askCode(req.serialNumber, streams);
}

/** The first line of a stream; fails with exit 3 at EOF without a line or after the deadline. */
export function readLine(stream: NodeJS.ReadableStream & { unref?: () => void }, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const finish = (error: UserError | undefined, line?: string) => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.pause();
      (stream as { unref?: () => void }).unref?.();
      if (error) reject(error);
      else resolve(line!);
    };
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const nl = buffered.search(/\r?\n/);
      if (nl >= 0) finish(undefined, buffered.slice(0, nl));
    };
    const onEnd = () =>
      buffered.trim()
        ? finish(undefined, buffered)
        : finish(
            new UserError(
              'stdin ended before an MFA code was read.',
              ExitCode.InputNeeded,
              'Pipe the 6-digit code in, e.g. echo 123456 | aws-mfa-refresh --code -.',
            ),
          );
    const onError = (e: Error) =>
      finish(
        new UserError(`Cannot read stdin: ${e.message}.`, ExitCode.InputNeeded, 'Pass the code with --code 123456.'),
      );
    const timer = setTimeout(
      () =>
        finish(
          new UserError(
            `No MFA code arrived on stdin within ${Math.round(timeoutMs / 1000)} s.`,
            ExitCode.InputNeeded,
            'Pipe the code in (echo 123456 | aws-mfa-refresh --code -) or pass --code 123456.',
          ),
        ),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}
