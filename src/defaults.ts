/** Defaults shared by flags and logic; kept apart so that defining flags loads nothing heavy. */
export const DEFAULT_MAX_MFA_AGE = 43200;
export const DEFAULT_DURATION = 43200;
export const DEFAULT_MIN_REMAINING = 30 * 60;
export const DEFAULT_TIMEOUT = 10;
