import { ExitCode, UserError } from '../errors.js';

/**
 * Parses `43200`, `43200s`, `12h`, `90m`, `1h30m`, `1d` into seconds.
 * Throws a usage error naming the flag.
 */
export function parseDurationSeconds(value: string, flag: string): number {
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+)\s*([dhms])/gy;
  const unit = { d: 86400, h: 3600, m: 60, s: 1 } as const;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2] as keyof typeof unit];
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new UserError(
      `${flag} ${JSON.stringify(value)} is not a duration.`,
      ExitCode.Usage,
      'Use seconds (43200) or a form like 12h, 90m, 1h30m.',
    );
  }
  return total;
}

export const SESSION_DURATION_LIMITS = { min: 900, max: 129600 } as const;

export function checkSessionDuration(seconds: number, source: string): number {
  const { min, max } = SESSION_DURATION_LIMITS;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new UserError(
      `${source} is ${seconds} s; GetSessionToken accepts ${min} to ${max} s (15m to 36h).`,
      ExitCode.Usage,
      'Pick a duration in that range, e.g. --duration 12h.',
    );
  }
  return seconds;
}

const MFA_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:mfa\/[\w+=,.@/-]+$/;
const HARDWARE_SERIAL = /^[\w+=/:,.@-]{9,256}$/;

/** An MFA device ARN, or a hardware token's serial number (e.g. GAHT12345678). */
export function checkSerialNumber(value: string, source = '--serial-number'): string {
  const serial = value.trim();
  if (MFA_ARN.test(serial)) return serial;
  const arn = /^arn:(aws(?:-cn|-us-gov)?):iam::(\d{12}):(user|role|root|u2f)\b\/?(.*)$/.exec(serial);
  if (arn) {
    const [, partition, account, kind, rest] = arn;
    const name = rest?.split('/').pop() || 'NAME';
    const hint =
      kind === 'u2f'
        ? 'Security keys and passkeys (u2f) cannot be used with GetSessionToken; register a virtual or hardware TOTP device.'
        : `Give the MFA device's ARN instead, e.g. arn:${partition}:iam::${account}:mfa/${name} (aws-mfa-refresh discovers it when you leave --serial-number out).`;
    throw new UserError(
      `${source} ${serial} is a ${kind === 'u2f' ? 'FIDO security key' : `${kind} ARN`}, not an MFA device ARN.`,
      ExitCode.Usage,
      hint,
    );
  }
  if (!serial.startsWith('arn:') && HARDWARE_SERIAL.test(serial)) return serial;
  throw new UserError(
    `${source} ${JSON.stringify(value)} is not an MFA device.`,
    ExitCode.Usage,
    'Use the device ARN (arn:aws:iam::123456789012:mfa/NAME) or a hardware token serial.',
  );
}

/** Exactly six digits once spaces are removed ("123 456" is how authenticator apps show it). */
export function normaliseCode(value: string): string | undefined {
  const code = value.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}

/** The --code value as six digits, or a usage error. */
export function checkCodeFlag(value: string): string {
  const code = normaliseCode(value);
  if (!code)
    throw new UserError(
      '--code must be the 6 digits your MFA device shows.',
      ExitCode.Usage,
      'Example: --code 123456, or --code - to read it from stdin.',
    );
  return code;
}

/** A region is one hostname label (`eu-west-1`, or an emulator's `local`): anything else breaks the endpoint URL. */
export function checkRegion(value: string, source = '--region'): string {
  if (/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(value)) return value;
  throw new UserError(
    `${source} ${JSON.stringify(value)} is not a region.`,
    ExitCode.Usage,
    'Use a region name such as us-east-1 or eu-west-1.',
  );
}

/** An http(s) URL, as the AWS CLI's --endpoint-url takes. */
export function checkEndpointUrl(value: string, source = '--endpoint-url'): string {
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname) return value.trim();
  throw new UserError(
    `${source} ${JSON.stringify(value)} is not an http:// or https:// URL.`,
    ExitCode.Usage,
    'Example: --endpoint-url https://sts.eu-west-1.amazonaws.com.',
  );
}
