/**
 * Role profiles and where their credentials come from: the source_profile chain down to the first
 * profile that is not a role (S), and what stops the role from working off the MFA session in S
 * without another code. Offline; reads only the two files.
 */
import { longTermProfileOf } from '../defaults.js';
import type { AwsFiles } from '../profiles/aws-files.js';
import { classifyProfile, type ProfileKind } from '../profiles/kinds.js';
import { holdsLongTermKeys } from '../profiles/session.js';

/** AWS limits role sessions assumed with session credentials (role chaining) to one hour. */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

export type RoleProblemCode =
  'missing-source' | 'loop' | 'long-term-source' | 'no-credentials' | 'mfa-serial' | 'duration';

export interface RoleProblem {
  code: RoleProblemCode;
  message: string;
}

export interface RoleChain {
  profile: string;
  roleArn: string;
  /** The role profile, the role profiles it sources from, then S (when there is one). */
  chain: string[];
  /** S: the first profile of the chain that is not a role. */
  source?: string;
  sourceKind?: ProfileKind;
  /** credential_source instead of source_profile (Environment, Ec2InstanceMetadata, EcsContainer). */
  credentialSource?: string;
  /** The MFA session profile S is or should be: S itself when it holds (or can hold) our session. */
  sessionProfile?: string;
  problems: RoleProblem[];
}

/** All profile names of both files, config order first. */
export function profileNames(files: AwsFiles): string[] {
  return [...new Set([...Object.keys(files.config), ...Object.keys(files.credentials)])];
}

export function roleProfiles(files: AwsFiles): string[] {
  return profileNames(files).filter((name) => classifyProfile(files, name).kind === 'role');
}

/** The long-term profile a session profile refreshes from (the resolver's rule without flags). */
export function longTermSourceOf(files: AwsFiles, profile: string): string {
  return files.config[profile]?.source_profile ?? longTermProfileOf(profile);
}

const exists = (files: AwsFiles, name: string) => Boolean(files.config[name] || files.credentials[name]);

/** Long-term keys in the credentials file, or in this tool's key store (`aws-mfa-refresh keys credential-process`). */
export function holdsLongTermCredentials(files: AwsFiles, name: string): boolean {
  if (holdsLongTermKeys(files.credentials[name])) return true;
  const process = files.config[name]?.credential_process ?? '';
  return /(^|[\s/])aws-mfa-refresh(\.c?js)?\s+keys\s+credential-process(\s|$)/.test(process);
}

/** A profile that turns the long-term keys in `longTerm` into sessions, if any. */
export function sessionProfileFor(files: AwsFiles, longTerm: string): string | undefined {
  const candidates = profileNames(files).filter((name) => {
    if (name === longTerm) return false;
    const kind = classifyProfile(files, name).kind;
    return (kind === 'session' || kind === 'none') && longTermSourceOf(files, name) === longTerm;
  });
  if (candidates.length > 0) return candidates[0];
  if (longTerm.endsWith('-long-term')) return longTerm.slice(0, -'-long-term'.length) || undefined;
  return undefined;
}

export function roleChain(files: AwsFiles, profile: string): RoleChain {
  const first = classifyProfile(files, profile).values;
  const result: RoleChain = { profile, roleArn: first.role_arn ?? '', chain: [profile], problems: [] };
  const roles: string[] = [];
  let current = profile;
  for (;;) {
    const c = classifyProfile(files, current);
    // As a source, a profile with static keys gives its keys, even with a role_arn (botocore and the JS SDK).
    const isRole = c.kind === 'role' && (current === profile || !c.values.aws_access_key_id);
    if (!isRole) {
      result.source = current;
      result.sourceKind = c.kind;
      break;
    }
    roles.push(current);
    if (!c.values.source_profile) {
      result.credentialSource = c.values.credential_source;
      return result;
    }
    const next = c.values.source_profile;
    if (result.chain.includes(next)) {
      result.chain.push(next);
      result.problems.push({ code: 'loop', message: `source_profile loops: ${result.chain.join(' → ')}` });
      return result;
    }
    result.chain.push(next);
    // A session profile not written yet is fine: its long-term keys are where a refresh looks.
    if (!exists(files, next) && !holdsLongTermCredentials(files, longTermSourceOf(files, next))) {
      result.problems.push({
        code: 'missing-source',
        message: `source_profile "${next}" of profile "${current}" is in neither file`,
      });
      return result;
    }
    current = next;
  }

  const source = result.source!;
  if (result.sourceKind === 'long-term-keys' || holdsLongTermCredentials(files, source)) {
    result.sourceKind = 'long-term-keys';
    result.problems.push({
      code: 'long-term-source',
      message: `the chain ends at long-term keys in "${source}": every role session needs its own MFA code`,
    });
    const session = sessionProfileFor(files, source);
    if (session) result.sessionProfile = session;
  } else if (result.sourceKind === 'session' || result.sourceKind === 'none') {
    result.sessionProfile = source;
    if (result.sourceKind === 'none' && !holdsLongTermCredentials(files, longTermSourceOf(files, source))) {
      result.problems.push({
        code: 'no-credentials',
        message: `profile "${source}" holds no session, and "${longTermSourceOf(files, source)}" no long-term keys to make one`,
      });
    }
  }
  if (result.sessionProfile) {
    for (const role of roles) {
      const values = classifyProfile(files, role).values;
      if (values.mfa_serial) {
        result.problems.push({
          code: 'mfa-serial',
          message: `profile "${role}" has mfa_serial: the AWS CLI and SDKs ask for a code for every role session although the MFA session needs none`,
        });
      }
      const duration = Number.parseInt(values.duration_seconds ?? '', 10);
      if (duration > ROLE_CHAINING_MAX_SECONDS) {
        result.problems.push({
          code: 'duration',
          message: `profile "${role}" asks for duration_seconds = ${duration}, but roles assumed with session credentials last at most ${ROLE_CHAINING_MAX_SECONDS} s`,
        });
      }
    }
  }
  return result;
}
