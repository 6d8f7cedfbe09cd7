/**
 * "A refresh is asking for a code for this MFA device": one lock per device, so several terminals
 * opened at once spend one code, not several (two target profiles on one device share it too).
 *
 * File: $XDG_STATE_HOME/aws-mfa-refresh/locks/<sha256(device)>.lock (default ~/.local/state/...;
 * Windows: %LOCALAPPDATA%\aws-mfa-refresh\locks),
 * created whole (written under a private name, then hard-linked into place), holding one JSON line:
 * pid, host, boot id and the process's start time, and a nonce. It is stale only when its owner is
 * gone: its pid is not alive, or is alive but started at another time (reused), or the machine has
 * rebooted since. Never by age: a person may take minutes to find their phone. A lock of another
 * host is never judged stale. Where /proc is missing (macOS), the pid alone decides.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { currentPlatform, type Platform } from '../platform/platform.js';

export interface LockOwner {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id; absent where unknown. */
  boot?: string;
  /** Field 22 of /proc/PID/stat (clock ticks since boot); absent where unknown. */
  start?: string;
  device: string;
  nonce: string;
}

export interface HeldCodeLock {
  path: string;
  release(): Promise<void>;
}

/** Next to the used codes, in the platform's state directory (Windows: %LOCALAPPDATA%). */
export function codeLockFile(device: string, env: NodeJS.ProcessEnv, platform: Platform = currentPlatform()): string {
  const key = createHash('sha256').update(device).digest('hex').slice(0, 32);
  return platform.path.join(platform.stateDir(env), 'locks', `${key}.lock`);
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return undefined;
  }
}

/** When the process started, in clock ticks since boot: tells a reused pid from its first owner. */
export function processStart(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function bootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id');
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Whether the process that took the lock is gone (so the lock may be taken over). */
export function ownerGone(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot tell: wait, never take it over
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return true;
  if (!pidAlive(owner.pid)) return true;
  const start = processStart(owner.pid);
  return Boolean(owner.start && start && owner.start !== start);
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(o.pid) && o.pid > 0 && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

async function readOwner(path: string): Promise<{ text: string; owner?: LockOwner } | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const owner = parseOwner(text);
    return { text, ...(owner && { owner }) };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Moves a stale lock away only if it is still the one judged stale (see file-lock.ts). */
async function removeStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== staleText) await link(aside, path).catch(() => {}); // a fresh lock: put it back
  await unlink(aside).catch(() => {});
}

/**
 * Takes the device's lock, or says who holds it. A lock whose owner is gone is taken over; a lock
 * that is not ours to read (garbage) counts as gone.
 */
export async function tryTakeCodeLock(
  device: string,
  env: NodeJS.ProcessEnv,
): Promise<{ lock: HeldCodeLock } | { holder: LockOwner }> {
  const path = codeLockFile(device, env);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const start = processStart(process.pid);
  const boot = bootId();
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    ...(boot && { boot }),
    ...(start && { start }),
    device,
    nonce: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.new`;
    const fh = await open(draft, 'wx', 0o600);
    try {
      await fh.writeFile(text);
    } finally {
      await fh.close();
    }
    try {
      await link(draft, path);
      return { lock: held(path, text) };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    } finally {
      await unlink(draft).catch(() => {});
    }
    const current = await readOwner(path);
    if (!current) continue; // released meanwhile
    if (current.owner && !ownerGone(current.owner)) return { holder: current.owner };
    await removeStale(path, current.text);
  }
  throw new Error(`cannot take ${path}: it keeps changing`);
}

function held(path: string, text: string): HeldCodeLock {
  // A process that exits without reaching `finally` (process.exit) still lets go.
  const onExit = () => {
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      /* gone already */
    }
  };
  process.on('exit', onExit);
  return {
    path,
    async release() {
      process.removeListener('exit', onExit);
      onExit();
    },
  };
}

/**
 * Waits while `holder` holds the lock: resolves 'changed' when it was released, taken over or its
 * owner is gone (try again), 'timeout' at the deadline (ms since the epoch, real time).
 */
export async function waitForCodeLock(
  device: string,
  env: NodeJS.ProcessEnv,
  holder: LockOwner,
  deadline: number,
): Promise<'changed' | 'timeout'> {
  const path = codeLockFile(device, env);
  for (;;) {
    const current = await readOwner(path);
    if (!current?.owner || current.owner.nonce !== holder.nonce || ownerGone(current.owner)) return 'changed';
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    await new Promise((done) => setTimeout(done, Math.min(200, left)));
  }
}
