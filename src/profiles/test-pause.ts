/**
 * Crash-test hook, isolated here: AWS_MFA_REFRESH_TEST_PAUSE=<step>[,<step>] pauses the store at
 * that step for AWS_MFA_REFRESH_TEST_PAUSE_MS (default 200) after writing `paused:<step>` to
 * stderr, so tests can kill or race a run at an exact point. Unset (always, in real use): a no-op.
 */
import { writeSync } from 'node:fs';

export type PauseStep = 'locked' | 'temp-written' | 'renamed';

export function testPause(step: PauseStep): void {
  const wanted = process.env.AWS_MFA_REFRESH_TEST_PAUSE;
  if (!wanted || !wanted.split(',').includes(step)) return;
  writeSync(2, `paused:${step}\n`);
  const ms = Number(process.env.AWS_MFA_REFRESH_TEST_PAUSE_MS ?? 200);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number.isFinite(ms) && ms >= 0 ? ms : 200);
}
