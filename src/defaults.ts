/**
 * Every default, in one place: the flag table (src/cli/flags.ts) shows them in --help and the
 * resolver (src/config/resolve.ts) applies them. Plain numbers, so defining flags loads nothing heavy.
 */
export const DEFAULT_MAX_MFA_AGE = 43200;
export const DEFAULT_DURATION = 43200;
export const DEFAULT_MIN_REMAINING = 30 * 60;
/** Seconds to wait for AWS (all retries included). */
export const DEFAULT_TIMEOUT = 10;
/** Seconds to wait for a code on stdin or from a code command. */
export const DEFAULT_INPUT_TIMEOUT = 60;
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_PROFILE = 'default';
/** The source profile when neither --source-profile nor source_profile names one. */
export const longTermProfileOf = (profile: string): string => `${profile}-long-term`;
