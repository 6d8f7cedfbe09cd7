/**
 * Reads and replaces the files that hold the user's AWS keys: atomically, under a lock, privately.
 *
 * `updateFile` = resolve symlinks (the target is replaced, the link kept) → create a missing
 * parent directory (0700) → take `<realpath>.lock` → read → edit → write a temp file next to the
 * target (0600 while written, then the final mode) → fsync → rename over the target → fsync the
 * directory → release the lock. On any failure the original stays untouched and no temp or lock
 * file is left behind.
 *
 * Text is a latin1 byte string (see ini-document.ts): every byte round-trips.
 */
import { constants, writeSync, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ExitCode, UserError } from '../errors.js';

export class FileStoreError extends UserError {
  /** The errno code behind it (ENOSPC, EACCES, ...), when there is one. */
  readonly code?: string;

  constructor(message: string, hint?: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, ExitCode.Unexpected, hint);
    this.name = 'FileStoreError';
    this.code = options.code;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export interface UpdateResult {
  written: boolean;
  /** The real path of the file (symlinks resolved). */
  path: string;
  /** Set when the existing file is readable or writable by others. */
  warning?: string;
}

/** The file system calls the store makes; tests replace some to inject failures. */
export interface FileStoreFs {
  open: typeof fsp.open;
  lstat: typeof fsp.lstat;
  stat: typeof fsp.stat;
  readlink: typeof fsp.readlink;
  realpath: typeof fsp.realpath;
  mkdir: typeof fsp.mkdir;
  chmod: typeof fsp.chmod;
  rename: typeof fsp.rename;
  unlink: typeof fsp.unlink;
  link: typeof fsp.link;
  readdir: typeof fsp.readdir;
}

export interface UpdateOptions {
  /** Give up waiting for another writer after this long (default 10000 ms). */
  lockTimeoutMs?: number;
  /** A lock older than this is taken over even if its process may be alive (default 15000 ms). */
  staleLockMs?: number;
  /** Test seam: replaces file system calls. */
  fs?: Partial<FileStoreFs>;
}

const defaultFs: FileStoreFs = {
  open: fsp.open,
  lstat: fsp.lstat,
  stat: fsp.stat,
  readlink: fsp.readlink,
  realpath: fsp.realpath,
  mkdir: fsp.mkdir,
  chmod: fsp.chmod,
  rename: fsp.rename,
  unlink: fsp.unlink,
  link: fsp.link,
  readdir: fsp.readdir,
};

/** The file's bytes as a latin1 string; undefined when it does not exist. */
export async function readFileText(path: string, opts: { fs?: Partial<FileStoreFs> } = {}): Promise<string | undefined> {
  const fs = { ...defaultFs, ...opts.fs };
  return readTarget(fs, resolve(path), displayPath(path));
}

/**
 * Replaces the file with `edit(current)` (latin1 text; undefined = the file does not exist).
 * `edit` returning undefined (or the current text) writes nothing. `edit` runs under the lock:
 * keep it synchronous and fast; what it throws is passed through unchanged.
 */
export async function updateFile(
  path: string,
  edit: (current: string | undefined) => string | undefined,
  opts: UpdateOptions = {},
): Promise<UpdateResult> {
  const fs = { ...defaultFs, ...opts.fs };
  const shown = displayPath(path);
  const target = await resolveTarget(fs, path, shown);
  const lock = await acquireLock(fs, target, shown, {
    timeoutMs: opts.lockTimeoutMs ?? 10_000,
    staleMs: opts.staleLockMs ?? 15_000,
  });
  try {
    testPause('locked');
    await removeOrphans(fs, target);
    const { text: current, stats } = await readWithStats(fs, target, shown);
    const warning = stats ? modeWarning(stats.mode, shown, target) : undefined;
    const next = edit(current);
    const result: UpdateResult = { written: false, path: target, ...(warning !== undefined && { warning }) };
    if (next === undefined || next === current) return result;
    if (stats) refuseReadOnly(stats, shown, target);
    await writeAtomically(fs, target, next, stats, shown);
    result.written = true;
    return result;
  } finally {
    await releaseLock(fs, lock);
  }
}

/**
 * Fails now, the way updateFile would later, when the file cannot be written (read-only, a
 * directory, unreadable): callers check before spending something that cannot be had back,
 * like a one-time MFA code.
 */
export async function assertWritable(path: string): Promise<void> {
  const shown = displayPath(path);
  const target = await resolveTarget(defaultFs, path, shown);
  const { stats } = await readWithStats(defaultFs, target, shown);
  if (stats) refuseReadOnly(stats, shown, target);
}

/** Tests run as root, and root may write anything: the owner's write bit is what the user set. */
function refuseReadOnly(stats: Stats, shown: string, target: string): void {
  if ((stats.mode & 0o200) !== 0) return;
  throw new FileStoreError(`${shown} is read-only (mode ${octal(stats.mode)}).`, `Make it writable with: chmod 600 ${shellQuote(target)}, then run again.`);
}

// ---------------------------------------------------------------------------------------------
// Paths

function displayPath(path: string): string {
  const home = homedir();
  const abs = resolve(path);
  return home && home !== sep && abs.startsWith(home + sep) ? `~${abs.slice(home.length)}` : path;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CAUSES: Record<string, [cause: string, hint: string]> = {
  EACCES: ['permission denied', 'Check the permissions of the file and its directory, then run again.'],
  EPERM: ['operation not permitted', 'Check the permissions and attributes of the file and its directory, then run again.'],
  EISDIR: ['it is a directory', 'Move that directory away, then run again.'],
  ENOTDIR: ['a part of the path is not a directory', 'Check the path, then run again.'],
  ENOSPC: ['no space left on device', 'Free some disk space, then run again.'],
  EDQUOT: ['disk quota exceeded', 'Free some disk space, then run again.'],
  EIO: ['input/output error', 'Check the disk, then run again.'],
  EROFS: ['read-only file system', 'Use a writable location (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), then run again.'],
  ELOOP: ['too many levels of symbolic links', 'Fix the symbolic link, then run again.'],
  ENAMETOOLONG: ['file name too long', 'Use a shorter path, then run again.'],
  EMFILE: ['too many open files', 'Close some programs, then run again.'],
  ENFILE: ['too many open files', 'Close some programs, then run again.'],
};

function fsError(action: string, shown: string, error: unknown): FileStoreError {
  if (error instanceof FileStoreError) return error;
  const code = errnoCode(error);
  const [cause, hint] = (code && CAUSES[code]) || [
    (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' '),
    'Check the file and its directory, then run again.',
  ];
  return new FileStoreError(`Cannot ${action} ${shown}: ${cause}.`, hint, { ...(code !== undefined && { code }), cause: error });
}

/**
 * Follows the symlink chain of `path` (absolute and relative links; a dangling link gives its
 * missing target), creates the target's missing parent directories, and returns the real path.
 */
async function resolveTarget(fs: FileStoreFs, path: string, shown: string): Promise<string> {
  let current = resolve(path);
  try {
    for (let hops = 0; ; hops++) {
      let st: Stats;
      try {
        st = await fs.lstat(current);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') break;
        throw error;
      }
      if (!st.isSymbolicLink()) break;
      if (hops >= 40) throw Object.assign(new Error('symlink loop'), { code: 'ELOOP' });
      const link = await fs.readlink(current);
      // Relative to the link's real directory, the way the kernel resolves `..` in it.
      current = resolve(await fs.realpath(dirname(current)), link);
    }
    const dir = dirname(current);
    await ensureDirectory(fs, dir);
    return join(await fs.realpath(dir), basename(current));
  } catch (error) {
    throw fsError('resolve', shown, error);
  }
}

/** Creates the missing directories of `dir` with mode 0700; existing ones are left alone. */
async function ensureDirectory(fs: FileStoreFs, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      const st = await fs.stat(d);
      if (!st.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || dirname(d) === d) throw error;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d, { mode: 0o700 });
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') continue; // created by someone else meanwhile: not ours
      throw error;
    }
    await fs.chmod(d, 0o700); // exactly 0700 whatever the umask
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

async function readTarget(fs: FileStoreFs, target: string, shown: string): Promise<string | undefined> {
  return (await readWithStats(fs, target, shown)).text;
}

async function readWithStats(fs: FileStoreFs, target: string, shown: string): Promise<{ text?: string; stats?: Stats }> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not hang; it is refused below.
    fh = await fs.open(target, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {};
    throw fsError('read', shown, error);
  }
  try {
    const stats = await fh.stat();
    if (stats.isDirectory()) throw fsError('read', shown, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    if (!stats.isFile()) {
      throw new FileStoreError(`Cannot read ${shown}: it is not a regular file.`, 'Point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at a regular file, then run again.');
    }
    const text = (await fh.readFile()).toString('latin1');
    return { text, stats };
  } catch (error) {
    throw fsError('read', shown, error);
  } finally {
    await fh.close().catch(() => {});
  }
}

function modeWarning(mode: number, shown: string, target: string): string | undefined {
  const what = mode & 0o044 ? 'readable' : mode & 0o022 ? 'writable' : undefined;
  if (!what) return undefined;
  return `${shown} is ${what} by others (mode ${octal(mode)}); run: chmod 600 ${shellQuote(target)}`;
}

// ---------------------------------------------------------------------------------------------
// Writing

async function writeAtomically(fs: FileStoreFs, target: string, text: string, existing: Stats | undefined, shown: string): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = existing ? existing.mode & 0o777 : 0o600;
  let fh: FileHandle | undefined;
  let tempExists = false;
  try {
    // Private from the first byte and never more readable than the final file: at most 0600, and
    // no owner bits the final file lacks (an existing 0200 file must not have a 0600 copy, even briefly).
    fh = await fs.open(temp, 'wx', mode & 0o600);
    tempExists = true;
    const bytes = Buffer.from(text, 'latin1');
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset, offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      offset += bytesWritten;
    }
    await fh.sync();
    if (existing) await keepOwner(fh, existing);
    await fh.chmod(mode);
    await fh.close();
    fh = undefined;
    testPause('temp-written');
    await fs.rename(temp, target);
    tempExists = false;
  } catch (error) {
    await fh?.close().catch(() => {});
    if (tempExists) await fs.unlink(temp).catch(() => {});
    throw fsError('write', shown, error);
  }
  testPause('renamed');
  // Best effort: the file is in place; a directory that cannot be fsynced does not undo that.
  try {
    const dh = await fs.open(dir, 'r');
    await dh.sync().catch(() => {});
    await dh.close();
  } catch {
    /* ignored */
  }
}

/** Running as root (sudo) on someone's file must not hand it to root. */
async function keepOwner(fh: FileHandle, existing: Stats): Promise<void> {
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  if (uid === undefined || (existing.uid === uid && existing.gid === gid)) return;
  try {
    await fh.chown(existing.uid, existing.gid);
  } catch (error) {
    if (existing.uid !== uid) throw error; // the owner would lose the file: refuse
    // Same owner, group we may not use: keep ours (the mode is kept, and is usually 0600).
  }
}

// ---------------------------------------------------------------------------------------------
// Locking
//
// The lock is `<realpath>.lock`, created whole (written, then hard-linked into place), holding `pid hostname timestamp`. It is held
// only around read-edit-write (milliseconds). Contenders retry with a small randomized backoff.
//
// A lock is stale when its pid is not alive on this host, or it is older than staleLockMs.
// Taking a stale lock over safely: two contenders that both saw the same stale lock must not both
// end up holding the lock, and must never delete a fresh lock created after the stale one went.
//  1. Breaking is serialized by a second O_EXCL file, `<lock>.takeover` (itself held for
//     microseconds; when its holder died, it is removed the same careful way as in 3).
//  2. Under it, the contender re-reads the lock and goes on only if it is still the same file
//     (inode, device, content) it judged stale.
//  3. It renames the lock aside (atomic: of several renamers only one gets that file), checks
//     that what it moved is that stale file, and deletes it. Had a fresh lock replaced it in
//     between, it links it back into place.
//  4. Nobody takes the lock in steps 1-3: every contender then competes again with O_EXCL, so
//     exactly one wins.
// The remaining window (a live lock holder slower than staleLockMs releasing, and a third
// process locking, within the microseconds of step 3) needs a lock held 15 s, which never
// happens in a read-edit-write. A lock holder only ever deletes its own lock (checked by
// inode and content).

interface LockInfo {
  ino: number;
  dev: number;
  content: string;
  mtimeMs: number;
}

interface HeldLock extends LockInfo {
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

function pidAlive(pid: number): boolean {
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

async function acquireLock(fs: FileStoreFs, target: string, shown: string, opts: { timeoutMs: number; staleMs: number }): Promise<HeldLock> {
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
async function releaseLock(fs: FileStoreFs, lock: HeldLock): Promise<void> {
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
async function removeOrphans(fs: FileStoreFs, target: string): Promise<void> {
  const dir = dirname(target);
  const base = basename(target);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const esc = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const orphan = new RegExp(`^(?:\\.${esc}\\.(\\d+)\\.[0-9a-f]+\\.tmp|${esc}\\.lock(?:\\.takeover)?\\.(\\d+)\\.[0-9a-f]+\\.(?:stale|new))$`);
  for (const name of names) {
    const m = orphan.exec(name);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2]);
    if (pid > 0 && !pidAlive(pid)) await fs.unlink(join(dir, name)).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Crash-test hook: AWS_MFA_REFRESH_TEST_PAUSE=<step>[,<step>] pauses at that step for
// AWS_MFA_REFRESH_TEST_PAUSE_MS (default 200) after writing `paused:<step>` to stderr.

type PauseStep = 'locked' | 'temp-written' | 'renamed';

function testPause(step: PauseStep): void {
  const wanted = process.env.AWS_MFA_REFRESH_TEST_PAUSE;
  if (!wanted || !wanted.split(',').includes(step)) return;
  writeSync(2, `paused:${step}\n`);
  const ms = Number(process.env.AWS_MFA_REFRESH_TEST_PAUSE_MS ?? 200);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number.isFinite(ms) && ms >= 0 ? ms : 200);
}
