/** 4. clock: the local clock against the Date header of AWS's first answer. */
import type { ServerDate } from '../../../aws/client.js';
import { result, type CheckResult } from '../check.js';

/** Beyond this the clock check warns; beyond the second it fails (SigV4 allows 5 minutes). */
export const CLOCK_WARN_SECONDS = 60;
export const CLOCK_FAIL_SECONDS = 300;

const TIME_SYNC_HINT =
  'Synchronise the system clock (e.g. timedatectl set-ntp true; on macOS sudo sntp -sS time.apple.com).';

/** Server clock minus local clock, in seconds, from one answer (positive: the local clock is behind). */
export function skewSeconds(d: ServerDate): number {
  // The Date header is cut to the second: the server's time was within the second after it.
  const server = d.date.getTime() + 500;
  const local = (d.sentAt + d.receivedAt) / 2;
  return (server - local) / 1000;
}

/** The local clock against the Date header of AWS's first answer (before the SDK corrected anything). */
export function checkClock(serverDates: readonly ServerDate[]): CheckResult {
  const first = serverDates[0];
  if (!first) return result('clock', 'skip', 'no answer from AWS to compare clocks with (see keys)');
  const skew = skewSeconds(first);
  const seconds = Math.round(Math.abs(skew));
  const direction = skew > 0 ? 'behind' : 'ahead of';
  if (seconds > CLOCK_FAIL_SECONDS) {
    return result(
      'clock',
      'fail',
      `your clock is ${seconds} s ${direction} AWS's (Date header of its answer): more than the 5 minutes a SigV4 signature may be off, so AWS rejects requests signed with it (the SDK retries with AWS's time; other tools may not)`,
      TIME_SYNC_HINT,
    );
  }
  if (seconds > CLOCK_WARN_SECONDS) {
    return result(
      'clock',
      'warn',
      `your clock is ${seconds} s ${direction} AWS's (Date header of its answer); AWS rejects signatures beyond 5 minutes`,
      TIME_SYNC_HINT,
    );
  }
  return result('clock', 'pass', `your clock is within ${Math.max(1, seconds)} s of AWS's (Date header of its answer)`);
}
