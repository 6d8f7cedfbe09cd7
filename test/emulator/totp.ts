/**
 * RFC 6238 TOTP (HMAC-SHA-1, 30 s steps, 6 digits by default) over RFC 4648 base32 seeds,
 * the scheme AWS virtual MFA devices use.
 */
import { createHmac, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const TOTP_STEP_SECONDS = 30;

/** RFC 4648 base32 with padding stripped (AWS seeds carry none). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32, ignoring case, spaces, dashes and '=' padding. Throws on other characters. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/** A random base32 seed; 40 bytes gives the 64-character seeds AWS hands out for virtual devices. */
export function randomSeed(bytes = 40): string {
  return base32Encode(randomBytes(bytes));
}

/** RFC 4226 HOTP for a raw key and counter. */
export function hotp(key: Uint8Array, counter: number | bigint, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP time step containing `timeMs`. */
export function totpStep(timeMs: number, stepSeconds = TOTP_STEP_SECONDS): number {
  return Math.floor(timeMs / 1000 / stepSeconds);
}

/** The code for a given time step. */
export function totpAtStep(seedBase32: string, step: number, digits = 6): string {
  return hotp(base32Decode(seedBase32), step, digits);
}

/** The TOTP code for `timeMs` (default: now). */
export function totp(
  seedBase32: string,
  timeMs: number = Date.now(),
  opts: { digits?: number; stepSeconds?: number } = {},
): string {
  return totpAtStep(seedBase32, totpStep(timeMs, opts.stepSeconds ?? TOTP_STEP_SECONDS), opts.digits ?? 6);
}
