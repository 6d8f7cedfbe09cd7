/**
 * The state of a profile's session, offline: what `status`, `env`, `exec`, `credential-process`
 * and `doctor` look at before deciding whether a refresh is needed. Never loads the AWS SDK.
 */
import type { AwsFiles } from './aws-files.js';
import { formatUntil, holdsLongTermKeys, readSession, type Profile, type SessionInfo } from './session.js';
import { sessionMarginSeconds } from './margin.js';

export type SessionState = 'usable' | 'expiring' | 'expired' | 'missing' | 'long-term';

export interface ProfileSession {
  profile: string;
  state: SessionState;
  session?: SessionInfo;
  /** The raw profile from the credentials file (holds secrets: never print it). */
  values?: Profile;
}

export function judge(
  profile: string,
  values: Profile | undefined,
  maxMfaAgeSeconds: number,
  minRemainingSeconds: number,
  now: number,
): ProfileSession {
  if (holdsLongTermKeys(values)) return { profile, state: 'long-term', ...(values && { values }) };
  const session = readSession(values, maxMfaAgeSeconds);
  if (!session) return { profile, state: 'missing', ...(values && { values }) };
  const left = session.usableUntil.getTime() - now;
  const margin = sessionMarginSeconds(minRemainingSeconds, session) * 1000;
  const state: SessionState = left <= 0 ? 'expired' : left < margin ? 'expiring' : 'usable';
  return { profile, state, session, ...(values && { values }) };
}

/** Profiles of the credentials file that hold a session token. */
export function sessionProfiles(files: AwsFiles): string[] {
  return Object.entries(files.credentials)
    .filter(([, v]) => v.aws_session_token || v.aws_security_token)
    .map(([k]) => k);
}

export function describeState(s: ProfileSession, now = Date.now()): string {
  switch (s.state) {
    case 'missing':
      return `Profile "${s.profile}" holds no MFA session.`;
    case 'long-term':
      return `Profile "${s.profile}" holds long-term keys, not an MFA session.`;
    case 'expired':
      return `The session of profile "${s.profile}" is no longer usable since ${formatUntil(s.session!.usableUntil, new Date(now))}.`;
    case 'expiring':
    case 'usable':
      return `The session of profile "${s.profile}" is usable until ${formatUntil(s.session!.usableUntil, new Date(now))}.`;
  }
}
