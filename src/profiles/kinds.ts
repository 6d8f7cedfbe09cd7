/**
 * What kind of profile a name is: where botocore (the AWS CLI) and the JS SDK would get its
 * credentials from. Offline; reads only the two files.
 *
 * botocore's order: an assume-role profile (role_arn with source_profile or credential_source,
 * and no web_identity_token_file), then web identity, SSO, static keys of the credentials file,
 * login_session, credential_process, static keys of the config file.
 * The JS SDK's order (resolveProfileData): role, static keys (either file), web identity,
 * credential_process, SSO, login_session.
 */
import { ExitCode, UserError } from '../errors.js';
import type { AwsFiles } from './aws-files.js';
import { SESSION_KEYS, type Profile } from './session.js';

export type ProfileKind = 'role' | 'web-identity' | 'sso' | 'long-term-keys' | 'session' | 'login' | 'process' | 'none';

/** Kinds whose credentials come from somewhere other than keys in the file: never write keys into them. */
export const FOREIGN_KINDS: readonly ProfileKind[] = ['role', 'web-identity', 'sso', 'login', 'process'];

export interface ProfileClass {
  profile: string;
  /** What botocore (the AWS CLI) uses. */
  kind: ProfileKind;
  /** What the JS SDK uses, when it differs. */
  jsKind?: ProfileKind;
  /** For a session: written by us (our keys), by aws-mfa --assume-role (a role session), or another tool. */
  sessionBy?: 'us' | 'aws-mfa-role' | 'other';
  values: Profile;
}

const lowerKeys = (p: Profile | undefined): Profile => {
  const out: Profile = {};
  for (const [k, v] of Object.entries(p ?? {})) if (v !== undefined) out[k.toLowerCase()] ??= v;
  return out;
};

const isRole = (p: Profile) =>
  Boolean(p.role_arn) && Boolean(p.source_profile || p.credential_source) && !p.web_identity_token_file;
const isSso = (p: Profile) => Boolean(p.sso_session || p.sso_start_url);
const hasKeys = (p: Profile) => Boolean(p.aws_access_key_id && p.aws_secret_access_key);
const keysKind = (p: Profile): ProfileKind =>
  p.aws_session_token || p.aws_security_token ? 'session' : 'long-term-keys';

function botocoreKind(config: Profile, credentials: Profile): ProfileKind {
  const merged = { ...config, ...credentials };
  if (isRole(merged)) return 'role';
  if (merged.web_identity_token_file) return 'web-identity';
  if (isSso(merged)) return 'sso';
  if (hasKeys(credentials)) return keysKind(credentials);
  if (merged.login_session) return 'login';
  if (merged.credential_process) return 'process';
  if (hasKeys(config)) return keysKind(config);
  return 'none';
}

function jsSdkKind(merged: Profile): ProfileKind {
  // The JS SDK reads keys case-sensitively.
  if (
    merged.role_arn &&
    ((merged.source_profile && !merged.credential_source) || (merged.credential_source && !merged.source_profile))
  )
    return 'role';
  if (merged.aws_access_key_id && merged.aws_secret_access_key)
    return merged.aws_session_token ? 'session' : 'long-term-keys';
  if (merged.web_identity_token_file && merged.role_arn) return 'web-identity';
  if (merged.credential_process) return 'process';
  if (merged.sso_start_url || merged.sso_account_id || merged.sso_session || merged.sso_region || merged.sso_role_name)
    return 'sso';
  if (merged.login_session) return 'login';
  return 'none';
}

export function classifyProfile(files: AwsFiles, profile: string): ProfileClass {
  const config = lowerKeys(files.config[profile]);
  const credentials = lowerKeys(files.credentials[profile]);
  const kind = botocoreKind(config, credentials);
  const jsKind = jsSdkKind({ ...files.config[profile], ...files.credentials[profile] });
  const values = { ...config, ...credentials };
  const sessionBy =
    kind !== 'session'
      ? undefined
      : /^true$/i.test(credentials.assumed_role ?? '')
        ? 'aws-mfa-role'
        : credentials[SESSION_KEYS.issued] || credentials[SESSION_KEYS.device]
          ? 'us'
          : 'other';
  return { profile, kind, ...(jsKind !== kind && { jsKind }), ...(sessionBy && { sessionBy }), values };
}

/**
 * The kind that forbids writing keys into the profile: what it would be without any keys in the
 * credentials file (keys written there would shadow its credential_process or login_session).
 */
export function writeBlockingKind(files: AwsFiles, profile: string): ProfileKind | undefined {
  const stripped: AwsFiles = {
    ...files,
    credentials: { ...files.credentials, [profile]: withoutKeys(files.credentials[profile]) },
  };
  const { kind, jsKind } = classifyProfile(stripped, profile);
  if (FOREIGN_KINDS.includes(kind)) return kind;
  if (jsKind && FOREIGN_KINDS.includes(jsKind)) return jsKind;
  return undefined;
}

function withoutKeys(p: Profile | undefined): Profile {
  const out: Profile = {};
  const keys = ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token', 'aws_security_token'];
  for (const [k, v] of Object.entries(p ?? {})) if (!keys.includes(k.toLowerCase())) out[k] = v;
  return out;
}

export const KIND_LABEL: Record<ProfileKind, string> = {
  role: 'a role profile',
  'web-identity': 'a web-identity profile',
  sso: 'an SSO profile',
  'long-term-keys': 'a profile with long-term keys',
  session: 'a session profile',
  login: 'a login_session profile',
  process: 'a credential_process profile',
  none: 'a profile without credentials',
};

/** What provides the credentials of a foreign kind, for the one-line refusal. */
export function whatProvides(c: ProfileClass, kind: ProfileKind = c.kind): string {
  const v = c.values;
  switch (kind) {
    case 'role':
      return `its credentials come from assuming ${v.role_arn}${v.source_profile ? ` with profile "${v.source_profile}"` : ` with ${v.credential_source}`}`;
    case 'web-identity':
      return `its credentials come from AssumeRoleWithWebIdentity with the token in ${v.web_identity_token_file}; it needs no MFA session`;
    case 'sso':
      return 'it gets its credentials from `aws sso login` (IAM Identity Center) and needs no MFA session';
    case 'login':
      return 'it gets its credentials from `aws login` and needs no MFA session';
    case 'process':
      return `its credential_process (${v.credential_process}) provides the credentials`;
    default:
      return 'it holds keys';
  }
}

/** One line: the kind, what provides its credentials, and that nothing was written. Exit 7. */
export function profileKindError(c: ProfileClass, kind: ProfileKind): UserError {
  const js =
    c.jsKind && c.jsKind !== c.kind ? ` (the AWS SDK for JavaScript reads it as ${KIND_LABEL[c.jsKind]} instead)` : '';
  const hint =
    kind === 'role'
      ? `Refresh its source session instead: aws-mfa-refresh --profile ${c.values.source_profile ?? c.profile}; see aws-mfa-refresh roles.`
      : 'aws-mfa-refresh wrote nothing; use the profile with the AWS CLI or SDK directly, or name an MFA session profile with --profile.';
  return new UserError(
    `Profile "${c.profile}" is ${KIND_LABEL[kind]}: ${whatProvides(c, kind)}${js}.`,
    ExitCode.ProfileKind,
    hint,
  );
}

/**
 * The checks before a session is written into `profile`: not a kind whose credentials come from
 * elsewhere, and not aws-mfa's role session unless forced (the write then removes its role marks).
 */
export function assertSessionTarget(files: AwsFiles, profile: string, opts: { force?: boolean } = {}): void {
  const blocking = writeBlockingKind(files, profile);
  const c = classifyProfile(files, profile);
  if (blocking) throw profileKindError(c, blocking);
  if (c.sessionBy === 'aws-mfa-role' && !opts.force) {
    const arn = c.values.assumed_role_arn;
    throw new UserError(
      `Profile "${profile}" holds a role session written by aws-mfa --assume-role${arn ? ` (${arn})` : ''}; a refresh would replace it with a session of your IAM user.`,
      ExitCode.ProfileKind,
      'Run again with --force to replace it (assumed_role and assumed_role_arn are removed), or define the role as a role profile: see aws-mfa-refresh roles.',
    );
  }
}
