/**
 * A child process whose output is collected as it comes, so a test can wait for a line (a pause
 * point, "ready") and then act: kill it, let it go on, or read what it printed.
 */
import type { ChildProcess } from 'node:child_process';

export interface WatchedChild {
  proc: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves when `text` has appeared `times` times (default 1) on the stream; rejects when the
   * child exits first, or after `timeoutMs` when one is given.
   */
  waitFor(stream: 'stdout' | 'stderr', text: string, opts?: { times?: number; timeoutMs?: number }): Promise<void>;
}

export function watchChild(proc: ChildProcess): WatchedChild {
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  proc.stdout!.on('data', (d: Buffer) => ((out.stdout += d.toString()), notify()));
  proc.stderr!.on('data', (d: Buffer) => ((out.stderr += d.toString()), notify()));
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      hasExited = true;
      notify();
      resolve({ code, signal });
    });
  });
  return {
    proc,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    exited,
    waitFor(stream, text, { times = 1, timeoutMs } = {}) {
      return new Promise<void>((resolve, reject) => {
        const what = `${times > 1 ? `${times}× ` : ''}${JSON.stringify(text)} on ${stream}`;
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => finish(new Error(`timed out waiting for ${what}; stderr: ${out.stderr}`)), timeoutMs);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const check = () => {
          if (out[stream].split(text).length - 1 >= times) finish();
          else if (hasExited)
            finish(new Error(`child exited before ${what}; stderr: ${out.stderr}; stdout: ${out.stdout}`));
        };
        listeners.add(check);
        check();
      });
    },
  };
}
