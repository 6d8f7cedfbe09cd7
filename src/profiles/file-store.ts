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
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { displayPath, octal, shellQuote } from '../platform/paths.js';
import { currentPlatform, type Platform } from '../platform/platform.js';
import { FileStoreError, errnoCode, fsError } from './fs-errors.js';
import { acquireLock, releaseLock, removeOrphans } from './file-lock.js';
import { testPause } from './test-pause.js';

export { FileStoreError } from './fs-errors.js';

export interface UpdateResult {
  written: boolean;
  /** The real path of the file (symlinks resolved). */
  path: string;
  /** Set when the existing file is readable or writable by others. */
  warning?: string;
}

/** The file system calls the store makes; tests replace some to inject failures. */
export interface FileStoreFs {
  /** Reads a file whole: its stats, and its bytes when it is a regular file. */
  readRegular: (path: string) => Promise<{ stats: Stats; bytes?: Buffer }>;
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
  /** Test seam: another OS's rules (default: this machine's). */
  platform?: Platform;
}

/**
 * The empty files that probe whether we may create a file next to the target: write-only for the
 * owner, so not even an empty file is ever more readable than a 0200 target.
 */
const PROBE_MODE = 0o200;

/**
 * open → fstat → read → close, synchronously: the AWS files are small, and a command that only reads
 * them (status, env, credential-process) then never starts libuv's thread pool, which costs more
 * than the reads. Not a FileHandle either: that loads fs/promises and with it the streams.
 */
async function readRegular(path: string): Promise<{ stats: Stats; bytes?: Buffer }> {
  // O_NONBLOCK: opening a FIFO must not hang; it is refused by the caller.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    return stats.isFile() ? { stats, bytes: readFileSync(fd) } : { stats };
  } finally {
    closeSync(fd);
  }
}

const defaultFs: FileStoreFs = {
  readRegular,
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

/** What readFileIfRegular gives for a path that is something else: /dev/null, a directory, a FIFO. */
export const NOT_A_FILE = Symbol('not a regular file');

/** As readFileText, but a path that exists and is not a regular file is NOT_A_FILE, not a failure. */
export async function readFileIfRegular(path: string): Promise<string | undefined | typeof NOT_A_FILE> {
  const read = await readWithStats(defaultFs, resolve(path), displayPath(path), 'report');
  return read.notAFile ? NOT_A_FILE : read.text;
}

/** The file's bytes as a latin1 string; undefined when it does not exist. */
export async function readFileText(
  path: string,
  opts: { fs?: Partial<FileStoreFs> } = {},
): Promise<string | undefined> {
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
  const platform = opts.platform ?? currentPlatform();
  const shown = displayPath(path);
  const target = await resolveTarget(fs, path, shown);
  const lock = await acquireLock(fs, target, shown, {
    timeoutMs: opts.lockTimeoutMs ?? 10_000,
    staleMs: opts.staleLockMs ?? 15_000,
    platform,
  });
  try {
    testPause('locked');
    await removeOrphans(fs, target);
    const { text: current, stats } = await readWithStats(fs, target, shown);
    const warning = stats ? platform.privacyWarning(stats.mode, shown, target) : undefined;
    const next = edit(current);
    const result: UpdateResult = { written: false, path: target, ...(warning !== undefined && { warning }) };
    if (next === undefined || next === current) return result;
    if (stats) refuseReadOnly(stats, shown, target, platform);
    await writeAtomically(fs, target, next, stats, shown, platform);
    result.written = true;
    return result;
  } finally {
    await releaseLock(fs, lock);
  }
}

/**
 * The file's text read under its lock (waiting for a writer to finish), without writing; undefined
 * when it does not exist. Creates nothing: a missing file or directory is read as missing.
 */
export async function readLocked(path: string, opts: UpdateOptions = {}): Promise<string | undefined> {
  const fs = { ...defaultFs, ...opts.fs };
  const platform = opts.platform ?? currentPlatform();
  const shown = displayPath(path);
  const target = await resolveTarget(fs, path, shown, { create: false });
  if (!(await fs.stat(target).catch(() => undefined))) return undefined;
  const lock = await acquireLock(fs, target, shown, {
    timeoutMs: opts.lockTimeoutMs ?? 10_000,
    staleMs: opts.staleLockMs ?? 15_000,
    platform,
  });
  try {
    return (await readWithStats(fs, target, shown)).text;
  } finally {
    await releaseLock(fs, lock);
  }
}

/**
 * Fails now, the way updateFile would later, when the file cannot be written (read-only, a
 * directory, unreadable): callers check before spending something that cannot be had back,
 * like a one-time MFA code.
 */
export async function assertWritable(
  path: string,
  opts: { fs?: Partial<FileStoreFs>; platform?: Platform } = {},
): Promise<void> {
  const fs = { ...defaultFs, ...opts.fs };
  const platform = opts.platform ?? currentPlatform();
  const shown = displayPath(path);
  const target = await resolveTarget(fs, path, shown);
  const { stats } = await readWithStats(fs, target, shown);
  if (stats) refuseReadOnly(stats, shown, target, platform);
  if (platform.probeWritesByOpening) await probeWrites(fs, target, shown, Boolean(stats));
}

/**
 * Everything updateFile will need, checked without changing anything: the nearest existing directory
 * takes a new file (the lock, the temp file, or a missing directory: a probe file is created and
 * removed), the file is not read-only and can be handed back to its owner. Throws FileStoreError.
 * An existing path that is not a regular file (AWS_CONFIG_FILE=/dev/null) is not judged here.
 */
export async function assertReplaceable(path: string, opts: { platform?: Platform } = {}): Promise<void> {
  const fs = defaultFs;
  const platform = opts.platform ?? currentPlatform();
  const shown = displayPath(path);
  const target = await resolveTarget(fs, path, shown, { create: false });
  let stats: Stats | undefined;
  try {
    stats = await fs.stat(target);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw fsError('write', shown, error);
  }
  if (stats && !stats.isFile()) return;
  if (stats) {
    refuseReadOnly(stats, shown, target, platform);
    const uid = process.geteuid?.();
    if (uid !== undefined && uid !== 0 && stats.uid !== uid) {
      throw new FileStoreError(
        `Cannot write ${shown}: it belongs to user ${stats.uid}, and replacing it would take it from them.`,
        `Give it back to yourself (sudo chown $(id -u) ${shellQuote(target)}), then run again.`,
      );
    }
  }
  let dir = dirname(target);
  while (!(await fs.stat(dir).catch(() => undefined)) && dirname(dir) !== dir) dir = dirname(dir);
  const probe = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fs.open(probe, 'wx', PROBE_MODE);
    await fh.close();
    await fs.unlink(probe);
  } catch (error) {
    const cause = fsError('create a file in', displayPath(dir), error);
    throw new FileStoreError(
      `${cause.message.replace(/\.$/, '')}, where ${shown} is saved (with its lock and a temporary copy).`,
      `Make ${displayPath(dir)} writable for you, or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE elsewhere, then run again.`,
      { ...(cause.code !== undefined && { code: cause.code }), cause: error },
    );
  }
}

/** Tests run as root, and root may write anything: the owner's write bit is what the user set. */
function refuseReadOnly(stats: Stats, shown: string, target: string, platform: Platform): void {
  if ((stats.mode & 0o200) !== 0) return;
  throw new FileStoreError(`${shown} is read-only (mode ${octal(stats.mode)}).`, platform.readOnlyHint(target));
}

/**
 * Windows ACLs (and DrvFs under WSL) can refuse a write that the mode bits and access(W_OK) allow:
 * open the file for writing and create and delete a file next to it, as the refresh will.
 */
async function probeWrites(fs: FileStoreFs, target: string, shown: string, exists: boolean): Promise<void> {
  const probe = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    if (exists) await (await fs.open(target, 'r+')).close();
    await (await fs.open(probe, 'wx', PROBE_MODE)).close();
    await fs.unlink(probe);
  } catch (error) {
    await fs.unlink(probe).catch(() => {});
    throw fsError('write', shown, error);
  }
}

async function resolveTarget(
  fs: FileStoreFs,
  path: string,
  shown: string,
  opts: { create?: boolean } = {},
): Promise<string> {
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
    if (opts.create === false) return join(await fs.realpath(dir).catch(() => dir), basename(current));
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

async function readWithStats(
  fs: FileStoreFs,
  target: string,
  shown: string,
  otherFile: 'fail' | 'report' = 'fail',
): Promise<{ text?: string; stats?: Stats; notAFile?: true }> {
  let read: { stats: Stats; bytes?: Buffer };
  try {
    read = await fs.readRegular(target);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {};
    // Windows refuses to open a directory at all.
    if (otherFile === 'report' && errnoCode(error) === 'EISDIR') return { notAFile: true };
    throw fsError('read', shown, error);
  }
  const { stats, bytes } = read;
  if (!bytes && otherFile === 'report') return { stats, notAFile: true };
  if (stats.isDirectory()) throw fsError('read', shown, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  if (!bytes) {
    throw new FileStoreError(
      `Cannot read ${shown}: it is not a regular file.`,
      'Point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at a regular file, then run again.',
    );
  }
  return { text: bytes.toString('latin1'), stats };
}

// ---------------------------------------------------------------------------------------------
// Writing

async function writeAtomically(
  fs: FileStoreFs,
  target: string,
  text: string,
  existing: Stats | undefined,
  shown: string,
  platform: Platform,
): Promise<void> {
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
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset, offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      offset += bytesWritten;
    }
    await fh.sync();
    if (existing) await keepOwner(fh, existing);
    await chmodUnlessUnsupported(fh, mode);
    await fh.close();
    fh = undefined;
    testPause('temp-written');
    await renameRetrying(fs, temp, target, shown, platform);
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

/**
 * On Windows a rename over a file another process holds open without delete sharing (antivirus,
 * the search indexer, the AWS CLI reading it) fails with EPERM/EACCES/EBUSY until it lets go.
 * The MFA code is spent by now: wait for it (about 10 s), then say what holds us up.
 */
async function renameRetrying(
  fs: FileStoreFs,
  from: string,
  to: string,
  shown: string,
  platform: Platform,
): Promise<void> {
  const { codes, forMs } = platform.renameRetry;
  const deadline = Date.now() + forMs;
  let wait = 25;
  for (let tries = 1; ; tries++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (error) {
      const code = errnoCode(error);
      if (!code || !codes.includes(code)) throw error;
      if (Date.now() >= deadline) {
        throw new FileStoreError(
          `Cannot replace ${shown}: another program keeps it open (${code}, ${tries} tries over ${Math.round(forMs / 1000)} s).`,
          'Close what may hold it (an editor, a running aws command, a backup or antivirus scan), then run again.',
          { code, cause: error },
        );
      }
      await new Promise((done) => setTimeout(done, wait));
      wait = Math.min(wait * 2, 1000);
    }
  }
}

/**
 * FAT, exFAT and SMB mounts have no per-file modes and refuse chmod (EPERM, ENOTSUP): that is fine
 * when what the mount shows is not wider than wanted (umask=077 shows 0600 or 0700).
 */
async function chmodUnlessUnsupported(fh: FileHandle, mode: number): Promise<void> {
  try {
    await fh.chmod(mode);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    if (((await fh.stat()).mode & 0o077 & ~mode) !== 0) throw error;
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
