/** Drives the CLI through a real pseudo-terminal, as a person at a keyboard would. */
import * as pty from 'node-pty';
import { CLI, NODE } from './harness.js';

export const KEY = { down: '\x1b[B', up: '\x1b[A', enter: '\r', ctrlC: '\x03' } as const;

export interface PtySession {
  /** Everything the terminal has shown so far, with ANSI escapes removed. */
  screen(): string;
  /** The same, with the escape sequences kept. */
  raw(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  type(keys: string): void;
  exit: Promise<{ exitCode: number; signal?: number }>;
  kill(): void;
}

export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]/g, '');
}

/** Runs the CLI with `args` in a terminal; or, with `command`, that command line instead. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, command?: string[]): PtySession {
  const [file, ...argv] = command ?? [NODE, CLI, ...args];
  const term = pty.spawn(file!, argv, {
    name: 'xterm-256color',
    cols: 140,
    rows: 30,
    env: env as Record<string, string>,
  });
  let raw = '';
  const waiters = new Set<() => void>();
  term.onData((d) => {
    raw += d;
    for (const w of waiters) w();
  });
  const exit = new Promise<{ exitCode: number; signal?: number }>((resolve) => term.onExit((e) => resolve(e)));
  return {
    screen: () => stripAnsi(raw),
    raw: () => raw,
    waitFor(text, timeoutMs = 10000) {
      const seen = () => (typeof text === 'string' ? stripAnsi(raw).includes(text) : text.test(stripAnsi(raw)));
      if (seen()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(text)}; screen so far:\n${stripAnsi(raw)}`));
        }, timeoutMs);
        const check = () => {
          if (seen()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
      });
    },
    type: (keys) => term.write(keys),
    exit,
    kill: () => term.kill(),
  };
}
