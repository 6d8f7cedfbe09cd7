/**
 * A usable session for `env`, `exec` and `credential-process`: the one on disk when it is usable,
 * else (when allowed) a fresh one, else a one-line error saying how to get one.
 */
import { ExitCode, UserError } from '../errors.js';
import { refreshCommand } from '../config/hints.js';
import { resolveProfile, type ProfileFlags } from '../config/resolve.js';
import { judge, describeState, type ProfileSession } from '../profiles/session-state.js';
import type { Profile, SessionInfo } from '../profiles/session.js';
import type { AwsFiles } from '../profiles/aws-files.js';
import { loadFiles, type Deps } from './deps.js';

export interface EnsureOptions {
  flags: ProfileFlags;
  /** Refresh when the session is not usable (else fail with exit 1 and say how to refresh). */
  refresh: boolean;
  /** The files as the caller has just read them: the first look uses them instead of reading again. */
  files?: AwsFiles;
}

export type UsableSession = ProfileSession & { session: SessionInfo; values: Profile };

export async function ensureSession(
  opts: EnsureOptions,
  runRefresh: () => Promise<unknown>,
  deps: Pick<Deps, 'env' | 'now' | 'platform'>,
): Promise<UsableSession> {
  const req = resolveProfile({ flags: opts.flags, env: deps.env });
  const profile = req.target.value;
  const maxMfaAge = req.maxMfaAge.value;
  const minRemaining = req.minRemaining.value;
  let files = opts.files;
  const look = async () => {
    files ??= await loadFiles(deps.env, deps.platform);
    return judge(profile, files.credentials[profile], maxMfaAge, minRemaining, deps.now());
  };
  let judged = await look();
  if (judged.state !== 'usable' && opts.refresh) {
    await runRefresh();
    files = undefined; // the refresh wrote them
    judged = await look();
  }
  if (judged.state === 'usable' || (opts.refresh && judged.state === 'expiring')) return judged as UsableSession;
  throw new UserError(
    // Name where the profile came from when the environment chose it (`"work" (from AWS_PROFILE)`).
    describeState(judged, deps.now()).replace(`"${profile}"`, req.targetLabel),
    ExitCode.Unexpected,
    `Run: ${refreshCommand(profile)} (or add --refresh).`,
  );
}
