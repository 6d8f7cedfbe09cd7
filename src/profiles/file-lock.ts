/**
 * The lock around each read-edit-write of a file the store replaces.
 *
 * The lock is `<realpath>.lock`, created whole (written, then hard-linked into place), holding
 * `pid hostname timestamp platform boot-id` (see Platform.lockContent). Where hard links do not
 * exist (FAT, exFAT, SMB) it is created with O_EXCL instead. It is held
 * only around read-edit-write (milliseconds). Contenders retry with a small randomized backoff.
 *
 * A lock is stale when its pid is not alive, or it is older than staleLockMs. The pid is trusted only
 * when the owner ran on this platform and boot (WSL and Windows share /mnt/c and a hostname but not
 * pids; a Mac's hostname changes with the network, its boot does not).
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
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { FileStoreError, errnoCode, fsError } from './fs-errors.js';
import type { FileStoreFs } from './file-store.js';
import { parseLockOwner, type Platform } from '../platform/platform.js';

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

async function createExclusive(fs: FileStoreFs, path: string, platform: Platform): Promise<HeldLock> {
  const content = platform.lockContent();
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
  let linked = false;
  try {
    await fs.link(draft, path);
    linked = true;
  } catch (error) {
    const code = errnoCode(error);
    if (!code || !platform.linkUnsupported.includes(code)) throw error;
  } finally {
    await fs.unlink(draft).catch(() => {});
  }
  if (!linked) await createWithExcl(fs, path, content);
  const st = await fs.stat(path);
  return { path, content, ino: st.ino, dev: st.dev, mtimeMs: st.mtimeMs };
}

/**
 * No hard links here: O_EXCL, which every file system honours. The lock is briefly empty; a reader
 * sees garbage and judges it by age only, so a crash right here costs staleLockMs, never safety.
 */
async function createWithExcl(fs: FileStoreFs, path: string, content: string): Promise<void> {
  const fh = await fs.open(path, 'wx', 0o600);
  try {
    await fh.writeFile(content, 'latin1');
  } catch (error) {
    await fh.close().catch(() => {});
    await fs.unlink(path).catch(() => {});
    throw error;
  }
  await fh.close().catch(() => {});
}

/** The lock exists (EEXIST), or on Windows is still being deleted by its last holder (EPERM). */
function isBusy(error: unknown, platform: Platform): boolean {
  const code = errnoCode(error);
  return code === 'EEXIST' || (code !== undefined && platform.lockBusy.includes(code));
}

/** The lock's content; undefined when there is none, 'busy' when Windows keeps it delete-pending. */
async function readLock(fs: FileStoreFs, path: string, platform?: Platform): Promise<LockInfo | undefined>;
async function readLock(
  fs: FileStoreFs,
  path: string,
  platform: Platform,
  busy: true,
): Promise<LockInfo | 'busy' | undefined>;
async function readLock(
  fs: FileStoreFs,
  path: string,
  platform?: Platform,
  busy?: true,
): Promise<LockInfo | 'busy' | undefined> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    if (busy && platform && isBusy(error, platform)) return 'busy';
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

function isStale(info: LockInfo, staleMs: number, platform: Platform): boolean {
  const owner = parseLockOwner(info.content);
  if (!owner) return Date.now() - info.mtimeMs > staleMs; // being written right now, or garbage
  if (platform.trustsPidOf(owner) && !pidAlive(owner.pid)) return true;
  return Date.now() - Math.min(owner.time, info.mtimeMs) > staleMs;
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
async function breakStaleLock(
  fs: FileStoreFs,
  lockPath: string,
  stale: LockInfo,
  staleMs: number,
  platform: Platform,
): Promise<boolean> {
  const takeoverPath = `${lockPath}.takeover`;
  let takeover: HeldLock;
  try {
    takeover = await createExclusive(fs, takeoverPath, platform);
  } catch (error) {
    if (!isBusy(error, platform)) throw error;
    const other = await readLock(fs, takeoverPath, platform, true);
    if (other && other !== 'busy' && isStale(other, Math.min(staleMs, 2000), platform))
      await removeIfUnchanged(fs, takeoverPath, other);
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
  opts: { timeoutMs: number; staleMs: number; platform: Platform },
): Promise<HeldLock> {
  const { platform } = opts;
  const lockPath = `${target}.lock`;
  const deadline = Date.now() + opts.timeoutMs;
  let backoff = 4;
  try {
    for (;;) {
      let busy: string | undefined;
      try {
        return await createExclusive(fs, lockPath, platform);
      } catch (error) {
        if (!isBusy(error, platform)) throw error;
        busy = errnoCode(error);
      }
      const holder = await readLock(fs, lockPath, platform, true);
      if (!holder && busy === 'EEXIST') continue; // released meanwhile (else delete-pending: wait)
      if (
        holder &&
        holder !== 'busy' &&
        isStale(holder, opts.staleMs, platform) &&
        (await breakStaleLock(fs, lockPath, holder, opts.staleMs, platform))
      )
        continue;
      if (Date.now() >= deadline) {
        throw new FileStoreError(
          `another aws-mfa-refresh is writing ${shown} (waited ${(opts.timeoutMs / 1000).toFixed(1)} s for ${lockPath}).`,
          `Wait for it to finish and run again; if none is running, delete the lock with: ${platform.removeCommand(lockPath)}, then run again.`,
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
