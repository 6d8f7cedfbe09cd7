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
