/**
 * Maps what the SDK throws, once, to a typed failure: a reason callers switch on, and one line a
 * person can act on, with the documented exit code. Nothing else looks at AWS's message text.
 */
import { ExitCode, UserError } from '../errors.js';
import { redactProxy } from './proxy.js';

export type AwsCall = 'GetCallerIdentity' | 'ListMFADevices' | 'GetSessionToken';

export type AwsFailureReason =
  | 'unreachable'
  | 'unknown-key'
  | 'stale-token'
  | 'old-session-key'
  | 'untrusted-certificate'
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
  /** The URL this call went to (the STS or the IAM endpoint). */
  endpoint: string;
  timeoutMs: number;
  serialNumber?: string;
  /** An aws_session_token was sent with the keys. */
  sessionToken?: boolean;
  /** The proxy this call went through, and the variable that named it. */
  proxy?: { url: string; variable: string };
  /** The CA bundle the call trusted, and where it came from (`AWS_CA_BUNDLE`, `ca_bundle of profile "x"`). */
  caBundle?: { path: string; from: string };
  /** Replaces the generic "check your network" hint for an unreachable endpoint. */
  unreachableHint?: string;
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

/** TLS verification failures: the endpoint's (or a TLS-inspecting proxy's) certificate is not trusted. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface NodeNetError extends SdkErrorLike {
  hostname?: string;
  address?: string;
  port?: number;
}

/** The first error in the cause chain (or an AggregateError's list) whose code is in `codes`. */
function findCode(err: SdkErrorLike, codes: Set<string>): NodeNetError | undefined {
  for (let e: SdkErrorLike | undefined = err, depth = 0; e && depth < 5; e = e.cause as SdkErrorLike, depth++) {
    if (e.code && codes.has(e.code)) return e;
    const inner = (e as { errors?: SdkErrorLike[] }).errors?.find((x) => x.code && codes.has(x.code));
    if (inner) return inner;
  }
  return undefined;
}

/** `host:port` of a URL, with the scheme's default port. */
function hostPort(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
}

/**
 * Who failed: the proxy when the failing address is the proxy's (or, through a proxy, when the
 * error names no address: only the proxy is connected to directly), else the endpoint.
 */
function failedPeer(e: NodeNetError | undefined, ctx: AwsErrorContext): string {
  const endpoint = `${endpointKind(ctx.call)} ${ctx.endpoint}`;
  if (!ctx.proxy) return endpoint;
  const proxy = redactProxy(ctx.proxy.url);
  const failed = e?.address && e.port !== undefined ? `${e.address}:${e.port}` : e?.hostname;
  const proxyHost = hostPort(ctx.proxy.url);
  const isProxy =
    failed === undefined ||
    failed === proxyHost ||
    (e?.hostname !== undefined && proxyHost?.startsWith(`${e.hostname}:`));
  return isProxy ? `the proxy ${proxy} (${ctx.proxy.variable}) on the way to ${endpoint}` : endpoint;
}

function endpointKind(call: AwsCall): string {
  return call === 'ListMFADevices' ? 'the IAM endpoint' : 'the STS endpoint';
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

  const tls = findCode(err, TLS_CODES);
  if (tls) {
    const bundle = ctx.caBundle
      ? `The CA bundle ${ctx.caBundle.path} (${ctx.caBundle.from}) does not hold its issuer: add your organisation's CA to it.`
      : "Behind a TLS-inspecting proxy, point AWS_CA_BUNDLE (or ca_bundle in ~/.aws/config) at your organisation's CA bundle.";
    return fail(
      'untrusted-certificate',
      `${ctx.call} failed: the TLS certificate of ${endpointKind(ctx.call)} ${ctx.endpoint} is not trusted (${tls.code}).`,
      ExitCode.Unreachable,
      bundle,
    );
  }

  const netError = findCode(err, NETWORK_CODES);
  const net = netError?.code;
  if (net || name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout') {
    const peer = failedPeer(netError, ctx);
    const viaProxy = peer.startsWith('the proxy');
    const why =
      net === 'ENOTFOUND' || net === 'EAI_AGAIN'
        ? `cannot resolve ${netError?.hostname ? `${netError.hostname}, the host of ` : 'the host of '}${peer}`
        : net === 'ECONNREFUSED'
          ? `connection refused by ${peer}`
          : net
            ? `network error ${net} talking to ${peer}`
            : `no answer from ${endpointKind(ctx.call)} ${ctx.endpoint}${ctx.proxy ? ` (through the proxy ${redactProxy(ctx.proxy.url)}, ${ctx.proxy.variable})` : ''} within ${Math.round(ctx.timeoutMs / 1000)} s`;
    const hint = viaProxy
      ? `Check that the proxy is running, or fix ${ctx.proxy!.variable} (NO_PROXY lists hosts reached directly).`
      : (ctx.unreachableHint ?? 'Check your network or proxy (HTTPS_PROXY) and try again; --timeout raises the limit.');
    return fail('unreachable', `${ctx.call} failed: ${why}.`, ExitCode.Unreachable, hint);
  }

  switch (name) {
    case 'InvalidClientTokenId':
      // Keys sent with a token, or an old session's key: the token (or the session) is the trouble, not the key.
      if (/^ASIA/.test(ctx.accessKeyId)) {
        return fail(
          'old-session-key',
          `AWS does not recognise ${keys}: they are temporary credentials from an old session, not long-term keys.`,
          ExitCode.Credentials,
          `Put your long-term access keys (AKIA…) in [${ctx.profileName}] without aws_session_token, or name the profile that has them with --source-profile.`,
        );
      }
      if (ctx.sessionToken) {
        return fail(
          'stale-token',
          `AWS rejects ${keys} with the aws_session_token next to them: long-term keys take no token, so it is stale.`,
          ExitCode.Credentials,
          `Remove aws_session_token from [${ctx.profileName}]; it must hold only long-term keys.`,
        );
      }
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
