/**
 * A role profile as target: follow source_profile to the first profile that is not a role (S),
 * make sure S holds a usable MFA session (refreshing it by the usual rules), then assume the role
 * with S's session: one sts:AssumeRole, never with a SerialNumber (the session carries the MFA context).
 */
import { ExitCode, UserError } from '../errors.js';
import type { AwsConnection, RoleCredentials } from '../aws/types.js';
import { resolveProfile, type ProfileFlags } from '../config/resolve.js';
import type { AwsFiles } from '../profiles/aws-files.js';
import { KIND_LABEL, classifyProfile, whatProvides } from '../profiles/kinds.js';
import type { Profile } from '../profiles/session.js';
import { ROLE_CHAINING_MAX_SECONDS, roleChain, type RoleChain } from '../roles/chain.js';
import { readCachedRole, writeCachedRole, type CachedRole, type RoleCacheKey } from '../roles/cache.js';
import { loadFiles, type Deps } from './deps.js';
import type { RefreshIo, RefreshOptions } from './refresh.js';

/** What the caller did to make S usable. */
export interface SourceSession {
  refreshed: boolean;
  usableUntil: Date;
  /** S's profile in the credentials file (secrets: never print). */
  values: Profile;
}

export interface RoleSessionOptions {
  flags: ProfileFlags;
  /** The files as the caller has just read them (read here otherwise). */
  files?: AwsFiles;
  /** Take role credentials from the cache when good (credential-process, env, exec); refresh checks the role afresh. */
  useCache: boolean;
  /** Makes S usable: refresh's rules (skip while usable; at most one code), or ensureSession's. */
  ensureSource: (sourceProfile: string) => Promise<SourceSession>;
  debug?: (line: string) => void;
}

export interface RoleSession {
  profile: string;
  roleArn: string;
  chain: string[];
  sourceProfile: string;
  source: SourceSession;
  credentials: CachedRole;
  fromCache: boolean;
}

/** Why a role profile cannot be served from an MFA session: one line, exit 7 (or 5 for a missing source). */
export function roleChainError(files: AwsFiles, chain: RoleChain): UserError | undefined {
  const name = chain.profile;
  if (chain.credentialSource) {
    return new UserError(
      `Role profile "${name}" takes its source credentials from credential_source = ${chain.credentialSource}, not from an MFA session.`,
      ExitCode.ProfileKind,
      'Use it with the AWS CLI or SDK directly; aws-mfa-refresh has no session to refresh for it.',
    );
  }
  const fatal = chain.problems.find((p) => ['loop', 'missing-source', 'no-credentials'].includes(p.code));
  if (fatal) {
    return new UserError(
      `Role profile "${name}" cannot be assumed: ${fatal.message}.`,
      fatal.code === 'loop' ? ExitCode.ProfileKind : ExitCode.Credentials,
      'Fix source_profile in ~/.aws/config; aws-mfa-refresh roles lists every role profile and its chain.',
    );
  }
  if (chain.sourceKind === 'long-term-keys') {
    const fix = chain.sessionProfile
      ? `Run aws-mfa-refresh roles --fix to source it from the MFA session profile "${chain.sessionProfile}".`
      : `Run aws-mfa-refresh setup --profile ${chain.source} to turn "${chain.source}" into an MFA session profile, then aws-mfa-refresh roles --fix.`;
    return new UserError(
      `Role profile "${name}" sources from "${chain.source}", which holds long-term keys: the AWS CLI and SDKs ask for an MFA code for every role session.`,
      ExitCode.ProfileKind,
      fix,
    );
  }
  if (!chain.sessionProfile) {
    const c = classifyProfile(files, chain.source!);
    return new UserError(
      `Role profile "${name}" sources from "${chain.source}", ${KIND_LABEL[c.kind]}: ${whatProvides(c)}, so it needs no MFA session.`,
      ExitCode.ProfileKind,
      `Use aws --profile ${name} directly.`,
    );
  }
  return undefined;
}

/** RoleSessionName: [\w+=,.@-]{2,64}, from the IAM user name (or the last part of another ARN). */
export function sessionNameFrom(arn: string): string {
  const last = arn.split(/[/:]/).pop() ?? '';
  const clean = last.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return clean.length >= 2 ? clean : `aws-mfa-refresh-${clean}`.slice(0, 64);
}

export async function roleSession(opts: RoleSessionOptions, deps: Deps): Promise<RoleSession> {
  const debug = opts.debug ?? (() => {});
  const env = deps.env;
  let files = opts.files ?? (await loadFiles(env, deps.platform));
  const req = resolveProfile({ flags: opts.flags, env, files });
  const profile = req.target.value;
  const chain = roleChain(files, profile);
  const problem = roleChainError(files, chain);
  if (problem) throw problem;
  const sourceProfile = chain.sessionProfile!;
  debug(`role profile "${profile}": ${chain.chain.join(' → ')}`);
  if (chain.chain.length > 2) debug('role chain: only the role next to the session is assumed by aws-mfa-refresh');

  const source = await opts.ensureSource(sourceProfile);
  if (source.refreshed) files = await loadFiles(env, deps.platform);
  const role = classifyProfile(files, profile).values;
  const key: RoleCacheKey = {
    roleArn: role.role_arn!,
    roleSessionName: role.role_session_name ?? '',
    externalId: role.external_id ?? '',
    sourceProfile,
    sourceAccessKeyId: source.values.aws_access_key_id ?? '',
  };
  if (opts.useCache) {
    const cached = await readCachedRole(key, deps.now(), env);
    if (cached) {
      debug(`role credentials from the cache, valid until ${cached.expiration.toISOString()}`);
      return {
        profile,
        roleArn: key.roleArn,
        chain: chain.chain,
        sourceProfile,
        source,
        credentials: cached,
        fromCache: true,
      };
    }
  }

  const conn: AwsConnection = {
    credentials: {
      accessKeyId: source.values.aws_access_key_id!,
      secretAccessKey: source.values.aws_secret_access_key!,
      sessionToken: (source.values.aws_session_token ?? source.values.aws_security_token)!,
    },
    region: req.region.value,
    ...(req.endpoint.value && { endpoint: req.endpoint.value }),
    timeoutMs: req.timeoutMs.value,
    progress: false,
    profileName: sourceProfile,
  };
  debug(req.describeConnection(conn));
  const aws = await deps.openAws(conn, debug);
  const roleSessionName = role.role_session_name ?? sessionNameFrom((await aws.callerIdentity()).arn);
  const asked = Number.parseInt(role.duration_seconds ?? '', 10);
  const durationSeconds = Math.min(Number.isNaN(asked) ? ROLE_CHAINING_MAX_SECONDS : asked, ROLE_CHAINING_MAX_SECONDS);
  const assumed: RoleCredentials = await aws.assumeRole({
    roleArn: key.roleArn,
    roleSessionName,
    durationSeconds,
    ...(role.external_id && { externalId: role.external_id }),
  });
  debug(`assumed ${assumed.assumedRoleArn}, valid until ${assumed.expiration.toISOString()}`);
  const credentials: CachedRole = { ...assumed, roleSessionName };
  await writeCachedRole(key, credentials, env);
  return { profile, roleArn: key.roleArn, chain: chain.chain, sourceProfile, source, credentials, fromCache: false };
}

/** The files, and whether the target of these flags is a role profile (botocore's view). */
export async function targetKind(
  flags: ProfileFlags,
  env: NodeJS.ProcessEnv,
): Promise<{ files: AwsFiles; role: boolean }> {
  const files = await loadFiles(env);
  const profile = resolveProfile({ flags, env, files }).target.value;
  return { files, role: classifyProfile(files, profile).kind === 'role' };
}

/** `aws-mfa-refresh --profile ROLE`: refresh S by the usual rules, then check the role with one AssumeRole. */
export async function refreshRole(opts: RefreshOptions, io: RefreshIo, deps: Deps): Promise<RoleSession> {
  return roleSession(
    {
      flags: opts.flags,
      useCache: false,
      debug: io.debug,
      ensureSource: async (sourceProfile) => {
        // The source's refresh reads the files afresh.
        const source = { ...opts, files: undefined, flags: { ...opts.flags, profile: sourceProfile } };
        const { refresh } = await import('./refresh.js');
        const result = await refresh(source, io, deps);
        const files = await loadFiles(deps.env, deps.platform);
        return {
          refreshed: result.refreshed,
          usableUntil: result.usableUntil,
          values: files.credentials[sourceProfile] ?? {},
        };
      },
    },
    deps,
  );
}
