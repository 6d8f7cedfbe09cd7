/**
 * Builds the IAM policy document that enforces MFA. Pure: no I/O, no AWS SDK.
 *
 * Two Deny statements, identical but for their condition, deny every action except the MFA
 * self-service ones (NotAction) to a caller who
 *  1. has no MFA in the request context (long-term access keys, or a session got without a code):
 *     `Null: aws:MultiFactorAuthAge = true` (the key is absent when MFA was not used), or
 *  2. signed in with MFA more than `maxAge` seconds ago: `NumericGreaterThan: aws:MultiFactorAuthAge`.
 * A Deny statement must keep `Resource: "*"`: narrowing it would leave every other resource undenied.
 *
 * With `selfOnly`, Allow statements (AWS's "self-manage an MFA device" example) also grant each user
 * the MFA self-service on their own user and device only, so the policy works on its own.
 */
import { DEFAULT_MAX_MFA_AGE } from '../defaults.js';
import { ExitCode, UserError } from '../errors.js';
import { byCodePoint, exemptActions } from './actions.js';

export const POLICY_VERSION = '2012-10-17';
/** The same as the `--max-mfa-age` default of refresh and status: the policy and the tool must agree. */
export const DEFAULT_MAX_AGE = DEFAULT_MAX_MFA_AGE;
/** IAM counts a managed policy's size without whitespace. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

export const OWN_USER_ARN = 'arn:aws:iam::*:user/${aws:username}';
export const OWN_MFA_ARN = 'arn:aws:iam::*:mfa/${aws:username}';

export const SID_WITHOUT_MFA = 'DenyAllExceptMfaSetupWithoutMfa';
export const SID_STALE_MFA = 'DenyAllExceptMfaSetupWithStaleMfa';

export type Condition = Record<string, Record<string, string>>;

export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource: string | string[];
  Condition?: Condition;
}

export interface PolicyDocument {
  Version: typeof POLICY_VERSION;
  Statement: Statement[];
}

export interface PolicyOptions {
  /** Seconds since MFA sign-in after which everything but MFA self-service is denied. */
  maxAge?: number;
  /** Actions exempted from the Deny besides the defaults (checked, deduplicated, sorted). */
  allow?: readonly string[];
  /** Also grant MFA self-service scoped to the caller's own user and device. */
  selfOnly?: boolean;
}

/**
 * The self-service grants of `--self-only`: AWS's documented self-manage-MFA policy, scoped with the
 * `${aws:username}` policy variable. Actions that support no resource ARN get `*`.
 */
export const SELF_SERVICE_STATEMENTS: readonly Statement[] = [
  {
    Sid: 'AllowViewAccountInfo',
    Effect: 'Allow',
    Action: ['iam:GetAccountPasswordPolicy', 'iam:ListUsers', 'iam:ListVirtualMFADevices'],
    Resource: '*',
  },
  {
    Sid: 'AllowManageOwnVirtualMFADevice',
    Effect: 'Allow',
    Action: ['iam:CreateVirtualMFADevice', 'iam:DeleteVirtualMFADevice'],
    Resource: OWN_MFA_ARN,
  },
  {
    Sid: 'AllowManageOwnUserMFAAndPassword',
    Effect: 'Allow',
    Action: [
      'iam:ChangePassword',
      'iam:DeactivateMFADevice',
      'iam:EnableMFADevice',
      'iam:GetMFADevice',
      'iam:GetUser',
      'iam:ListMFADevices',
      'iam:ResyncMFADevice',
    ],
    Resource: OWN_USER_ARN,
  },
  {
    // `keys rotate`: the user's own access keys. Not exempted from the Deny: usable only with fresh MFA.
    Sid: 'AllowManageOwnAccessKeys',
    Effect: 'Allow',
    Action: [
      'iam:CreateAccessKey',
      'iam:DeleteAccessKey',
      'iam:GetAccessKeyLastUsed',
      'iam:ListAccessKeys',
      'iam:UpdateAccessKey',
    ],
    Resource: OWN_USER_ARN,
  },
];

export function checkMaxAge(seconds: number, source = '--max-age'): number {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new UserError(
      `${source} is ${seconds} s; it must be a positive whole number of seconds.`,
      ExitCode.Usage,
      `Use the same value as refresh's --max-mfa-age, e.g. ${DEFAULT_MAX_AGE} or 12h.`,
    );
  }
  return seconds;
}

export function buildPolicy(options: PolicyOptions = {}): PolicyDocument {
  const maxAge = checkMaxAge(options.maxAge ?? DEFAULT_MAX_AGE);
  const notAction = exemptActions(options.allow ?? []);
  const deny = (Sid: string, Condition: Condition): Statement => ({
    Sid,
    Effect: 'Deny',
    NotAction: [...notAction],
    Resource: '*',
    Condition,
  });
  const statements: Statement[] = [
    ...(options.selfOnly
      ? SELF_SERVICE_STATEMENTS.map((s) => ({ ...s, Action: [...s.Action!].sort(byCodePoint) }))
      : []),
    deny(SID_WITHOUT_MFA, { Null: { 'aws:MultiFactorAuthAge': 'true' } }),
    deny(SID_STALE_MFA, { NumericGreaterThan: { 'aws:MultiFactorAuthAge': String(maxAge) } }),
  ];
  const document: PolicyDocument = { Version: POLICY_VERSION, Statement: statements };
  const size = JSON.stringify(document).length;
  if (size > MANAGED_POLICY_MAX_CHARS) {
    throw new UserError(
      `The policy is ${size} characters; a managed policy holds at most ${MANAGED_POLICY_MAX_CHARS}.`,
      ExitCode.Usage,
      'Pass fewer --allow actions, or wildcards such as iam:List*.',
    );
  }
  return document;
}
