/**
 * The exit codes: public interface, scripts branch on them. Keep in sync with README "Exit codes".
 * Never reuse a number. 1 is both an unexpected error and, for `status`, `roles` and `doctor`,
 * the check result "not ok" (a QuietExit: the command already printed why, or was asked not to).
 */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  CheckFailed: 1,
  Usage: 2,
  InputNeeded: 3,
  CodeRejected: 4,
  Credentials: 5,
  Unreachable: 6,
  ProfileKind: 7,
  UnreadableFile: 8,
  NotWritable: 9,
  RoleRefused: 10,
  WaitTimedOut: 11,
  KeyStore: 12,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code, for `--help` and the README (same order, same words). */
export const EXIT_CODE_MEANINGS: readonly (readonly [code: number, meaning: string])[] = [
  [ExitCode.Ok, 'ok, or the session is still valid'],
  [ExitCode.Unexpected, 'unexpected error; for status, roles and doctor: the check says "not ok"'],
  [ExitCode.Usage, 'usage: a bad flag, argument or value'],
  [ExitCode.InputNeeded, 'a code or choice is needed and no terminal or stdin can give it'],
  [ExitCode.CodeRejected, 'AWS rejected the MFA code'],
  [ExitCode.Credentials, 'long-term credentials missing, invalid, or would be overwritten'],
  [ExitCode.Unreachable, 'AWS unreachable or timed out'],
  [ExitCode.ProfileKind, "the profile's kind cannot take a session (SSO, credential_process, role, ...)"],
  [ExitCode.UnreadableFile, 'a file the AWS CLI cannot read (duplicates, BOM, not UTF-8, ...)'],
  [ExitCode.NotWritable, 'a file or directory that cannot be written'],
  [ExitCode.RoleRefused, 'a role that cannot be assumed'],
  [ExitCode.WaitTimedOut, "waiting for another run's refresh timed out"],
  [ExitCode.KeyStore, 'the key store is unreachable, locked, unsupported, or the passphrase is wrong'],
  [ExitCode.Interrupted, 'interrupted (Ctrl+C)'],
];
