import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { EncryptedFileStore, PASSPHRASE_ENV, defaultKeyFile } from '../../src/keys/encrypted-file-store.js';
import { KeyIndex } from '../../src/keys/key-index.js';
import { KeyStoreError, entryName, type KeyRef } from '../../src/keys/key-store.js';
import { openKeyStore } from '../../src/keys/index.js';
import { cleanupKeysChildren, startKeysChild } from '../support/keys-child.js';

const root = mkdtempSync(join(tmpdir(), 'keys-file-store-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  cleanupKeysChildren();
});

// Test cost: 2^12 instead of 2^15 (the format records it; reading takes whatever the file says).
const cost = { log2N: 12, r: 8, p: 1 };
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ID = 'AKIAIOSFODNN7EXAMPLE';

let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, `case-${n++}`);
});

function store(passphrase = 'correct horse battery staple', path = join(dir, 'keys.enc')): EncryptedFileStore {
  return new EncryptedFileStore({ path, passphrase, cost, index: new KeyIndex(join(dir, 'state', 'keys-index.json')) });
}
const ref = (profile = 'dev', credentialsFile = '/home/u/.aws/credentials'): KeyRef => ({ profile, credentialsFile });
const key = (accessKeyId = ID, secretAccessKey = SECRET) => ({
  accessKeyId,
  secretAccessKey,
  createdAt: '2026-11-29T08:00:00.000Z',
});

async function rejection(p: Promise<unknown>): Promise<KeyStoreError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyStoreError);
  return error as KeyStoreError;
}

describe('EncryptedFileStore', () => {
  it('round trip: put, get, list (masked, from the index), remove; the file is 0600 and holds no plaintext', async () => {
    const s = store();
    expect(await s.get(ref())).toBeUndefined();
    await s.put(ref(), key());
    expect(await s.get(ref(), ID)).toEqual(key());
    expect(await store().get(ref())).toEqual(key()); // a fresh instance: it is on disk
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(s.path);
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes.includes(ID)).toBe(false);
    expect(bytes.includes('dev')).toBe(false);
    expect(await s.list()).toEqual([
      {
        store: 'file',
        profile: 'dev',
        credentialsFile: '/home/u/.aws/credentials',
        fileHash: entryName(ref()).split('@')[1],
        accessKeyId: 'AKIA…MPLE',
        createdAt: key().createdAt,
      },
    ]);
    const index = readFileSync(join(dir, 'state', 'keys-index.json'), 'utf8');
    expect(index).not.toContain(SECRET);
    expect(index).not.toContain(ID);
    expect(statSync(join(dir, 'state', 'keys-index.json')).mode & 0o777).toBe(0o600);
    expect(await s.remove(ref(), ID)).toBe(true);
    expect(await s.get(ref())).toBeUndefined();
    expect(await s.remove(ref())).toBe(false);
    expect(await s.list()).toEqual([]);
  });

  it('every write draws a new salt and nonce: the same content never gives the same bytes', async () => {
    const s = store();
    await s.put(ref(), key());
    const first = readFileSync(s.path);
    await s.put(ref(), key());
    const second = readFileSync(s.path);
    expect(first.equals(second)).toBe(false);
    expect(first.subarray(8, 36).equals(second.subarray(8, 36))).toBe(false); // salt + nonce
  });

  it('the same profile of two credentials files: two entries that do not overwrite each other', async () => {
    const s = store();
    await s.put(ref('dev', '/a/credentials'), key('AKIAAAAAAAAAAAAAAAAA', 'secret-a'));
    await s.put(ref('dev', '/b/credentials'), key('AKIABBBBBBBBBBBBBBBB', 'secret-b'));
    expect((await s.get(ref('dev', '/a/credentials')))?.secretAccessKey).toBe('secret-a');
    expect((await s.get(ref('dev', '/b/credentials')))?.secretAccessKey).toBe('secret-b');
    expect((await s.list()).map((l) => [l.credentialsFile, l.accessKeyId]).sort()).toEqual([
      ['/a/credentials', 'AKIA…AAAA'],
      ['/b/credentials', 'AKIA…BBBB'],
    ]);
  });

  it('a stored key with another id than expected is an error (exit 12), never handed out', async () => {
    const s = store();
    await s.put(ref(), key());
    const error = await rejection(s.get(ref(), 'AKIAOTHEROTHEROTHER1'));
    expect(error.exitCode).toBe(ExitCode.KeyStore);
    expect(error.message).toContain('AKIA…MPLE');
    expect(error.message).not.toContain(SECRET);
    await rejection(s.remove(ref(), 'AKIAOTHEROTHEROTHER1'));
    expect(await s.get(ref())).toEqual(key()); // the refused remove removed nothing
  });

  it('wrong passphrase: a clear error (exit 12) on read and write, and the file is unchanged byte for byte', async () => {
    const s = store();
    await s.put(ref(), key());
    const before = readFileSync(s.path);
    const wrong = store('not the passphrase');
    // One at a time: a second attempt started early could reject before anything awaits it.
    for (const attempt of [() => wrong.get(ref()), () => wrong.put(ref('other'), key()), () => wrong.remove(ref())]) {
      const error = await rejection(attempt());
      expect(error.exitCode).toBe(ExitCode.KeyStore);
      expect(error.message).toMatch(/^Wrong passphrase for .*keys\.enc\.$/);
      expect(error.hint).toContain('nothing was changed');
    }
    expect(readFileSync(s.path).equals(before)).toBe(true);
    expect(await s.get(ref())).toEqual(key());
  });

  it('a truncated file: a clear error naming it, at every length', async () => {
    const s = store();
    await s.put(ref(), key());
    const full = readFileSync(s.path);
    for (const length of [0, 3, 20, 51, 60, full.length - 17, full.length - 1]) {
      writeFileSync(s.path, full.subarray(0, length));
      const error = await rejection(store().get(ref()));
      expect(error.exitCode).toBe(ExitCode.KeyStore);
      expect(error.message).toMatch(
        /Cannot read the key file .*keys\.enc: (it is truncated|it is not an aws-mfa-refresh key file|authentication failed)/,
      );
    }
  });

  it('a tampered byte anywhere: authentication fails (exit 12), nothing decrypts, a put writes nothing', async () => {
    const s = store();
    await s.put(ref(), key());
    const good = readFileSync(s.path);
    // Every byte of the body and tag: AES-GCM's tag must catch each one.
    for (let i = 52; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      writeFileSync(s.path, bad);
      const error = await rejection(store().get(ref()));
      expect(error.message, `byte ${i}`).toContain('authentication failed: it was altered or damaged');
    }
    // Header bytes too: the salt, the nonce (AAD), the check value and the parameters.
    for (const i of [0, 4, 5, 6, 8, 23, 24, 35, 36, 51]) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      writeFileSync(s.path, bad);
      const error = await rejection(store().put(ref('other'), key()));
      expect(error.exitCode).toBe(ExitCode.KeyStore);
      expect(readFileSync(s.path).equals(bad), `byte ${i}`).toBe(true);
    }
  });

  it('concurrent puts from 6 processes: the lock keeps every entry', async () => {
    const path = join(dir, 'keys.enc');
    const env = {
      ...process.env,
      [PASSPHRASE_ENV]: 'shared passphrase',
      XDG_STATE_HOME: join(dir, 'state'),
      TEST_SECRET: SECRET,
    };
    const children = Array.from({ length: 6 }, (_, i) =>
      startKeysChild(
        {
          op: 'put',
          store: 'file',
          profile: `p${i}`,
          credentials: '/c/credentials',
          keyFile: path,
          accessKeyId: `AKIACONCURRENT00000${i}`,
          secretFrom: 'env',
        },
        env,
      ),
    );
    const results = await Promise.all(children.map((c) => c.result()));
    expect(results, children.map((c) => c.stderr).join('')).toEqual(Array(6).fill({ ok: true }));
    for (const c of children) expect(c.stdout + c.stderr).not.toContain(SECRET);
    const s = store('shared passphrase', path);
    for (let i = 0; i < 6; i++)
      expect(await s.get(ref(`p${i}`, '/c/credentials'), `AKIACONCURRENT00000${i}`)).toMatchObject({
        secretAccessKey: SECRET,
      });
    expect((await new KeyIndex(join(dir, 'state', 'aws-mfa-refresh', 'keys-index.json')).list()).length).toBe(6);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('an empty passphrase is refused; openKeyStore without a passphrase source says how to give one', async () => {
    expect((await rejection(store('').put(ref(), key()))).message).toContain('passphrase of the key file is empty');
    const s = await openKeyStore('file', { path: join(dir, 'keys.enc'), env: { HOME: dir } });
    const error = await rejection(s.put(ref(), key()));
    expect(error.hint).toContain(PASSPHRASE_ENV);
  });

  it('lives in $XDG_CONFIG_HOME/aws-mfa-refresh/keys.enc (default ~/.config)', () => {
    expect(defaultKeyFile({ HOME: '/h' })).toBe('/h/.config/aws-mfa-refresh/keys.enc');
    expect(defaultKeyFile({ HOME: '/h', XDG_CONFIG_HOME: '/x' })).toBe('/x/aws-mfa-refresh/keys.enc');
  });
});
