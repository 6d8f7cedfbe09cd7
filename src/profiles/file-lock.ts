/**
 * The lock around each read-edit-write of a file the store replaces.
 *
 * The lock is `<realpath>.lock`, created whole (written, then hard-linked into place), holding `pid hostname timestamp`. It is held
 * only around read-edit-write (milliseconds). Contenders retry with a small randomized backoff.
 *
 * A lock is stale when its pid is not alive on this host, or it is older than staleLockMs.
 * Taking a stale lock over safely: two contenders that both saw the same stale lock must not both
 * end up holding the lock, and must never delete a fresh lock created after the stale one went.
 *  1. Breaking is serialized by a second O_EXCL file, `<lock>.takeover` (itself held for
 *     microseconds; when its holder died, it is removed the same careful way as in 3).
 *  2. Under it, the contender re-reads the lock and goes on only if it is still the same file
 *     (inode, device, content) it judged stale.
 *  3. It renames the lock aside (atomic: of several renamers only one gets that file), checks
 *     that what it moved is that stale file, and deletes it. Had a fresh lock replaced it in
 *     between, it links it back into place.
 *  4. Nobody takes the lock in steps 1-3: every contender then competes again with O_EXCL, so
 *     exactly one wins.
 * The remaining window (a live lock holder slower than staleLockMs releasing, and a third
 * process locking, within the microseconds of step 3) needs a lock held 15 s, which never
 * happens in a read-edit-write. A lock holder only ever deletes its own lock (checked by
 * inode and content).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { shellQuote } from '../platform/paths.js';
import { FileStoreError, errnoCode, fsError } from './fs-errors.js';
import type { FileStoreFs } from './file-store.js';

interface LockInfo {
  ino: number;
  dev: number;
  content: string;
  mtimeMs: number;
}

export interface HeldLock extends LockInfo {
  path: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function lockContent(): string {
  return `${process.pid} ${hostname()} ${Date.now()}\n`;
}

async function createExclusive(fs: FileStoreFs, path: string): Promise<HeldLock> {
  const content = lockContent();
  // Written in full under a private name, then hard-linked into place (link fails with EEXIST
  // while someone holds the lock): the lock is never seen empty, so a process killed while taking
  // it leaves either no lock or one that names its dead pid, which the next run takes over at once.
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.new`;
  const fh = await fs.open(draft, 'wx', 0o600);
  try {
    await fh.writeFile(content, 'latin1');
  } catch (error) {
    await fh.close().catch(() => {});
    await fs.unlink(draft).catch(() => {});
    throw error;
  }
  await fh.close().catch(() => {});
  try {
    await fs.link(draft, path);
  } finally {
    await fs.unlink(draft).catch(() => {});
  }
  const st = await fs.stat(path);
  return { path, content, ino: st.ino, dev: st.dev, mtimeMs: st.mtimeMs };
}

async function readLock(fs: FileStoreFs, path: string): Promise<LockInfo | undefined> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const st = await fh.stat();
    const content = (await fh.readFile()).toString('latin1');
    return { ino: st.ino, dev: st.dev, content, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close().catch(() => {});
  }
}

function sameLock(a: LockInfo, b: LockInfo): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.content === b.content;
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

function isStale(info: LockInfo, staleMs: number): boolean {
  const m = /^(\d+) (\S+) (\d+)\n?$/.exec(info.content);
  if (!m) return Date.now() - info.mtimeMs > staleMs; // being written right now, or garbage
  const pid = Number(m[1]);
  if (m[2] === hostname() && pid > 0 && Number.isSafeInteger(pid) && !pidAlive(pid)) return true;
  return Date.now() - Math.min(Number(m[3]), info.mtimeMs) > staleMs;
}

/** Step 3 above: removes the file at `path` only if it is still `info`. */
async function removeIfUnchanged(fs: FileStoreFs, path: string, info: LockInfo): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await fs.rename(path, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await readLock(fs, aside).catch(() => undefined);
  if (!moved || !sameLock(moved, info)) await fs.link(aside, path).catch(() => {});
  await fs.unlink(aside).catch(() => {});
}

/** Returns true when the lock may now be free (retry at once), false to back off. */
async function breakStaleLock(fs: FileStoreFs, lockPath: string, stale: LockInfo, staleMs: number): Promise<boolean> {
  const takeoverPath = `${lockPath}.takeover`;
  let takeover: HeldLock;
  try {
    takeover = await createExclusive(fs, takeoverPath);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const other = await readLock(fs, takeoverPath);
    if (other && isStale(other, Math.min(staleMs, 2000))) await removeIfUnchanged(fs, takeoverPath, other);
    return false;
  }
  try {
    const current = await readLock(fs, lockPath);
    if (current && sameLock(current, stale)) await removeIfUnchanged(fs, lockPath, current);
    return true;
  } finally {
    await releaseLock(fs, takeover);
  }
}

export async function acquireLock(
  fs: FileStoreFs,
  target: string,
  shown: string,
  opts: { timeoutMs: number; staleMs: number },
): Promise<HeldLock> {
  const lockPath = `${target}.lock`;
  const deadline = Date.now() + opts.timeoutMs;
  let backoff = 4;
  try {
    for (;;) {
      try {
        return await createExclusive(fs, lockPath);
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
      const holder = await readLock(fs, lockPath);
      if (!holder) continue; // released meanwhile
      if (isStale(holder, opts.staleMs) && (await breakStaleLock(fs, lockPath, holder, opts.staleMs))) continue;
      if (Date.now() >= deadline) {
        throw new FileStoreError(
          `another aws-mfa-refresh is writing ${shown} (waited ${(opts.timeoutMs / 1000).toFixed(1)} s for ${lockPath}).`,
          `Wait for it to finish and run again; if none is running, delete ${shellQuote(lockPath)}.`,
          { code: 'ELOCKED' },
        );
      }
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 1.5, 100);
    }
  } catch (error) {
    throw fsError('lock', shown, error);
  }
}

/** Deletes the lock if it is still ours. Never throws: it runs in `finally`. */
export async function releaseLock(fs: FileStoreFs, lock: HeldLock): Promise<void> {
  try {
    const current = await readLock(fs, lock.path);
    if (current && sameLock(current, lock)) await fs.unlink(lock.path);
  } catch {
    /* a lock we cannot delete is taken over later: its pid is dead */
  }
}

/**
 * Under the lock, deletes what crashed runs left next to the target: temp files and set-aside
 * locks whose pid is no longer alive. Best effort.
 */
export async function removeOrphans(fs: FileStoreFs, target: string): Promise<void> {
  const dir = dirname(target);
  const base = basename(target);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const esc = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const orphan = new RegExp(
    `^(?:\\.${esc}\\.(\\d+)\\.[0-9a-f]+\\.tmp|${esc}\\.lock(?:\\.takeover)?\\.(\\d+)\\.[0-9a-f]+\\.(?:stale|new))$`,
  );
  for (const name of names) {
    const m = orphan.exec(name);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2]);
    if (pid > 0 && !pidAlive(pid)) await fs.unlink(join(dir, name)).catch(() => {});
  }
}
