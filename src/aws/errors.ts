/**
 * Maps what the SDK throws, once, to a typed failure: a reason callers switch on, and one line a
 * person can act on, with the documented exit code. Nothing else looks at AWS's message text.
 */
import { ExitCode, UserError } from '../errors.js';

export type AwsCall = 'GetCallerIdentity' | 'ListMFADevices' | 'GetSessionToken' | 'AssumeRole';

export type AwsFailureReason =
  | 'unreachable'
  | 'unknown-key'
  | 'bad-signature'
  | 'clock-skew'
  | 'expired-token'
  | 'invalid-value'
  | 'throttled'
  | 'session-credentials'
  | 'mfa-rejected'
  | 'mfa-device-mismatch'
  | `access-denied:${AwsCall}`
  | 'server-error'
  | 'unexpected';

/** A failed AWS call: `reason` says what went wrong, the message says it to a person. */
export class AwsFailure extends UserError {
  constructor(
    readonly reason: AwsFailureReason,
    readonly call: AwsCall,
    message: string,
    exitCode: number,
    hint?: string,
  ) {
    super(message, exitCode, hint);
    this.name = 'AwsFailure';
  }
}

/** AWS said the code itself is invalid: wrong, expired, or already used (reason `mfa-rejected`). */
export class MfaCodeRejected extends AwsFailure {
  constructor(call: AwsCall, message: string, hint: string) {
    super('mfa-rejected', call, message, ExitCode.CodeRejected, hint);
  }
}

export interface AwsErrorContext {
  call: AwsCall;
  profileName: string;
  accessKeyId: string;
  endpoint: string;
  timeoutMs: number;
  serialNumber?: string;
}

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  cause?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

function networkCode(err: SdkErrorLike): string | undefined {
  for (let e: SdkErrorLike | undefined = err, depth = 0; e && depth < 5; e = e.cause as SdkErrorLike, depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    if ((e as { errors?: SdkErrorLike[] }).errors?.length) {
      const inner = (e as { errors: SdkErrorLike[] }).errors.find((x) => x.code && NETWORK_CODES.has(x.code));
      if (inner?.code) return inner.code;
    }
  }
  return undefined;
}

/** ` by 600 s (behind AWS)`, from the Date header of AWS's answer, when it has one. */
function skewOf(err: SdkErrorLike): string {
  const headers = err.$response?.headers ?? {};
  const date = headers.date ?? headers.Date;
  const server = date ? Date.parse(date) : NaN;
  if (Number.isNaN(server)) return '';
  const seconds = Math.round((server - Date.now()) / 1000);
  return ` by ${Math.abs(seconds)} s (${seconds > 0 ? 'behind' : 'ahead of'} AWS)`;
}

export function mapAwsError(error: unknown, ctx: AwsErrorContext): UserError {
  if (error instanceof UserError) return error;
  const fail = (reason: AwsFailureReason, message: string, exitCode: number, hint?: string) =>
    new AwsFailure(reason, ctx.call, message, exitCode, hint);
  const err = (error ?? {}) as SdkErrorLike;
  const name = err.name ?? '';
  const message = (err.message ?? String(error)).split('\n')[0]!;
  const status = err.$metadata?.httpStatusCode;
  const keys = `the keys of profile "${ctx.profileName}" (${ctx.accessKeyId})`;

  const net = networkCode(err);
  if (net || name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout') {
    const why =
      net === 'ENOTFOUND' || net === 'EAI_AGAIN'
        ? `cannot resolve the host of ${ctx.endpoint}`
        : net === 'ECONNREFUSED'
          ? `connection refused by ${ctx.endpoint}`
          : net
            ? `network error ${net} talking to ${ctx.endpoint}`
            : `no answer from ${ctx.endpoint} within ${Math.round(ctx.timeoutMs / 1000)} s`;
    return fail(
      'unreachable',
      `${ctx.call} failed: ${why}.`,
      ExitCode.Unreachable,
      'Check your network or proxy (HTTPS_PROXY) and try again; --timeout raises the limit.',
    );
  }

  switch (name) {
    case 'InvalidClientTokenId':
      return fail(
        'unknown-key',
        `AWS does not recognise ${keys}: the access key is unknown or was deleted.`,
        ExitCode.Credentials,
        `Put a current access key in profile "${ctx.profileName}" (IAM console → Security credentials).`,
      );
    case 'SignatureDoesNotMatch':
      if (/signature expired|signature not yet current|is now earlier than|is now later than/i.test(message)) {
        return fail(
          'clock-skew',
          `${ctx.call} failed: your clock is off${skewOf(err)} and AWS rejected the signature.`,
          ExitCode.Credentials,
          'Synchronise the system clock (e.g. timedatectl set-ntp true) and try again.',
        );
      }
      return fail(
        'bad-signature',
        `AWS rejected the signature made with ${keys}: the secret access key does not match the key id.`,
        ExitCode.Credentials,
        `Fix aws_secret_access_key in profile "${ctx.profileName}".`,
      );
    case 'ExpiredToken':
    case 'ExpiredTokenException':
      if (ctx.call === 'AssumeRole') {
        return fail(
          'expired-token',
          `The session in profile "${ctx.profileName}" has expired.`,
          ExitCode.Credentials,
          `Run: aws-mfa-refresh --profile ${ctx.profileName}`,
        );
      }
      return fail(
        'expired-token',
        `Profile "${ctx.profileName}" holds an expired aws_session_token next to its keys.`,
        ExitCode.Credentials,
        `Remove aws_session_token from profile "${ctx.profileName}"; it must hold only long-term keys.`,
      );
    case 'RequestExpired':
      return fail(
        'clock-skew',
        `${ctx.call} failed: your clock is off${skewOf(err)} and AWS rejected the request as expired.`,
        ExitCode.Credentials,
        'Synchronise the system clock (e.g. timedatectl set-ntp true) and try again.',
      );
    case 'ValidationError':
      if (ctx.call === 'AssumeRole') {
        return fail(
          'invalid-value',
          `AssumeRole rejected a value: ${message}`,
          ExitCode.Usage,
          'Check duration_seconds (at most 3600 with an MFA session), role_session_name and external_id of the role profile.',
        );
      }
      return fail(
        'invalid-value',
        `${ctx.call} rejected a value: ${message}`,
        ExitCode.Usage,
        'Check --duration (900–129600 s) and the MFA code (6 digits).',
      );
    case 'Throttling':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return fail(
        'throttled',
        `${ctx.call} failed: AWS is throttling requests (${message}).`,
        ExitCode.Unreachable,
        'Wait a minute and try again.',
      );
    case 'AccessDenied':
    case 'AccessDeniedException':
      if (/session credentials/i.test(message)) {
        return fail(
          'session-credentials',
          `Profile "${ctx.profileName}" holds a session, not long-term keys: AWS says "${message}".`,
          ExitCode.Credentials,
          `Put your long-term access keys (AKIA…) in profile "${ctx.profileName}", or name that profile with --source-profile.`,
        );
      }
      if (ctx.call === 'GetSessionToken' && /invalid MFA one time pass code/i.test(message)) {
        return new MfaCodeRejected(
          ctx.call,
          'AWS rejected the MFA code: it is wrong, too old, or was already used.',
          'Wait for the next code on your device and run again (each code works once).',
        );
      }
      if (ctx.call === 'GetSessionToken' && /serial number|unable to validate MFA/i.test(message)) {
        return fail(
          'mfa-device-mismatch',
          `AWS could not validate the code against MFA device ${ctx.serialNumber ?? ''}: it is not a device of this user.`.replace(
            '  ',
            ' ',
          ),
          ExitCode.CodeRejected,
          'Check --serial-number or mfa_serial in ~/.aws/config; `aws-mfa-refresh` without them lists your devices.',
        );
      }
      if (ctx.call === 'AssumeRole') {
        return fail(
          'access-denied:AssumeRole',
          `AWS refused to let profile "${ctx.profileName}" assume the role: ${message}`,
          ExitCode.RoleRefused,
          "Check the role's trust policy: it must allow your account or user, with aws:MultiFactorAuthPresent = true for an MFA session.",
        );
      }
      if (ctx.call === 'ListMFADevices') {
        return fail(
          'access-denied:ListMFADevices',
          'Your keys may not list MFA devices (iam:ListMFADevices is denied).',
          ExitCode.Credentials,
          'Name the device with --serial-number ARN, or set mfa_serial in the profile in ~/.aws/config.',
        );
      }
      return fail(
        `access-denied:${ctx.call}`,
        `${ctx.call} was denied: ${message}`,
        ExitCode.Credentials,
        `Check the IAM permissions of the user behind profile "${ctx.profileName}".`,
      );
  }
  if (err.$fault === 'server' || (status !== undefined && status >= 500)) {
    return fail(
      'server-error',
      `${ctx.call} failed: AWS answered with a server error (${name || status}) after retries.`,
      ExitCode.Unreachable,
      'Try again in a minute.',
    );
  }
  return fail(
    'unexpected',
    `${ctx.call} failed: ${name ? `${name}: ` : ''}${message}`,
    ExitCode.Unexpected,
    'Run again with --debug for details.',
  );
}
