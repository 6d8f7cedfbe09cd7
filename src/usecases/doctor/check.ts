/** What a doctor check reports, and the helpers every check shares. */
import { UserError } from '../../errors.js';

export const CHECK_IDS = [
  'files',
  'profiles',
  'key-store',
  'keys',
  'clock',
  'mfa-device',
  'session',
  'kinds',
  'roles',
  'environment',
  'node',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** What the check found. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

export interface DoctorReport {
  /** No check failed (warnings and skips allowed). */
  ok: boolean;
  checks: CheckResult[];
}

export function result(id: CheckId, status: CheckStatus, message: string, hint?: string): CheckResult {
  return { id, status, message, ...(hint && { hint }) };
}

export function fromError(id: CheckId, error: unknown, status: CheckStatus = 'fail'): CheckResult {
  if (error instanceof UserError) return result(id, status, error.message, error.hint);
  const message = error instanceof Error ? error.message : String(error);
  return result(
    id,
    status,
    `unexpected error: ${message.split('\n')[0]}`,
    'Run again with --debug and report it if it persists.',
  );
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
