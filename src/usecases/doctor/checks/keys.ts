/** 3. keys: STS accepts the source keys (GetCallerIdentity). */
import type { AwsApi, AwsFactory, ServerDate } from '../../../aws/client.js';
import type { AwsConnection, CallerIdentity } from '../../../aws/types.js';
import { fromError, result, type CheckResult } from '../check.js';
import { CLOCK_FAIL_SECONDS, skewSeconds } from './clock.js';

export interface KeysOutcome {
  result: CheckResult;
  aws?: AwsApi;
  identity?: CallerIdentity;
  /** The Date headers of STS's answers, for the clock check (empty: AWS never answered). */
  serverDates: readonly ServerDate[];
}

/**
 * GetCallerIdentity with the source keys. The SDK retries a request refused for clock skew
 * with AWS's time, so a skewed clock alone does not fail this check; the first answer's Date
 * header (recorded before any correction) is what the clock check judges.
 */
export async function checkKeys(
  conn: AwsConnection,
  openAws: AwsFactory,
  debug: (line: string) => void = () => {},
): Promise<KeysOutcome> {
  const profile = conn.profileName;
  const keyId = conn.credentials.accessKeyId;
  const temporary = /^ASIA/.test(keyId);
  const hasToken = Boolean(conn.credentials.sessionToken);
  let aws: AwsApi;
  try {
    // The clock check reports skew; no warning line from the client.
    aws = await openAws(conn, debug, () => {});
  } catch (error) {
    return { result: fromError('keys', error), serverDates: [] };
  }
  const dates = () => aws.stsServerDates?.() ?? [];
  let identity: CallerIdentity;
  try {
    identity = await aws.callerIdentity();
  } catch (error) {
    // The client names the cause (a stale aws_session_token, an old session's key) by its reason, as refresh does.
    return { result: fromError('keys', error), serverDates: dates() };
  }
  if (temporary || hasToken) {
    return {
      result: result(
        'keys',
        'fail',
        `profile "${profile}" holds session credentials (${temporary ? `${keyId}, ` : ''}aws_session_token), not long-term keys: AWS accepts them for now (${identity.arn}), but GetSessionToken refuses session credentials`,
        `Put your long-term access keys (AKIA…) in [${profile}] without aws_session_token, or name the profile that has them with --source-profile.`,
      ),
      aws,
      identity,
      serverDates: dates(),
    };
  }
  const first = dates()[0];
  const corrected = first !== undefined && first.status >= 400 && Math.abs(skewSeconds(first)) > CLOCK_FAIL_SECONDS;
  return {
    result: result(
      'keys',
      'pass',
      `STS accepts the keys of profile "${profile}" (${keyId}): ${identity.arn}${corrected ? " (after re-signing with AWS's time; see clock)" : ''}`,
    ),
    aws,
    identity,
    serverDates: dates(),
  };
}
