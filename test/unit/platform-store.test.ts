/**
 * The Windows, macOS and WSL decisions of the store and the lock, made on Linux: each platform is
 * built with makePlatform(kind, fakes) and real files, and the failures those systems produce are
 * injected through the store's fs seam (EPERM/EBUSY on rename, ENOTSUP on link, delete-pending EPERM).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FileStoreError, assertWritable, updateFile, type FileStoreFs } from '../../src/profiles/file-store.js';
import { makePlatform, systemFacts, type Platform, type PlatformKind } from '../../src/platform/platform.js';

const root = mkdtempSync(join(tmpdir(), 'platform-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dir: string;
let file: string;
let n = 0;
beforeEach(() => {
  dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  file = join(dir, 'credentials');
  writeFileSync(file, '[a]\nx = 1\n', { mode: 0o600 });
});

const addB = (current: string | undefined) => `${current ?? ''}[b]\ny = 2\n`;
const leftovers = () => readdirSync(dir).filter((f) => f !== 'credentials');
const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
function platform(kind: PlatformKind, facts: Partial<ReturnType<typeof systemFacts>> = {}): Platform {
  return makePlatform(kind, { ...systemFacts(), ...facts });
}
/** Fails `call` with `code` for its first `times` calls that `match`, then lets it through. */
function failing<K extends keyof FileStoreFs>(
  name: K,
  code: string,
  times: number,
  match: (...args: Parameters<FileStoreFs[K]>) => boolean = () => true,
): { fs: Partial<FileStoreFs>; calls: () => number } {
  let calls = 0;
  const real = fsp[name as keyof typeof fsp] as (...a: unknown[]) => unknown;
  const fake = (...args: Parameters<FileStoreFs[K]>) => {
    if (match(...args) && calls++ < times) return Promise.reject(errno(code));
    return real(...args);
  };
  return { fs: { [name]: fake } as Partial<FileStoreFs>, calls: () => calls };
}
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('Windows: a rename blocked by another open handle is retried', () => {
  for (const code of ['EPERM', 'EBUSY', 'EACCES']) {
    it(`${code} until the 4th try: retried, then written`, async () => {
      const f = failing('rename', code, 3);
      const result = await updateFile(file, addB, { fs: f.fs, platform: platform('win32') });
      expect(result.written).toBe(true);
      expect(f.calls()).toBe(4);
      expect(readFileSync(file, 'utf8')).toBe('[a]\nx = 1\n[b]\ny = 2\n');
      expect(leftovers()).toEqual([]);
    });
  }

  it('held open for longer than the retry window: one clear message, the original intact, nothing left', async () => {
    const win = { ...platform('win32'), renameRetry: { codes: ['EPERM', 'EACCES', 'EBUSY'], forMs: 400 } };
    const f = failing('rename', 'EPERM', Infinity);
    const error = (await rejection(updateFile(file, addB, { fs: f.fs, platform: win }))) as FileStoreError;
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.message).toMatch(/^Cannot replace .*credentials: another program keeps it open \(EPERM, \d+ tries/);
    expect(error.hint).toMatch(/Close what may hold it/);
    expect(f.calls()).toBeGreaterThan(1);
    expect(readFileSync(file, 'utf8')).toBe('[a]\nx = 1\n');
    expect(leftovers()).toEqual([]);
  });

  it('the real platform windows uses retries for about 10 s', () => {
    expect(platform('win32').renameRetry).toEqual({ codes: ['EPERM', 'EACCES', 'EBUSY'], forMs: 10_000 });
  });

  it('on Linux and macOS an EPERM rename is a real refusal: not retried', async () => {
    for (const kind of ['linux', 'darwin'] as const) {
      const f = failing('rename', 'EPERM', 1);
      const error = await rejection(updateFile(file, addB, { fs: f.fs, platform: platform(kind) }));
      expect(error.message).toMatch(/Cannot write .*credentials: operation not permitted/);
      expect(f.calls()).toBe(1);
    }
  });
});

describe('locks where hard links do not exist (FAT, exFAT, SMB)', () => {
  for (const code of ['ENOTSUP', 'EPERM']) {
    it(`link() failing with ${code}: the lock is created with O_EXCL and the update done`, async () => {
      const f = failing('link', code, Infinity);
      const result = await updateFile(file, addB, { fs: f.fs });
      expect(result.written).toBe(true);
      expect(f.calls()).toBeGreaterThan(0);
      expect(leftovers()).toEqual([]);
    });
  }

  it('the O_EXCL lock still excludes: 10 concurrent updates all land', async () => {
    const f = failing('link', 'ENOTSUP', Infinity);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        updateFile(file, (c) => `${c}[p${i}]\n`, { fs: f.fs, lockTimeoutMs: 20_000 }),
      ),
    );
    const text = readFileSync(file, 'utf8');
    for (let i = 0; i < 10; i++) expect(text).toContain(`[p${i}]`);
    expect(leftovers()).toEqual([]);
  });
});

describe('Windows: re-creating a just-deleted (delete-pending) lock', () => {
  const lockCalls = (p: unknown) => String(p).endsWith('credentials.lock');
  function deletePending(times: number): Partial<FileStoreFs> {
    // The lock path answers EPERM to link and to O_EXCL for a while; reading it says it is gone.
    const link = failing('link', 'EPERM', times, (_from, to) => lockCalls(to));
    const open = failing('open', 'EPERM', times, (p, flags) => lockCalls(p) && flags === 'wx');
    return { ...link.fs, ...open.fs };
  }

  it('is treated as busy: waited for, then taken', async () => {
    const result = await updateFile(file, addB, { fs: deletePending(3), platform: platform('win32') });
    expect(result.written).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('on Linux the same EPERM is a real refusal with its cause', async () => {
    const error = await rejection(updateFile(file, addB, { fs: deletePending(3), platform: platform('linux') }));
    expect(error.message).toMatch(/Cannot lock .*credentials: operation not permitted/);
  });
});

describe('who owns a lock: platform and boot id, the pid trusted only when they match', () => {
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
  const lock = () => `${file}.lock`;
  const bootAt = Date.now() - 3_600_000;
  const mac = (host: string) =>
    platform('darwin', { hostname: () => host, bootId: () => undefined, uptime: () => (Date.now() - bootAt) / 1000 });

  it('the lock names the platform and the boot', async () => {
    const linux = platform('linux', { bootId: () => 'boot-1' });
    expect(linux.lockContent()).toMatch(new RegExp(`^${process.pid} \\S+ \\d+ linux boot-1\\n$`));
    expect(platform('wsl', { env: { WSL_DISTRO_NAME: 'Ubuntu' }, bootId: () => 'b' }).lockContent()).toMatch(
      / wsl:Ubuntu b\n$/,
    );
    expect(mac('h').lockContent()).toMatch(/ darwin t\d+\n$/);
  });

  it('macOS: the hostname changed with the network, same boot: a dead owner is taken over at once', async () => {
    const before = mac('cafe-wifi.local');
    writeFileSync(lock(), before.lockContent().replace(/^\d+/, String(deadPid())));
    const result = await updateFile(file, addB, { platform: mac('office.local'), lockTimeoutMs: 2000 });
    expect(result.written).toBe(true);
  });

  it('WSL: a lock on /mnt/c from a Windows process (same hostname, other pid space) is not judged by its pid', async () => {
    const wsl = platform('wsl', { env: { WSL_DISTRO_NAME: 'Ubuntu' }, bootId: () => 'wsl-boot' });
    // A pid that is not alive here may well be alive on Windows.
    writeFileSync(lock(), `${deadPid()} ${hostname()} ${Date.now()} win32 t123\n`);
    const error = await rejection(updateFile(file, addB, { platform: wsl, lockTimeoutMs: 300 }));
    expect(error.message).toMatch(/another aws-mfa-refresh is writing/);
    // The same owner seen from the same platform and boot: dead, taken over.
    writeFileSync(lock(), `${deadPid()} ${hostname()} ${Date.now()} wsl:Ubuntu wsl-boot\n`);
    expect((await updateFile(file, addB, { platform: wsl, lockTimeoutMs: 2000 })).written).toBe(true);
  });

  it('another boot (a reboot reused the pid numbers): not judged by its pid', async () => {
    const linux = platform('linux', { bootId: () => 'boot-now' });
    writeFileSync(lock(), `${deadPid()} ${hostname()} ${Date.now()} linux boot-before\n`);
    const error = await rejection(updateFile(file, addB, { platform: linux, lockTimeoutMs: 300 }));
    expect(error.message).toMatch(/another aws-mfa-refresh is writing/);
  });

  it('a lock in the old three-field form is still judged by hostname and pid', async () => {
    writeFileSync(lock(), `${deadPid()} ${hostname()} ${Date.now()}\n`);
    expect((await updateFile(file, addB, { platform: platform('linux'), lockTimeoutMs: 2000 })).written).toBe(true);
  });
});

describe('privacy and writability', () => {
  it('no file-mode warning on Windows, nor on WSL DrvFs (/mnt/c); Linux and macOS warn', () => {
    expect(platform('win32').privacyWarning(0o100666, 'C:\\u\\.aws\\credentials', 'C:\\u\\.aws\\credentials')).toBe(
      undefined,
    );
    expect(
      platform('wsl').privacyWarning(0o100777, '/mnt/c/Users/u/.aws/credentials', '/mnt/c/Users/u/.aws/credentials'),
    ).toBe(undefined);
    expect(platform('wsl').privacyWarning(0o100644, '~/.aws/credentials', '/home/u/.aws/credentials')).toMatch(
      /readable by others/,
    );
    for (const kind of ['linux', 'darwin'] as const)
      expect(platform(kind).privacyWarning(0o100644, '~/.aws/credentials', '/h/.aws/credentials')).toBe(
        '~/.aws/credentials is readable by others (mode 0644); run: chmod 600 /h/.aws/credentials',
      );
  });

  it('a refresh on Windows does not warn about modes', async () => {
    chmodSync(file, 0o644);
    expect((await updateFile(file, addB, { platform: platform('win32') })).warning).toBeUndefined();
    expect((await updateFile(file, addB, { platform: platform('linux') })).warning).toMatch(/readable by others/);
  });

  it('Windows: an ACL that refuses writing (open for writing fails) is found before a code is spent', async () => {
    const acl = failing('open', 'EACCES', Infinity, (p, flags) => p === file && flags === 'r+');
    const error = await rejection(assertWritable(file, { fs: acl.fs, platform: platform('win32') }));
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.message).toMatch(/Cannot write .*credentials: permission denied/);
    // A directory that refuses new files, too.
    const dirAcl = failing('open', 'EPERM', Infinity, (p, flags) => flags === 'wx' && String(p).startsWith(dir));
    expect((await rejection(assertWritable(file, { fs: dirAcl.fs, platform: platform('win32') }))).message).toMatch(
      /operation not permitted/,
    );
    expect(leftovers()).toEqual([]);
    // Linux trusts the mode bits (and root's view of them) and does not probe.
    await assertWritable(file, { fs: acl.fs, platform: platform('linux') });
  });

  it('a read-only file names the way out of each platform', () => {
    expect(platform('win32').readOnlyHint('C:\\u\\.aws\\credentials')).toBe(
      'Clear its read-only attribute with: attrib -R "C:\\u\\.aws\\credentials", then run again.',
    );
    expect(platform('darwin').readOnlyHint('/h/.aws/credentials')).toBe(
      'Make it writable with: chmod 600 /h/.aws/credentials, then run again.',
    );
  });
});
