/** AWS error codes and the exact messages AWS answers with, as the emulator throws them. */
import type { ErrorType } from './xml.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: ErrorType = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export const MSG = {
  invalidToken: 'The security token included in the request is invalid.',
  expiredToken: 'The security token included in the request is expired',
  missingAuth: 'Request is missing Authentication Token',
  sessionGst: 'Cannot call GetSessionToken with session credentials',
  badSerial:
    'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
  badCode: 'MultiFactorAuthentication failed with invalid MFA one time pass code.',
  throttled: 'Rate exceeded',
  internal: 'The request processing has failed because of an unknown error, exception or failure.',
  roleChaining: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  maxSessionDuration: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  invalidArn: 'Request ARN is invalid',
  needUserName: 'Must specify userName when calling with non-User credentials',
  keyQuota: 'Cannot exceed quota for AccessKeysPerUser: 2',
} as const;

export function validationError(problems: string[]): ApiError {
  const n = problems.length;
  return new ApiError(
    400,
    'ValidationError',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
  );
}

/** One entry of AWS's "N validation errors detected: …" list. `value` null → "Value null". */
export function constraint(value: string | null, member: string, rule: string): string {
  return `Value ${value === null ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: Member must ${rule}`;
}

/** Checks a string parameter against AWS's model constraints, adding AWS-worded problems. */
export function checkString(
  problems: string[],
  value: string | undefined,
  member: string,
  rules: { required?: boolean; min?: number; max?: number; pattern?: RegExp; patternText?: string },
): void {
  if (value === undefined) {
    if (rules.required) problems.push(constraint(null, member, 'not be null'));
    return;
  }
  if (rules.pattern && !rules.pattern.test(value)) {
    problems.push(constraint(value, member, `satisfy regular expression pattern: ${rules.patternText}`));
  }
  if (rules.min !== undefined && value.length < rules.min) {
    problems.push(constraint(value, member, `have length greater than or equal to ${rules.min}`));
  }
  if (rules.max !== undefined && value.length > rules.max) {
    problems.push(constraint(value, member, `have length less than or equal to ${rules.max}`));
  }
}

/** An integer parameter within [min, max]; MalformedInput when it is not an integer at all. */
export function checkInteger(
  problems: string[],
  raw: string | undefined,
  param: string,
  member: string,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new ApiError(400, 'MalformedInput', `Invalid value for parameter ${param}: ${raw}`);
  const n = Number(raw);
  if (n < min) problems.push(constraint(raw, member, `have value greater than or equal to ${min}`));
  if (n > max) problems.push(constraint(raw, member, `have value less than or equal to ${max}`));
  return n;
}

/** SerialNumber and TokenCode, as GetSessionToken and AssumeRole validate them. */
export function checkMfaParams(problems: string[], serial: string | undefined, code: string | undefined): void {
  checkString(problems, serial, 'serialNumber', {
    min: 9,
    max: 256,
    pattern: /^[\w+=/:,.@-]*$/,
    patternText: '[\\w+=/:,.@-]*',
  });
  checkString(problems, code, 'tokenCode', { min: 6, max: 6, pattern: /^\d*$/, patternText: '[\\d]*' });
}
