/**
 * The `keychain` store: the OS credential store through @napi-rs/keyring (macOS Keychain, Windows
 * Credential Manager, the Secret Service on Linux/FreeBSD: GNOME Keyring, KWallet). One entry per
 * profile and credentials file: service "aws-mfa-refresh", account `PROFILE@FILEHASH`, secret = JSON.
 *
 * The native module is loaded with import() on first use only, so nothing else pays for it, and
 * esbuild leaves it out of the bundle (scripts/build.mjs: external).
 *
 * No store that forgets: on Linux the library falls back to the kernel keyring (keyutils) when
 * there is no Secret Service, and the kernel keyring is gone after a reboot. So:
 *  1. every entry is pinned to the Secret Service (`linux: { store: 'secret-service' }`): the
 *     library throws instead of falling back, whatever the probe below concluded;
 *  2. before the first use, a probe: a session bus address must be known (DBUS_SESSION_BUS_ADDRESS,
 *     or the standard $XDG_RUNTIME_DIR/bus socket), then a real lookup of a probe entry through the
 *     library. That lookup is a SearchItems call to org.freedesktop.secrets, so it succeeds exactly
 *     when the name has an owner or the bus can activate it, and it also proves that the library can
 *     talk to it. This needs no dbus-send/busctl (often absent) and no D-Bus code of our own, and it
 *     tests the very path the keys will take.
 * Without a Secret Service the keychain is refused (exit 12) with a pointer to the `file` store.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { holdNodeExit } from '../platform/early-exit.js';
import { KeyIndex } from './key-index.js';
import {
  KeyStoreError,
  SERVICE,
  USE_FILE_STORE_HINT,
  checkStored,
  entryName,
  toStored,
  type KeyListing,
  type KeyRef,
  type KeyStore,
  type LongTermKey,
} from './key-store.js';

/** The part of @napi-rs/keyring this store uses. */
export interface KeyringModule {
  AsyncEntry: new (
    service: string,
    username: string,
    options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
  ) => {
    setPassword(password: string, signal?: AbortSignal): Promise<void>;
    getPassword(signal?: AbortSignal): Promise<string | null>;
    deleteCredential(signal?: AbortSignal): Promise<boolean>;
  };
}

export interface KeychainStoreOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  index?: KeyIndex;
  /** Tests: another loader (e.g. one that fails). */
  load?: () => Promise<KeyringModule>;
  /** How long one keychain call may take, unlock prompts included (default 120 s). */
  timeoutMs?: number;
}

const PROBE_ACCOUNT = '.probe';
/** Linux, FreeBSD, ...: everything but macOS and Windows talks to a Secret Service over D-Bus. */
const usesSecretService = (platform: NodeJS.Platform) => platform !== 'darwin' && platform !== 'win32';

export class KeychainStore implements KeyStore {
  readonly kind = 'keychain' as const;
  readonly location: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly platform: NodeJS.Platform;
  private readonly index: KeyIndex;
  private ready?: Promise<KeyringModule>;

  constructor(private readonly opts: KeychainStoreOptions = {}) {
    this.env = opts.env ?? process.env;
    this.platform = opts.platform ?? process.platform;
    this.index = opts.index ?? new KeyIndex(undefined, this.env);
    this.location =
      this.platform === 'darwin'
        ? 'the macOS Keychain'
        : this.platform === 'win32'
          ? 'the Windows Credential Manager'
          : 'the Secret Service keyring';
  }

  /** Loads the library and probes the store; throws KeyStoreError (exit 12) when it cannot be used. */
  usable(): Promise<void> {
    return this.module().then(() => undefined);
  }

  async get(ref: KeyRef, expectedAccessKeyId?: string): Promise<LongTermKey | undefined> {
    const text = await this.call('read', (entry, signal) => entry.getPassword(signal), ref);
    if (text === null) return undefined;
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch {
      stored = undefined;
    }
    return checkStored(stored, ref, this.location, expectedAccessKeyId);
  }

  async put(ref: KeyRef, key: LongTermKey): Promise<void> {
    const secret = JSON.stringify(toStored(ref, key));
    await this.call('write', (entry, signal) => entry.setPassword(secret, signal), ref);
    await this.index.record('keychain', ref, key.accessKeyId, key.createdAt);
  }

  async remove(ref: KeyRef, expectedAccessKeyId?: string): Promise<boolean> {
    if (expectedAccessKeyId !== undefined && (await this.get(ref, expectedAccessKeyId)) === undefined) return false;
    const removed = await this.call('delete', (entry, signal) => entry.deleteCredential(signal), ref);
    await this.index.forget('keychain', ref);
    return removed;
  }

  list(): Promise<KeyListing[]> {
    return this.index.list('keychain');
  }

  private module(): Promise<KeyringModule> {
    this.ready ??= (async () => {
      if (usesSecretService(this.platform)) checkSessionBus(this.env);
      const keyring = await loadKeyring(this.opts.load);
      if (usesSecretService(this.platform)) await this.probe(keyring);
      return keyring;
    })();
    return this.ready;
  }

  private async probe(keyring: KeyringModule): Promise<void> {
    try {
      await withTimeout(this.timeoutMs(), (signal) => newEntry(keyring, PROBE_ACCOUNT).getPassword(signal));
    } catch (error) {
      throw noSecretService(errorText(error), error);
    }
  }

  private async call<T>(
    action: string,
    fn: (entry: ReturnType<typeof newEntry>, signal: AbortSignal) => Promise<T>,
    ref: KeyRef,
  ): Promise<T> {
    const keyring = await this.module();
    try {
      return await withTimeout(this.timeoutMs(), (signal) => fn(newEntry(keyring, entryName(ref)), signal));
    } catch (error) {
      const why = errorText(error);
      const locked = /locked|dismissed|cancel|prompt/i.test(why);
      throw new KeyStoreError(
        `Cannot ${action} the keys of profile "${ref.profile}" in ${this.location}: ${why}.`,
        locked
          ? 'Unlock the keyring (log in to the desktop, or run your keyring unlock tool), then run again.'
          : `Check the keyring, or: ${USE_FILE_STORE_HINT}`,
        { cause: error },
      );
    }
  }

  private timeoutMs(): number {
    return this.opts.timeoutMs ?? 120_000;
  }
}

/** Every entry pinned to the Secret Service on Linux: the library must never fall back to the kernel keyring. */
function newEntry(keyring: KeyringModule, account: string) {
  return new keyring.AsyncEntry(SERVICE, account, { linux: { store: 'secret-service' } });
}

async function loadKeyring(load?: () => Promise<KeyringModule>): Promise<KeyringModule> {
  try {
    if (load) return await load();
    const mod = (await import('@napi-rs/keyring')) as unknown as KeyringModule & { default?: KeyringModule };
    const keyring = mod.AsyncEntry ? mod : mod.default;
    if (!keyring?.AsyncEntry) throw new Error('AsyncEntry is missing');
    holdNodeExit(); // a native module: let Node run its cleanup at exit
    return keyring;
  } catch (error) {
    throw new KeyStoreError(
      `The keychain is not available here: its native module (@napi-rs/keyring) cannot be loaded on ${process.platform}-${process.arch} (${errorText(error)}).`,
      USE_FILE_STORE_HINT,
      { cause: error },
    );
  }
}

/** The session bus the Secret Service would be on: known from the environment, or refused at once. */
export function checkSessionBus(env: NodeJS.ProcessEnv): string {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (address) return address;
  const socket = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'bus') : undefined;
  if (socket && existsSync(socket)) return `unix:path=${socket}`;
  throw noSecretService('there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)');
}

function noSecretService(why: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError(
    `No Secret Service (org.freedesktop.secrets, e.g. GNOME Keyring or KWallet) on the session bus: ${why}. ` +
      'Without one the keys would go to the kernel keyring, which forgets them at reboot.',
    USE_FILE_STORE_HINT,
    cause === undefined ? {} : { cause },
  );
}

async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${Math.round(ms / 1000)} s`));
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([fn(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
}
