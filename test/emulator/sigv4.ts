/**
 * Server-side AWS Signature Version 4 (header auth) verification, as documented in
 * "Create a signed AWS API request": canonical request → string to sign → signing key → HMAC.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Requests signed more than this far from the server clock are rejected. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

export interface ParsedAuthorization {
  accessKeyId: string;
  /** YYYYMMDD from the credential scope */
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request` */
  scope: string;
  signedHeaders: string[];
  signature: string;
}

/** An authentication failure, in the code/message AWS answers with. */
export interface AuthFailure {
  status: number;
  code: string;
  message: string;
}

const fail = (status: number, code: string, message: string): AuthFailure => ({ status, code, message });

export function isAuthFailure(value: unknown): value is AuthFailure {
  return typeof value === 'object' && value !== null && 'code' in value && 'status' in value;
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/sts/aws4_request, SignedHeaders=a;b, Signature=hex`.
 */
export function parseAuthorization(header: string): ParsedAuthorization | AuthFailure {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) {
    // What AWS answers for an Authorization header that is not SigV4.
    return fail(400, 'IncompleteSignature', `Unsupported AWS 'algorithm': '${algorithm}'`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    return fail(
      400,
      'IncompleteSignature',
      missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ') +
        ` Authorization=${trimmed}`,
    );
  }
  const credential = fields.get('Credential')!;
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    return fail(
      400,
      'IncompleteSignature',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== 'aws4_request') {
    return fail(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
    );
  }
  return {
    accessKeyId,
    date,
    region,
    service,
    scope: `${date}/${region}/${service}/${terminator}`,
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!.toLowerCase(),
  };
}

/** RFC 3986 percent-encoding, as SigV4 wants it (unreserved characters A-Z a-z 0-9 - _ . ~ kept). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Canonical URI for non-S3 services: dot segments removed, and every segment URI-encoded once
 * more on top of the (already encoded) path that was sent on the wire.
 */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = rawPath.endsWith('/') && segments.length > 0 ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** Canonical query string: decoded, re-encoded, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs: [string, string][] = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = safeDecode(eq < 0 ? piece : piece.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(piece.slice(eq + 1));
    if (key === 'X-Amz-Signature') continue;
    pairs.push([uriEncode(key), uriEncode(value)]);
  }
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Lower-cased header names → values (trimmed, inner whitespace collapsed, repeats joined by ','). */
export function headerMap(rawHeaders: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!.trim().replace(/\s+/g, ' ');
    const prior = map.get(name);
    map.set(name, prior === undefined ? value : `${prior},${value}`);
  }
  return map;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface CanonicalRequestInput {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Map<string, string>;
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const canonicalHeaders = input.signedHeaders.map((name) => `${name}:${input.headers.get(name) ?? ''}\n`).join('');
  return [
    input.method.toUpperCase(),
    canonicalPath(input.rawPath),
    canonicalQuery(input.rawQuery),
    canonicalHeaders,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function signatureFor(
  secretAccessKey: string,
  auth: ParsedAuthorization,
  amzDate: string,
  canonical: string,
): string {
  return createHmac('sha256', signingKey(secretAccessKey, auth.date, auth.region, auth.service))
    .update(stringToSign(amzDate, auth.scope, canonical))
    .digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Compare against itself on length mismatch so timing does not depend on where they differ.
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** `20261127T190123Z` → epoch ms (undefined when malformed). */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : ms;
}

/** epoch ms → `20261127T190123Z` */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The request time header to use: X-Amz-Date, else an RFC 1123 Date header converted to basic ISO 8601. */
export function requestAmzDate(headers: Map<string, string>): string | AuthFailure {
  const amz = headers.get('x-amz-date');
  if (amz !== undefined) {
    if (parseAmzDate(amz) === undefined) {
      return fail(
        400,
        'IncompleteSignature',
        `Date must be in ISO-8601 'basic format'. Got '${amz}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      );
    }
    return amz;
  }
  const date = headers.get('date');
  if (date !== undefined && !Number.isNaN(Date.parse(date))) return formatAmzDate(Date.parse(date));
  return fail(
    400,
    'IncompleteSignature',
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  );
}

/** AWS's wording when the request time is outside ±5 minutes of the server clock. */
export function checkRequestTime(amzDate: string, serverNowMs: number): AuthFailure | undefined {
  const requestMs = parseAmzDate(amzDate)!;
  if (requestMs < serverNowMs - MAX_SKEW_MS) {
    return fail(
      403,
      'SignatureDoesNotMatch',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(serverNowMs - MAX_SKEW_MS)} ` +
        `(${formatAmzDate(serverNowMs)} - 5 min.)`,
    );
  }
  if (requestMs > serverNowMs + MAX_SKEW_MS) {
    return fail(
      403,
      'SignatureDoesNotMatch',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(serverNowMs + MAX_SKEW_MS)} ` +
        `(${formatAmzDate(serverNowMs)} + 5 min.)`,
    );
  }
  return undefined;
}

/** Checks that the scope date agrees with the request time, and that `host` is signed. */
export function checkScope(auth: ParsedAuthorization, amzDate: string): AuthFailure | undefined {
  if (!auth.signedHeaders.includes('host')) {
    return fail(
      403,
      'SignatureDoesNotMatch',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const day = amzDate.slice(0, 8);
  if (auth.date !== day) {
    return fail(
      403,
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${day}', from '${amzDate}'.`,
    );
  }
  return undefined;
}

export interface VerifyInput extends Omit<CanonicalRequestInput, 'signedHeaders'> {
  auth: ParsedAuthorization;
  amzDate: string;
  secretAccessKey: string;
}

/** True when the signature in `auth` is the one `secretAccessKey` produces for this request. */
export function verifySignature(input: VerifyInput): boolean {
  const canonical = canonicalRequest({ ...input, signedHeaders: input.auth.signedHeaders });
  return constantTimeEqual(
    signatureFor(input.secretAccessKey, input.auth, input.amzDate, canonical),
    input.auth.signature,
  );
}
