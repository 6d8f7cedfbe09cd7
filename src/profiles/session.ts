/**
 * What a profile's session is worth: when it stops being usable.
 *
 * A session issued with MFA stops working at the EARLIER of its expiration and the moment
 * its MFA age passes the policy limit (aws:MultiFactorAuthAge > 43200 denies everything),
 * so a 36 h session is useless after 12 h.
 */

/** Keys this tool writes into (and owns in) the target profile of the credentials file. */
export const SESSION_KEYS = {
  accessKeyId: 'aws_access_key_id',
  secretAccessKey: 'aws_secret_access_key',
  sessionToken: 'aws_session_token',
  expiration: 'expiration',
  issued: 'mfa_issued',
  device: 'mfa_device',
} as const;

/** Keys other tools write for a session's token and its end, in place of ours. */
const FOREIGN_TOKEN_KEYS = ['aws_security_token', 'x_security_token_expires'] as const;

/** Keys other tools write that describe a session; stale once we write ours, so we remove them. */
export const FOREIGN_SESSION_KEYS = [
  ...FOREIGN_TOKEN_KEYS,
  // aws-mfa --assume-role marks its role sessions; a user session written over one is no role session.
  'assumed_role',
  'assumed_role_arn',
] as const;

/** The session keys of a profile in the credentials file that this tool reads and rewrites. */
export const SESSION_PROFILE_KEYS: ReadonlySet<string> = new Set([
  ...Object.values(SESSION_KEYS),
  ...FOREIGN_TOKEN_KEYS,
]);

export type Profile = Record<string, string | undefined>;

export interface SessionInfo {
  accessKeyId: string;
  expiration: Date;
  issued?: Date;
  device?: string;
  /** min(expiration, issued + maxMfaAge) */
  usableUntil: Date;
  /** true when usableUntil is the MFA age limit rather than the expiration */
  limitedByMfaAge: boolean;
}

/**
 * Parses the expiration formats found in the wild:
 * ours and saml2aws's (ISO 8601, `2026-11-28T06:05:42Z`, offsets and fractions allowed) and
 * aws-mfa's (`2026-11-28 06:05:42`, UTC without a zone).
 */
export function parseTimestamp(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const text = value.trim().replace(/^(['"])(.*)\1$/, '$2');
  // Letters spelled in both cases rather than with /i: a case-blind pattern costs several times more to compile.
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const zone = m[8] ?? 'Z';
  const normalisedZone = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${normalisedZone}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * `2026-11-28T06:05:42Z`: ISO 8601 UTC without milliseconds, as AWS prints it. Spelled out because
 * the first toISOString() of a process costs most of a millisecond (V8 11), as much as all the rest
 * of `env`'s printing.
 */
export function formatTimestamp(date: Date): string {
  const year = date.getUTCFullYear();
  // Years outside 0–9999 (and an invalid date, which throws) take toISOString's own rules.
  if (!(year >= 0 && year <= 9999)) return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `${String(year).padStart(4, '0')}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}Z`;
}

/**
 * Long-term keys: an access key without any session token. Never overwrite those. The one
 * predicate for it: key names compared the way botocore (the AWS CLI) compares them, without case,
 * so `AWS_ACCESS_KEY_ID = AKIA…` counts although the JS SDK does not read it.
 */
export function holdsLongTermKeys(profile: Profile | undefined): boolean {
  if (!profile) return false;
  const lower: Profile = {};
  for (const [key, value] of Object.entries(profile)) if (value) lower[key.toLowerCase()] ??= value;
  if (!lower.aws_access_key_id) return false;
  return !lower.aws_session_token && !lower.aws_security_token;
}

/** The session in a profile, or undefined when it holds none we can date. */
export function readSession(profile: Profile | undefined, maxMfaAgeSeconds: number): SessionInfo | undefined {
  if (!profile?.aws_access_key_id) return undefined;
  if (!profile.aws_session_token && !profile.aws_security_token) return undefined;
  const expiration =
    parseTimestamp(profile[SESSION_KEYS.expiration]) ?? parseTimestamp(profile.x_security_token_expires);
  if (!expiration) return undefined;
  const issued = parseTimestamp(profile[SESSION_KEYS.issued]);
  const until = usableUntil(expiration, issued, maxMfaAgeSeconds);
  return {
    accessKeyId: profile.aws_access_key_id,
    expiration,
    ...(issued && { issued }),
    ...(profile[SESSION_KEYS.device] && { device: profile[SESSION_KEYS.device] }),
    usableUntil: until,
    limitedByMfaAge: until < expiration,
  };
}

/** The earlier of the expiration and the moment the MFA age passes the limit (unknown issue time: the expiration). */
export function usableUntil(expiration: Date, issued: Date | undefined, maxMfaAgeSeconds: number): Date {
  if (!issued) return expiration;
  const mfaLimit = new Date(issued.getTime() + maxMfaAgeSeconds * 1000);
  return mfaLimit < expiration ? mfaLimit : expiration;
}

/** `12h 0m`, `45m`, `2d 3h` */
export function formatDuration(ms: number): string {
  const totalMinutes = Math.max(0, Math.floor(ms / 60000));
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  return `${minutes}m`;
}

/**
 * The one time format of human output: local time (`18:05` today, else `2026-11-28 06:05`) and how
 * far away it is: `18:05 (3h 5m left)`, `06:05 (12m ago)`. JSON keeps ISO 8601 UTC (formatTimestamp).
 */
export function formatUntil(date: Date, now = new Date()): string {
  const ms = date.getTime() - now.getTime();
  return `${formatLocalTime(date, now)} (${ms >= 0 ? `${formatDuration(ms)} left` : `${formatDuration(-ms)} ago`})`;
}

/** A local calendar date: `2026-11-28`. */
export function formatLocalDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Local wall-clock time: `18:05` today, else `2026-11-28 06:05`. */
export function formatLocalTime(date: Date, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const sameDay =
    date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? hm : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${hm}`;
}
