import { spawn, spawnSync, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  FileStoreError,
  NOT_A_FILE,
  readFileIfRegular,
  readFileText,
  updateFile,
  type FileStoreFs,
} from '../../src/profiles/file-store.js';
import { IniDocument, IniParseError } from '../../src/profiles/ini-document.js';
import { REPO, transpileSrc } from '../support/transpile.js';
import { watchChild, type WatchedChild } from '../support/watched-child.js';

const root = mkdtempSync(join(tmpdir(), 'file-store-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let counter = 0;
beforeEach(() => {
  dir = join(root, `case-${counter++}`);
  mkdirSync(dir, { mode: 0o755 });
});

const mode = (p: string) => statSync(p).mode & 0o777;
/** Lock, temp, takeover and set-aside files anywhere under `d`. */
function leftovers(d: string): string[] {
  return readdirSync(d, { recursive: true, encoding: 'utf8' }).filter((n) => /\.lock|\.tmp$|\.stale$|takeover/.test(n));
}
const append = (section: string) => (current: string | undefined) => {
  const doc = current === undefined ? IniDocument.empty() : IniDocument.parse(current);
  doc.set(section, { aws_access_key_id: `KEY-${section}` });
  return doc.toString();
};
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid!;
}
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('readFileText', () => {
  it('returns every byte as latin1, and undefined for a missing file', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    writeFileSync(join(dir, 'all'), bytes);
    const text = await readFileText(join(dir, 'all'));
    expect(Buffer.from(text!, 'latin1').equals(bytes)).toBe(true);
    expect(await readFileText(join(dir, 'missing'))).toBeUndefined();
    expect(await readFileText(join(dir, 'missing-dir', 'file'))).toBeUndefined();
  });

  it('fails with a FileStoreError naming the file for a directory or a FIFO', async () => {
    mkdirSync(join(dir, 'credentials'));
    const error = await rejection(readFileText(join(dir, 'credentials')));
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(join(dir, 'credentials'));
    expect((error as Error).message).toMatch(/directory/);
    expect((error as FileStoreError).hint).toBeTruthy();

    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const fifo = await rejection(readFileText(join(dir, 'fifo')));
    expect((fifo as Error).message).toMatch(/not a regular file/);
  });

  it('readFileIfRegular: a directory, a FIFO or /dev/null is NOT_A_FILE, not a failure; a file is its text', async () => {
    writeFileSync(join(dir, 'f'), 'x');
    mkdirSync(join(dir, 'd'));
    execFileSync('mkfifo', [join(dir, 'p')]);
    expect(await readFileIfRegular(join(dir, 'f'))).toBe('x');
    expect(await readFileIfRegular(join(dir, 'none'))).toBeUndefined();
    for (const other of [join(dir, 'd'), join(dir, 'p'), '/dev/null'])
      expect(await readFileIfRegular(other), other).toBe(NOT_A_FILE);
  });

  it('maps EACCES to a one-line FileStoreError', async () => {
    writeFileSync(join(dir, 'f'), 'x');
    const fs: Partial<FileStoreFs> = {
      readRegular: async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const error = (await rejection(readFileText(join(dir, 'f'), { fs }))) as FileStoreError;
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.code).toBe('EACCES');
    expect(error.message).toBe(`Cannot read ${join(dir, 'f')}: permission denied.`);
  });
});

describe('updateFile: modes and contents', () => {
  it('creates a new file 0600 and the missing directories 0700, whatever the umask', async () => {
    const old = process.umask(0);
    try {
      const file = join(dir, 'home', '.aws', 'credentials');
      const result = await updateFile(file, append('default'));
      expect(result).toEqual({ written: true, path: file });
      expect(mode(file)).toBe(0o600);
      expect(mode(join(dir, 'home', '.aws'))).toBe(0o700);
      expect(mode(join(dir, 'home'))).toBe(0o700);
      expect(mode(dir)).toBe(0o755); // existing: left alone
      expect(readFileSync(file, 'utf8')).toBe('[default]\naws_access_key_id = KEY-default\n');
      expect(leftovers(dir)).toEqual([]);
    } finally {
      process.umask(old);
    }
  });

  it('keeps an existing mode and warns when others can read the file', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\nk = 1\n');
    chmodSync(file, 0o644);
    const result = await updateFile(file, append('b'));
    expect(result.written).toBe(true);
    expect(mode(file)).toBe(0o644);
    expect(result.warning).toBe(`${file} is readable by others (mode 0644); run: chmod 600 ${file}`);

    chmodSync(file, 0o620);
    expect((await updateFile(file, append('c'))).warning).toMatch(/writable by others \(mode 0620\)/);
    expect(mode(file)).toBe(0o620);

    chmodSync(file, 0o600);
    const quiet = await updateFile(file, append('d'));
    expect(quiet.warning).toBeUndefined();
    expect(mode(file)).toBe(0o600);
    expect(IniDocument.parse(readFileSync(file, 'latin1')).sectionNames()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('names files under the home directory with ~ in messages', async () => {
    const home = process.env.HOME;
    process.env.HOME = dir;
    try {
      const file = join(dir, '.aws', 'credentials');
      mkdirSync(join(dir, '.aws'));
      writeFileSync(file, '[a]\n', { mode: 0o644 });
      chmodSync(file, 0o644);
      const result = await updateFile(file, append('b'));
      expect(result.warning).toBe(`~/.aws/credentials is readable by others (mode 0644); run: chmod 600 ${file}`);
    } finally {
      process.env.HOME = home;
    }
  });

  it.runIf(process.getuid?.() === 0)('keeps the owner of a file when running as root', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\n', { mode: 0o600 });
    execFileSync('chown', ['12345:23456', file]);
    await updateFile(file, append('b'));
    expect(statSync(file).uid).toBe(12345);
    expect(statSync(file).gid).toBe(23456);
    expect(readFileSync(file, 'utf8')).toContain('[b]');
  });

  it('refuses a read-only file (mode bits, also as root) and leaves it untouched', async () => {
    for (const m of [0o400, 0o444, 0o500]) {
      const file = join(dir, `ro-${m.toString(8)}`);
      writeFileSync(file, '[a]\nk = 1\n');
      chmodSync(file, m);
      const before = statSync(file);
      const error = (await rejection(updateFile(file, append('b')))) as FileStoreError;
      expect(error).toBeInstanceOf(FileStoreError);
      expect(error.message).toMatch(/is read-only/);
      expect(error.message).toContain(file);
      expect(readFileSync(file, 'utf8')).toBe('[a]\nk = 1\n');
      expect(statSync(file).ino).toBe(before.ino);
      expect(mode(file)).toBe(m);
    }
    expect(leftovers(dir)).toEqual([]);
  });

  it('writes nothing when edit returns undefined or the same text', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\nk = 1\n', { mode: 0o600 });
    const before = statSync(file);
    const seen: Array<string | undefined> = [];
    const r1 = await updateFile(file, (current) => {
      seen.push(current);
      return undefined;
    });
    const r2 = await updateFile(file, (current) => current);
    expect(seen).toEqual(['[a]\nk = 1\n']);
    expect(r1).toEqual({ written: false, path: file });
    expect(r2.written).toBe(false);
    expect(statSync(file).ino).toBe(before.ino);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    const missing = join(dir, 'missing');
    expect((await updateFile(missing, () => undefined)).written).toBe(false);
    expect(existsSync(missing)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('passes edit undefined for a missing file and round-trips non-UTF-8 bytes', async () => {
    // The store is byte-exact whatever the bytes (the INI layer refuses what botocore cannot read).
    const file = join(dir, 'credentials');
    const bytes = Buffer.from('# caf\xe9 \xff\r\n[a]\r\nk = 1', 'latin1');
    writeFileSync(file, bytes);
    const added = Buffer.from('\r\nj = \xe9t\xe9\r\n', 'latin1');
    await updateFile(file, (current) => {
      expect(Buffer.from(current!, 'latin1').equals(bytes)).toBe(true);
      return current + added.toString('latin1');
    });
    expect(readFileSync(file).equals(Buffer.concat([bytes, added]))).toBe(true);
    // What botocore cannot read, the INI layer refuses (exit 8) instead of editing.
    expect(() => IniDocument.parse(bytes.toString('latin1'))).toThrow(/not UTF-8/);
  });

  it('passes what edit throws through unchanged, writes nothing and releases the lock', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\nbroken line\n');
    const error = await rejection(updateFile(file, (current) => IniDocument.parse(current!, { file }).toString()));
    expect(error).toBeInstanceOf(IniParseError);
    expect((error as IniParseError).line).toBe(2);
    const mine = new Error('mine');
    expect(
      await rejection(
        updateFile(file, () => {
          throw mine;
        }),
      ),
    ).toBe(mine);
    expect(readFileSync(file, 'utf8')).toBe('[a]\nbroken line\n');
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('updateFile: paths', () => {
  it('replaces the target of an absolute symlink and keeps the link', async () => {
    mkdirSync(join(dir, 'real'));
    const target = join(dir, 'real', 'credentials');
    writeFileSync(target, '[a]\nk = 1\n', { mode: 0o600 });
    const link = join(dir, 'credentials');
    symlinkSync(target, link);
    const result = await updateFile(link, (current) => {
      // The lock is next to the real file.
      expect(existsSync(`${target}.lock`)).toBe(true);
      expect(existsSync(`${link}.lock`)).toBe(false);
      return `${current}[b]\n`;
    });
    expect(result.path).toBe(realpathSync(target));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('[a]\nk = 1\n[b]\n');
    expect(mode(target)).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  });

  it('follows relative symlinks and chains, resolving ".." from the real directory', async () => {
    // home/.aws -> ../data/aws (a symlinked directory); data/aws/credentials -> ../shared/creds -> creds2
    mkdirSync(join(dir, 'home'));
    mkdirSync(join(dir, 'data', 'aws'), { recursive: true });
    mkdirSync(join(dir, 'data', 'shared'));
    symlinkSync('../data/aws', join(dir, 'home', '.aws'));
    symlinkSync('../shared/creds', join(dir, 'data', 'aws', 'credentials'));
    symlinkSync('creds2', join(dir, 'data', 'shared', 'creds'));
    const real = join(dir, 'data', 'shared', 'creds2');
    writeFileSync(real, '[a]\n');
    const result = await updateFile(join(dir, 'home', '.aws', 'credentials'), (c) => `${c}k = 1\n`);
    expect(result.path).toBe(realpathSync(real));
    expect(readFileSync(real, 'utf8')).toBe('[a]\nk = 1\n');
    expect(readlinkSync(join(dir, 'data', 'aws', 'credentials'))).toBe('../shared/creds');
    expect(readlinkSync(join(dir, 'data', 'shared', 'creds'))).toBe('creds2');
    expect(leftovers(dir)).toEqual([]);
  });

  it('creates the missing target of a dangling symlink, 0600, keeping the link', async () => {
    mkdirSync(join(dir, 'vault'));
    symlinkSync('vault/creds', join(dir, 'credentials'));
    const result = await updateFile(join(dir, 'credentials'), append('default'));
    expect(result.path).toBe(join(realpathSync(dir), 'vault', 'creds'));
    expect(mode(join(dir, 'vault', 'creds'))).toBe(0o600);
    expect(lstatSync(join(dir, 'credentials')).isSymbolicLink()).toBe(true);
  });

  it('fails on a symlink loop', async () => {
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    const error = (await rejection(updateFile(join(dir, 'a'), append('x')))) as FileStoreError;
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.message).toMatch(/symbolic links/);
  });

  it('fails with a FileStoreError when a directory is where the file should be, and touches nothing', async () => {
    const file = join(dir, 'credentials');
    mkdirSync(file);
    writeFileSync(join(file, 'inside'), 'x');
    const error = (await rejection(updateFile(file, append('x')))) as FileStoreError;
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.code).toBe('EISDIR');
    expect(error.message).toBe(`Cannot read ${file}: it is a directory.`);
    expect(readdirSync(file)).toEqual(['inside']);
    expect(leftovers(dir)).toEqual([]);
  });

  it('fails with a FileStoreError when a parent is a file', async () => {
    writeFileSync(join(dir, 'aws'), 'x');
    const error = (await rejection(updateFile(join(dir, 'aws', 'credentials'), append('x')))) as FileStoreError;
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.message).toContain(join(dir, 'aws', 'credentials'));
    expect(readFileSync(join(dir, 'aws'), 'utf8')).toBe('x');
  });
});

describe('updateFile: failures while writing', () => {
  type Faults = Partial<Record<'write' | 'sync' | 'chmod', string>>;
  /** Opens for real, then makes the temp file's handle fail as told. */
  function faultyFs(faults: Faults, extra: Partial<FileStoreFs> = {}): Partial<FileStoreFs> {
    const open = async (path: string, flags?: string | number, m?: number): Promise<FileHandle> => {
      const fh = await fsp.open(path, flags, m);
      if (!String(path).endsWith('.tmp')) return fh;
      return new Proxy(fh, {
        get(target, prop, receiver) {
          const code = faults[prop as keyof Faults];
          if (code)
            return async () => {
              throw Object.assign(new Error(`${code}: injected`), { code });
            };
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    };
    return { open: open as unknown as FileStoreFs['open'], ...extra };
  }

  const cases: Array<[string, Partial<FileStoreFs>, RegExp]> = [
    ['ENOSPC on write', faultyFs({ write: 'ENOSPC' }), /: no space left on device\.$/],
    ['EIO on fsync', faultyFs({ sync: 'EIO' }), /: input\/output error\.$/],
    ['EDQUOT on chmod', faultyFs({ chmod: 'EDQUOT' }), /: disk quota exceeded\.$/],
    [
      'EIO on rename',
      {
        rename: (async () => {
          throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        }) as unknown as FileStoreFs['rename'],
      },
      /: input\/output error\.$/,
    ],
    [
      'EACCES creating the temp file',
      faultyFs(
        {},
        {
          open: (async (path: string, flags?: string | number, m?: number) => {
            if (String(path).endsWith('.tmp')) throw Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
            return fsp.open(path, flags, m);
          }) as unknown as FileStoreFs['open'],
        },
      ),
      /: permission denied\.$/,
    ],
  ];
  for (const [name, fs, message] of cases) {
    it(`${name}: FileStoreError, original untouched, no temp or lock left`, async () => {
      const file = join(dir, 'credentials');
      const original = '[a]\r\nk = 1\r\n';
      writeFileSync(file, original);
      chmodSync(file, 0o640);
      const before = statSync(file);
      const error = (await rejection(updateFile(file, append('b'), { fs }))) as FileStoreError;
      expect(error).toBeInstanceOf(FileStoreError);
      expect(error.message).toMatch(new RegExp(`^Cannot write ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
      expect(error.hint).toBeTruthy();
      expect(readFileSync(file, 'utf8')).toBe(original);
      expect(statSync(file).ino).toBe(before.ino);
      expect(mode(file)).toBe(0o640);
      expect(readdirSync(dir)).toEqual(['credentials']);
    });
  }

  it('a lock that cannot be created (EACCES) is a FileStoreError naming the file', async () => {
    const file = join(dir, 'credentials');
    const fs: Partial<FileStoreFs> = {
      open: (async (path: string, flags?: string | number, m?: number) => {
        // The lock is drafted as `<file>.lock.<pid>.<random>.new`, then linked into place.
        if (/\.lock(\.\d+\.[0-9a-f]+\.new)?$/.test(String(path)))
          throw Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
        return fsp.open(path, flags, m);
      }) as unknown as FileStoreFs['open'],
    };
    const error = (await rejection(updateFile(file, append('b'), { fs }))) as FileStoreError;
    expect(error.message).toBe(`Cannot lock ${file}: permission denied.`);
    expect(existsSync(file)).toBe(false);
  });
});

describe('updateFile: locking', () => {
  it('serializes 20 concurrent updates in one process', async () => {
    const file = join(dir, 'credentials');
    await Promise.all(Array.from({ length: 20 }, (_, i) => updateFile(file, append(`p${i}`))));
    const doc = IniDocument.parse(readFileSync(file, 'latin1'));
    expect(doc.sectionNames().sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
    expect(leftovers(dir)).toEqual([]);
  });

  it('takes over a stale lock left by a dead process', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\n');
    writeFileSync(`${file}.lock`, `${deadPid()} ${hostname()} ${Date.now()}\n`);
    const start = Date.now();
    await updateFile(file, append('b'), { lockTimeoutMs: 5000 });
    expect(Date.now() - start).toBeLessThan(2000);
    expect(IniDocument.parse(readFileSync(file, 'latin1')).sectionNames()).toEqual(['a', 'b']);
    expect(leftovers(dir)).toEqual([]);
  });

  it('lets exactly one of many contenders take over the same stale lock at a time', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(`${file}.lock`, `${deadPid()} ${hostname()} ${Date.now()}\n`);
    writeFileSync(`${file}.lock.takeover`, `${deadPid()} ${hostname()} ${Date.now()}\n`); // a takeover that died too
    await Promise.all(Array.from({ length: 12 }, (_, i) => updateFile(file, append(`p${i}`), { lockTimeoutMs: 5000 })));
    expect(IniDocument.parse(readFileSync(file, 'latin1')).sectionNames()).toHaveLength(12);
    expect(leftovers(dir)).toEqual([]);
  });

  it('waits for a live lock, then fails naming the file, and leaves that lock alone', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\n');
    const content = `${process.pid} ${hostname()} ${Date.now()}\n`;
    writeFileSync(`${file}.lock`, content);
    const start = Date.now();
    const error = (await rejection(updateFile(file, append('b'), { lockTimeoutMs: 300 }))) as FileStoreError;
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(FileStoreError);
    expect(error.message).toMatch(/^another aws-mfa-refresh is writing /);
    expect(error.message).toContain(file);
    expect(error.hint).toContain(`${file}.lock`);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(content);
    expect(readFileSync(file, 'utf8')).toBe('[a]\n');
  });

  it('gets a live lock once its holder releases it', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(`${file}.lock`, `${process.pid} ${hostname()} ${Date.now()}\n`);
    setTimeout(() => rmSync(`${file}.lock`), 150);
    const result = await updateFile(file, append('b'), { lockTimeoutMs: 3000 });
    expect(result.written).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it('treats as stale a lock older than staleLockMs, from a live pid or another host, and garbage by its age', async () => {
    const file = join(dir, 'credentials');
    const old = Date.now() - 60_000;
    for (const content of [`${process.pid} ${hostname()} ${old}\n`, `1 some-other-host ${old}\n`, 'garbage']) {
      writeFileSync(`${file}.lock`, content);
      utimesSync(`${file}.lock`, old / 1000, old / 1000);
      expect(
        (await updateFile(file, append(`s${content.length}`), { lockTimeoutMs: 3000, staleLockMs: 1000 })).written,
      ).toBe(true);
    }
    // Fresh ones from another host (its pid cannot be checked here) or half-written are respected.
    for (const content of [`1 some-other-host ${Date.now()}\n`, '']) {
      writeFileSync(`${file}.lock`, content);
      const error = await rejection(updateFile(file, append('x'), { lockTimeoutMs: 200, staleLockMs: 10_000 }));
      expect((error as Error).message).toMatch(/another aws-mfa-refresh is writing/);
    }
    rmSync(`${file}.lock`);
    expect(leftovers(dir)).toEqual([]);
  });

  it('removes temp files and set-aside locks that dead runs left, and nothing else', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\n');
    const dead = deadPid();
    const orphans = [
      `.credentials.${dead}.0123abcd.tmp`,
      `credentials.lock.${dead}.00ff.stale`,
      `credentials.lock.takeover.${dead}.ab.stale`,
    ];
    const keep = [
      '.credentials.bak',
      `.credentials.${process.pid}.abcd.tmp`,
      `.config.${dead}.abcd.tmp`,
      'credentials~',
    ];
    for (const name of [...orphans, ...keep]) writeFileSync(join(dir, name), 'x');
    await updateFile(file, append('b'));
    expect(readdirSync(dir).sort()).toEqual(['credentials', ...keep].sort());
  });
});

// ------------------------------------------------------------------------------------------------
// Child processes: real concurrency and the crash-test pause hook

const CHILD_SCRIPT = `
import { existsSync } from 'node:fs';
const [, , storeUrl, docUrl, file, section, go] = process.argv;
const { updateFile } = await import(storeUrl);
const { IniDocument } = await import(docUrl);
process.stdout.write('ready\\n');
while (go && !existsSync(go)) await new Promise((r) => setTimeout(r, 5));
try {
  const result = await updateFile(file, (current) => {
    const doc = current === undefined ? IniDocument.empty() : IniDocument.parse(current);
    doc.set(section, { aws_access_key_id: 'KEY-' + section });
    return doc.toString();
  }, { lockTimeoutMs: 20000 });
  process.stdout.write(JSON.stringify(result) + '\\n');
} catch (error) {
  process.stderr.write('failed: ' + error.message + '\\n');
  process.exitCode = 1;
}
`;

/**
 * The children run plain JavaScript (a node + tsx start per child costs ~0.5 s of CPU): the
 * modules under test are transpiled once with TypeScript into a scratch directory.
 */
function childScript(): string {
  const out = join(root, 'js');
  const script = join(out, 'child.mjs');
  if (existsSync(script)) return script;
  transpileSrc(out);
  writeFileSync(script, CHILD_SCRIPT);
  return script;
}

function startChild(
  file: string,
  section: string,
  opts: { go?: string; env?: Record<string, string> } = {},
): WatchedChild {
  const script = childScript();
  const storeUrl = pathToFileURL(join(root, 'js', 'src/profiles/file-store.js')).href;
  const docUrl = pathToFileURL(join(root, 'js', 'src/profiles/ini-document.js')).href;
  return watchChild(
    spawn(process.execPath, [script, storeUrl, docUrl, file, section, opts.go ?? ''], {
      cwd: REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

describe('updateFile: separate processes', () => {
  it('20 concurrent processes each add their section; all 20 are there; nothing is left behind', async () => {
    const file = join(dir, 'aws', 'credentials');
    mkdirSync(join(dir, 'aws'));
    writeFileSync(file, '# shared\n[default]\nregion = us-east-1\n', { mode: 0o600 });
    // Start from a stale lock of a dead run: the takeover races too.
    writeFileSync(`${file}.lock`, `${deadPid()} ${hostname()} ${Date.now()}\n`);
    const go = join(dir, 'go');
    const children = Array.from({ length: 20 }, (_, i) =>
      // Holding the lock 5 ms longer makes the contention real.
      startChild(file, `p${i}`, {
        go,
        env: { AWS_MFA_REFRESH_TEST_PAUSE: 'locked', AWS_MFA_REFRESH_TEST_PAUSE_MS: '5' },
      }),
    );
    await Promise.all(children.map((c) => c.waitFor('stdout', 'ready')));
    writeFileSync(go, '');
    const codes = await Promise.all(children.map(async (c) => (await c.exited).code));
    expect(codes, children.map((c) => c.stderr).join('')).toEqual(Array(20).fill(0));
    const doc = IniDocument.parse(readFileSync(file, 'latin1'));
    expect(doc.sectionNames()).toEqual(
      expect.arrayContaining(['default', ...Array.from({ length: 20 }, (_, i) => `p${i}`)]),
    );
    expect(doc.sectionNames()).toHaveLength(21);
    for (let i = 0; i < 20; i++) expect(doc.get(`p${i}`, 'aws_access_key_id')).toBe(`KEY-p${i}`);
    expect(readFileSync(file, 'utf8').startsWith('# shared\n[default]\nregion = us-east-1\n')).toBe(true);
    expect(mode(file)).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  }, 20_000);

  it('pauses at each step when AWS_MFA_REFRESH_TEST_PAUSE says so', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\n');
    const child = startChild(file, 'b', {
      env: { AWS_MFA_REFRESH_TEST_PAUSE: 'locked,temp-written,renamed', AWS_MFA_REFRESH_TEST_PAUSE_MS: '400' },
    });

    await child.waitFor('stderr', 'paused:locked\n');
    const [pid, host, ts] = readFileSync(`${file}.lock`, 'utf8').trim().split(' ');
    expect(Number(pid)).toBe(child.proc.pid);
    expect(host).toBe(hostname());
    expect(Math.abs(Date.now() - Number(ts))).toBeLessThan(10_000);

    await child.waitFor('stderr', 'paused:temp-written\n');
    const temps = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(new RegExp(`^\\.credentials\\.${child.proc.pid}\\.[0-9a-f]+\\.tmp$`));
    expect(mode(join(dir, temps[0]!))).toBe(mode(file)); // already the final mode, before the rename
    expect(readFileSync(file, 'utf8')).toBe('[a]\n');

    await child.waitFor('stderr', 'paused:renamed\n');
    expect(readFileSync(file, 'utf8')).toBe('[a]\n\n[b]\naws_access_key_id = KEY-b\n');
    expect(existsSync(`${file}.lock`)).toBe(true);

    expect((await child.exited).code).toBe(0);
    expect(child.stderr).toBe('paused:locked\npaused:temp-written\npaused:renamed\n');
    expect(leftovers(dir)).toEqual([]);
  }, 10_000);

  it('after a run killed mid-write, the original is intact and the next run cleans up', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[a]\nk = 1\n', { mode: 0o600 });
    const child = startChild(file, 'b', {
      env: { AWS_MFA_REFRESH_TEST_PAUSE: 'temp-written', AWS_MFA_REFRESH_TEST_PAUSE_MS: '5000' },
    });
    await child.waitFor('stderr', 'paused:temp-written\n');
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(readFileSync(file, 'utf8')).toBe('[a]\nk = 1\n');
    expect(leftovers(dir).length).toBe(2); // its lock and its temp file

    const start = Date.now();
    await updateFile(file, append('c'), { lockTimeoutMs: 5000 });
    expect(Date.now() - start).toBeLessThan(2000);
    expect(IniDocument.parse(readFileSync(file, 'latin1')).sectionNames()).toEqual(['a', 'c']);
    expect(leftovers(dir)).toEqual([]);
  }, 10_000);
});
