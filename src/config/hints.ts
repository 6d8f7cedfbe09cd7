/** The one builder of "run this to fix it" commands, so every message names the same command. */
import { DEFAULT_PROFILE } from '../defaults.js';

export const PROGRAM = 'aws-mfa-refresh';

/** ` --profile work`, or nothing for the default profile. */
export function profileFlag(profile: string): string {
  return profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`;
}

/** The refresh that puts a session into `profile`: `aws-mfa-refresh --profile work`. */
export function refreshCommand(profile: string): string {
  return `${PROGRAM}${profileFlag(profile)}`;
}

/**
 * The line for a shell's rc file: refresh at login, only when a person is there (with no terminal,
 * as in `ssh host cmd`, `bash -lc`, cron, it does nothing). Printed by `setup`, `--help` and the
 * README; the one place to change it.
 */
export function dotfilesLine(profile: string = DEFAULT_PROFILE): string {
  return `${PROGRAM} --if-interactive -q${profileFlag(profile)}`;
}
