/**
 * Exit codes are public interface: scripts branch on them. Keep in sync with README "Exit codes".
 */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  InputNeeded: 3,
  CodeRejected: 4,
  Credentials: 5,
  Unreachable: 6,
  UnreadableFile: 8,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

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
