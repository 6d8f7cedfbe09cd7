/**
 * The state of a profile's session, offline: what `status`, `env`, `exec` and
 * `credential-process` look at before deciding whether a refresh is needed.
 * Never loads the AWS SDK.
 */
import { awsFilePaths, loadAwsFiles, type AwsFiles } from './profiles/aws-files.js';
import { DEFAULT_MAX_MFA_AGE, DEFAULT_MIN_REMAINING } from './defaults.js';
import { holdsLongTermKeys, readSession, type Profile, type SessionInfo } from './profiles/session.js';

export type SessionState = 'usable' | 'expiring' | 'expired' | 'missing' | 'long-term';

export interface ProfileSession {
  profile: string;
  state: SessionState;
  session?: SessionInfo;
  /** The raw profile from the credentials file (holds secrets: never print it). */
  values?: Profile;
}

export function judge(profile: string, values: Profile | undefined, maxMfaAgeSeconds: number, minRemainingSeconds: number, now = Date.now()): ProfileSession {
  if (holdsLongTermKeys(values)) return { profile, state: 'long-term', ...(values && { values }) };
  const session = readSession(values, maxMfaAgeSeconds);
  if (!session) return { profile, state: 'missing', ...(values && { values }) };
  const left = session.usableUntil.getTime() - now;
  const state: SessionState = left <= 0 ? 'expired' : left < minRemainingSeconds * 1000 ? 'expiring' : 'usable';
  return { profile, state, session, ...(values && { values }) };
}

export async function loadFiles(): Promise<AwsFiles> {
  return loadAwsFiles(awsFilePaths(process.env));
}

/** Profiles of the credentials file that hold a session token. */
export function sessionProfiles(files: AwsFiles): string[] {
  return Object.entries(files.credentials)
    .filter(([, v]) => v.aws_session_token || v.aws_security_token)
    .map(([k]) => k);
}

export interface EnsureOptions {
  profile?: string;
  maxMfaAge?: string;
  minRemaining?: string;
  /** Refresh when the session is not usable (else fail with exit 1 and say how to refresh). */
  refresh: boolean;
}

/**
 * A usable session for `env`, `exec` and `credential-process`: the one on disk when it is usable,
 * else (when allowed) a fresh one, else a one-line error saying how to get one.
 */
export async function ensureSession(
  opts: EnsureOptions,
  runRefresh: () => Promise<unknown>,
): Promise<ProfileSession & { session: SessionInfo; values: Profile }> {
  const { targetProfileName } = await import('./refresh.js');
  const { parseDurationSeconds } = await import('./cli/values.js');
  const profile = targetProfileName(opts.profile);
  const maxMfaAge = parseDurationSeconds(opts.maxMfaAge ?? String(DEFAULT_MAX_MFA_AGE), '--max-mfa-age');
  const minRemaining = parseDurationSeconds(opts.minRemaining ?? String(DEFAULT_MIN_REMAINING), '--min-remaining');
  let judged = judge(profile, (await loadFiles()).credentials[profile], maxMfaAge, minRemaining);
  if (judged.state !== 'usable' && opts.refresh) {
    await runRefresh();
    judged = judge(profile, (await loadFiles()).credentials[profile], maxMfaAge, minRemaining);
  }
  if (judged.state === 'usable' || (opts.refresh && judged.state === 'expiring')) {
    return judged as ProfileSession & { session: SessionInfo; values: Profile };
  }
  const { UserError, ExitCode } = await import('./errors.js');
  throw new UserError(describeState(judged), ExitCode.Unexpected, `Run: aws-mfa-refresh${profile === 'default' ? '' : ` --profile ${profile}`} (or add --refresh).`);
}

export function describeState(s: ProfileSession): string {
  switch (s.state) {
    case 'missing':
      return `Profile "${s.profile}" holds no MFA session.`;
    case 'long-term':
      return `Profile "${s.profile}" holds long-term keys, not an MFA session.`;
    case 'expired':
      return `The session of profile "${s.profile}" is no longer usable (since ${s.session!.usableUntil.toISOString()}).`;
    case 'expiring':
    case 'usable':
      return `The session of profile "${s.profile}" is usable until ${s.session!.usableUntil.toISOString()}.`;
  }
}
