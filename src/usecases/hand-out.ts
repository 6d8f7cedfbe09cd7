/**
 * The credentials `env`, `exec` and `credential-process` hand out: a session profile's MFA session,
 * or for a role profile the role's credentials, assumed with the MFA session of its source (cached).
 * Profiles whose credentials come from elsewhere (SSO, credential_process, ...) are refused.
 */
import type { ProfileFlags } from '../config/resolve.js';
import { resolveProfile } from '../config/resolve.js';
import { classifyProfile, profileKindError, writeBlockingKind } from '../profiles/kinds.js';
import { SESSION_KEYS } from '../profiles/session.js';
import { ensureSession } from './ensure-session.js';
import { roleSession, type RoleSession } from './role-session.js';
import { loadFiles, type Deps } from './deps.js';

export interface HandedOut {
  profile: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When to stop using them: the role session's end, or the MFA session's usable-until. */
  expiration: Date;
  role?: RoleSession;
  /** The region of the profile (or its source) in the config file, for a child that loses AWS_PROFILE. */
  region?: string;
}

export interface HandOutOptions {
  flags: ProfileFlags;
  /** Refresh the (source) session when it is not usable. */
  refresh: boolean;
  debug?: (line: string) => void;
}

export async function handOut(
  opts: HandOutOptions,
  runRefresh: (profile: string) => Promise<unknown>,
  deps: Deps,
): Promise<HandedOut> {
  const files = await loadFiles(deps.env, deps.platform);
  const req = resolveProfile({ flags: opts.flags, env: deps.env, files });
  const profile = req.target.value;
  const region = req.region.origin.kind === 'config' ? req.region.value : undefined;
  const c = classifyProfile(files, profile);
  if (c.kind === 'role') {
    const role = await roleSession(
      {
        flags: opts.flags,
        files,
        useCache: true,
        ...(opts.debug && { debug: opts.debug }),
        ensureSource: async (sourceProfile) => {
          let refreshed = false;
          const usable = await ensureSession(
            { flags: { ...opts.flags, profile: sourceProfile }, refresh: opts.refresh, files },
            async () => {
              refreshed = true;
              await runRefresh(sourceProfile);
            },
            deps,
          );
          return { refreshed, usableUntil: usable.session.usableUntil, values: usable.values };
        },
      },
      deps,
    );
    const r = role.credentials;
    const end = Math.min(r.expiration.getTime(), role.source.usableUntil.getTime());
    return {
      profile,
      accessKeyId: r.accessKeyId,
      secretAccessKey: r.secretAccessKey,
      sessionToken: r.sessionToken,
      expiration: new Date(end),
      role,
      ...(region && { region }),
    };
  }
  const blocking = writeBlockingKind(files, profile);
  if (blocking) throw profileKindError(c, blocking);
  const { values, session } = await ensureSession(
    { flags: opts.flags, refresh: opts.refresh, files },
    () => runRefresh(profile),
    deps,
  );
  return {
    profile,
    accessKeyId: values[SESSION_KEYS.accessKeyId]!,
    secretAccessKey: values[SESSION_KEYS.secretAccessKey]!,
    sessionToken: (values[SESSION_KEYS.sessionToken] ?? values.aws_security_token)!,
    expiration: session.usableUntil,
    ...(region && { region }),
  };
}
