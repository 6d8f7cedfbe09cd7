/**
 * The keychain store against a real Secret Service: GNOME Keyring on a private D-Bus session bus
 * (test/support/secret-service.ts). Entries are checked with secret-tool, libsecret's own client.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { KeyIndex } from '../../src/keys/key-index.js';
import { KeychainStore } from '../../src/keys/keychain-store.js';
import { KeyStoreError, entryName, fileHash } from '../../src/keys/key-store.js';
import { cleanupKeysChildren, startKeysChild } from '../support/keys-child.js';
import { secretServiceMissing, startBus, type SessionBus } from '../support/secret-service.js';

const missing = secretServiceMissing();
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ID = 'AKIAIOSFODNN7EXAMPLE';
const createdAt = '2026-11-29T08:00:00.000Z';

describe.skipIf(missing !== undefined)(
  `keychain store on GNOME Keyring${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let bus: SessionBus;
    let dir: string;
    let store: KeychainStore;
    const savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;

    beforeAll(async () => {
      bus = await startBus();
      dir = mkdtempSync(join(tmpdir(), 'keys-keychain-'));
      // The native library reads the bus address from the process environment.
      process.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
      store = new KeychainStore({ env: { ...bus.env }, index: new KeyIndex(join(dir, 'keys-index.json')) });
    });
    afterAll(async () => {
      if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
      await bus?.stop();
      rmSync(dir, { recursive: true, force: true });
      cleanupKeysChildren();
    });

    it('put, get, remove: secret-tool sees the entry under service aws-mfa-refresh, account PROFILE@FILEHASH', async () => {
      const ref = { profile: 'dev', credentialsFile: '/home/u/.aws/credentials' };
      await store.usable();
      expect(await store.get(ref)).toBeUndefined();
      await store.put(ref, { accessKeyId: ID, secretAccessKey: SECRET, createdAt });
      expect(await store.get(ref, ID)).toEqual({ accessKeyId: ID, secretAccessKey: SECRET, createdAt });
      const entries = await bus.searchEntries();
      expect(entries).toContain('attribute.service = aws-mfa-refresh');
      expect(entries).toContain(`attribute.username = dev@${fileHash('/home/u/.aws/credentials')}`);
      expect(await store.list()).toMatchObject([
        { store: 'keychain', profile: 'dev', accessKeyId: 'AKIA…MPLE', createdAt },
      ]);
      expect(await store.remove(ref, ID)).toBe(true);
      expect(await store.get(ref)).toBeUndefined();
      expect(await bus.searchEntries()).not.toContain(
        `attribute.username = dev@${fileHash('/home/u/.aws/credentials')}`,
      );
      expect(await store.list()).toEqual([]);
    });

    it('the same profile of two credentials files: two entries, neither overwrites the other', async () => {
      const a = { profile: 'dev', credentialsFile: '/a/credentials' };
      const b = { profile: 'dev', credentialsFile: '/b/credentials' };
      await store.put(a, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'secret-a', createdAt });
      await store.put(b, { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', secretAccessKey: 'secret-b', createdAt });
      expect((await store.get(a))?.secretAccessKey).toBe('secret-a');
      expect((await store.get(b))?.secretAccessKey).toBe('secret-b');
      const entries = await bus.searchEntries();
      expect(entries).toContain(`attribute.username = ${entryName(a)}`);
      expect(entries).toContain(`attribute.username = ${entryName(b)}`);
      await store.remove(a);
      expect((await store.get(b))?.secretAccessKey).toBe('secret-b');
      await store.remove(b);
    });

    it('a stored key with another id than expected: exit 12, and a refused remove removes nothing', async () => {
      const ref = { profile: 'prod', credentialsFile: '/home/u/.aws/credentials' };
      await store.put(ref, { accessKeyId: ID, secretAccessKey: SECRET, createdAt });
      // One at a time: the second, started early, could reject before anything awaits it.
      for (const attempt of [
        () => store.get(ref, 'AKIAOTHEROTHEROTHER1'),
        () => store.remove(ref, 'AKIAOTHEROTHEROTHER1'),
      ]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(KeyStoreError);
        expect((error as KeyStoreError).exitCode).toBe(ExitCode.KeyStore);
        expect((error as KeyStoreError).message).toContain('not the expected AKIA…HER1');
      }
      expect((await store.get(ref))?.secretAccessKey).toBe(SECRET);
      await store.remove(ref);
    });

    it('an entry of another profile/file copied under this name is refused (the secret records both)', async () => {
      const real = { profile: 'dev', credentialsFile: '/home/u/.aws/credentials' };
      const { Entry } = await import('@napi-rs/keyring');
      // What another tool (or an attacker with keyring access) might leave under our name.
      new Entry('aws-mfa-refresh', entryName(real), { linux: { store: 'secret-service' } }).setPassword(
        JSON.stringify({
          v: 1,
          profile: 'dev',
          credentialsFile: '/elsewhere/credentials',
          accessKeyId: ID,
          secretAccessKey: SECRET,
          createdAt,
        }),
      );
      const error = await store.get(real).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as KeyStoreError).message).toContain('belongs to profile "dev" of /elsewhere/credentials');
      await store.remove(real);
    });

    it('DBUS_SESSION_BUS_ADDRESS pointing nowhere: the keychain is refused (exit 12), pointing to the file store', async () => {
      const child = startKeysChild(
        { op: 'probe', store: 'keychain' },
        { ...process.env, ...bus.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` },
      );
      const result = await child.result();
      expect((await child.exited).code).toBe(ExitCode.KeyStore);
      expect(result.error).toMatch(
        /^No Secret Service \(org\.freedesktop\.secrets.*kernel keyring, which forgets them at reboot\.$/,
      );
      expect(result.hint).toBe('Use the encrypted file store instead: --store file.');
    });

    it('no session bus at all: refused before the native module is even loaded', async () => {
      const env = { ...process.env, ...bus.env, XDG_RUNTIME_DIR: join(dir, 'no-runtime') };
      delete (env as Record<string, string | undefined>).DBUS_SESSION_BUS_ADDRESS;
      let loaded = false;
      const s = new KeychainStore({
        env,
        platform: 'linux',
        load: async () => ((loaded = true), await import('@napi-rs/keyring')),
      });
      const error = await s.usable().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as KeyStoreError).exitCode).toBe(ExitCode.KeyStore);
      expect((error as KeyStoreError).message).toContain('there is no D-Bus session bus');
      expect(loaded).toBe(false);
    });

    it('a live bus on which org.freedesktop.secrets has no owner and is not activatable: refused (exit 12)', async () => {
      const bare = await startBus({ keyring: false });
      try {
        const child = startKeysChild({ op: 'probe', store: 'keychain' }, { ...process.env, ...bare.env });
        const result = await child.result();
        expect((await child.exited).code).toBe(ExitCode.KeyStore);
        expect(result.error).toContain('No Secret Service');
        expect(result.error).toContain('The name org.freedesktop.secrets was not provided by any .service files');
      } finally {
        await bare.stop();
      }
    });

    it('a locked keyring: reading fails at once with exit 12 and an unlock hint (no prompter here, no hang)', async () => {
      // Its own bus and keyring, used from child processes: the native library keeps its first session bus connection.
      const other = await startBus();
      try {
        const env = { ...process.env, ...other.env, TEST_SECRET: SECRET };
        const target = { store: 'keychain' as const, profile: 'dev', credentials: '/home/u/.aws/credentials' };
        const put = startKeysChild({ op: 'put', ...target, accessKeyId: ID, secretFrom: 'env' }, env);
        expect(await put.result(), put.stderr).toEqual({ ok: true });
        try {
          execFileSync('secret-tool', ['lock', '--collection=login'], { env, stdio: 'ignore' });
        } catch {
          /* secret-tool 0.20 exits 1 after locking */
        }
        const get = startKeysChild({ op: 'get', ...target }, env);
        const result = await get.result();
        expect((await get.exited).code).toBe(ExitCode.KeyStore);
        expect(result.error).toMatch(
          /^Cannot read the keys of profile "dev" in the Secret Service keyring: .*unlock prompt was dismissed\.$/,
        );
        expect(result.hint).toMatch(/^Unlock the keyring/);
        expect(put.stdout + put.stderr + get.stdout + get.stderr).not.toContain(SECRET);
      } finally {
        await other.stop();
      }
    });

    it('the native module cannot load: a clear error (exit 12) pointing to the file store', async () => {
      const s = new KeychainStore({
        env: { ...bus.env },
        platform: 'darwin',
        load: () => Promise.reject(new Error('Cannot find module @napi-rs/keyring-darwin-arm64')),
      });
      const error = await s.usable().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as KeyStoreError).exitCode).toBe(ExitCode.KeyStore);
      expect((error as KeyStoreError).message).toMatch(
        /^The keychain is not available here: its native module \(@napi-rs\/keyring\) cannot be loaded/,
      );
      expect((error as KeyStoreError).hint).toBe('Use the encrypted file store instead: --store file.');
    });
  },
);
