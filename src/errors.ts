import { ExitCode } from './exit-codes.js';

export { ExitCode } from './exit-codes.js';

/**
 * An error the user can act on. `message` is the one-line cause, `hint` the next step.
 * The CLI prints `aws-mfa-refresh: <message> <hint>` on one line and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** An ExitCode, or a child's exit code passed through (exec). */
    readonly exitCode: number = ExitCode.Unexpected,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * An exit with nothing more to print: the command already said why (status, doctor), was asked to
 * be quiet, or passes a child's exit code on (exec).
 */
export class QuietExit extends UserError {
  constructor(exitCode: number = ExitCode.CheckFailed) {
    super('', exitCode);
    this.name = 'QuietExit';
  }
}
