/**
 * The `file` store: every entry in one encrypted file, for machines without a keychain (headless
 * Linux, WSL, containers). Default: $XDG_CONFIG_HOME/aws-mfa-refresh/keys.enc (~/.config/...): the
 * config dir, not the state dir, because these are the user's keys and belong with what gets backed up.
 *
 * Format (version 1), all of it authenticated:
 *   header = "AMRK" | version (1) | log2 N | r | p | salt (16) | nonce (12) | check (16)   (52 bytes)
 *   body   = AES-256-GCM(key, nonce, JSON of the entries, AAD = header) | tag (16)
 * scrypt(passphrase, salt, N, r, p) gives 48 bytes: the AES key, then `check`. `check` tells a
 * wrong passphrase (check differs) from a damaged or altered file (check matches, the tag does not).
 * Every write draws a new salt and nonce. Written with the credentials file's discipline
 * (src/profiles/file-store.ts: lock, temp file 0600, fsync, rename); a wrong passphrase or a
 * damaged file throws before anything is written.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { FileStoreError, readFileText, updateFile } from '../profiles/file-store.js';
import { KeyIndex } from './key-index.js';
import {
  KeyStoreError,
  checkStored,
  configDir,
  entryName,
  toStored,
  type KeyListing,
  type KeyRef,
  type KeyStore,
  type LongTermKey,
  type StoredEntry,
} from './key-store.js';

/**
 * The passphrase for automation (CI, scripts) when no terminal can ask. Risk: the environment of a
 * process is readable by the same user (/proc/PID/environ), is inherited by every child, and ends
 * up in shell history or CI logs when set carelessly; whoever reads it and the key file has the keys.
 * Prefer the terminal prompt; in CI take it from the CI's secret store, and never export it in a profile script.
 */
export const PASSPHRASE_ENV = 'AWS_MFA_REFRESH_PASSPHRASE';

export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'keys.enc');
}

const MAGIC = Buffer.from('AMRK', 'latin1');
const VERSION = 1;
const HEADER_LENGTH = 52;
const TAG_LENGTH = 16;
/** 2^15 × 8 × 128 bytes = 32 MiB and ~0.1 s per derivation: the OWASP minimum for scrypt. */
const DEFAULT_COST = { log2N: 15, r: 8, p: 1 };

interface Header {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  nonce: Buffer;
  check: Buffer;
  bytes: Buffer;
}

type Entries = Record<string, StoredEntry>;

export interface EncryptedFileStoreOptions {
  /** Default: defaultKeyFile(env). */
  path?: string;
  /** The passphrase, or how to get it (asked once, only when an entry is read or written). */
  passphrase: string | (() => Promise<string>);
  index?: KeyIndex;
  env?: NodeJS.ProcessEnv;
  /** Tests: a cheaper scrypt (log2N ≥ 10). */
  cost?: { log2N: number; r: number; p: number };
}

export class EncryptedFileStore implements KeyStore {
  readonly kind = 'file' as const;
  readonly path: string;
  readonly location: string;
  private readonly index: KeyIndex;
  private readonly cost: { log2N: number; r: number; p: number };
  private passphrase?: Promise<string>;

  constructor(private readonly opts: EncryptedFileStoreOptions) {
    const env = opts.env ?? process.env;
    this.path = opts.path ?? defaultKeyFile(env);
    this.location = this.path;
    this.index = opts.index ?? new KeyIndex(undefined, env);
    this.cost = opts.cost ?? DEFAULT_COST;
  }

  async get(ref: KeyRef, expectedAccessKeyId?: string): Promise<LongTermKey | undefined> {
    const text = await this.read(() => readFileText(this.path));
    if (text === undefined) return undefined;
    const stored = decrypt(Buffer.from(text, 'latin1'), await this.secret(), this.path)[entryName(ref)];
    return stored === undefined ? undefined : checkStored(stored, ref, this.path, expectedAccessKeyId);
  }

  async put(ref: KeyRef, key: LongTermKey): Promise<void> {
    const passphrase = await this.secret();
    await this.edit((entries) => {
      entries[entryName(ref)] = toStored(ref, key);
      return true;
    }, passphrase);
    await this.index.record('file', ref, key.accessKeyId, key.createdAt);
  }

  async remove(ref: KeyRef, expectedAccessKeyId?: string): Promise<boolean> {
    const passphrase = await this.secret();
    const name = entryName(ref);
    let removed = false;
    await this.edit((entries) => {
      const stored = entries[name];
      if (stored === undefined) return false;
      checkStored(stored, ref, this.path, expectedAccessKeyId);
      delete entries[name];
      return (removed = true);
    }, passphrase);
    await this.index.forget('file', ref);
    return removed;
  }

  list(): Promise<KeyListing[]> {
    return this.index.list('file');
  }

  private secret(): Promise<string> {
    this.passphrase ??= (async () => {
      const p = typeof this.opts.passphrase === 'string' ? this.opts.passphrase : await this.opts.passphrase();
      if (!p)
        throw new KeyStoreError('The passphrase of the key file is empty.', `Type one, or set ${PASSPHRASE_ENV}.`);
      return p;
    })();
    return this.passphrase;
  }

  /** Read-modify-write under the lock; `change` returns false to write nothing. */
  private async edit(change: (entries: Entries) => boolean, passphrase: string): Promise<void> {
    await this.read(() =>
      updateFile(this.path, (text) => {
        const entries =
          text === undefined
            ? (Object.create(null) as Entries)
            : decrypt(Buffer.from(text, 'latin1'), passphrase, this.path);
        if (!change(entries)) return undefined;
        return encrypt(entries, passphrase, this.cost).toString('latin1');
      }),
    );
  }

  /** File system failures of the key file are key store failures (exit 12), with the file store's message. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof FileStoreError) throw new KeyStoreError(error.message, error.hint, { cause: error });
      throw error;
    }
  }
}

function derive(
  passphrase: string,
  salt: Buffer,
  cost: { log2N: number; r: number; p: number },
): { key: Buffer; check: Buffer } {
  const N = 2 ** cost.log2N;
  const out = scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 48, {
    N,
    r: cost.r,
    p: cost.p,
    maxmem: 256 * N * cost.r * cost.p,
  });
  return { key: out.subarray(0, 32), check: out.subarray(32, 48) };
}

export function encrypt(entries: Entries, passphrase: string, cost = DEFAULT_COST): Buffer {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const { key, check } = derive(passphrase, salt, cost);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION, cost.log2N, cost.r, cost.p]), salt, nonce, check]);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(JSON.stringify({ v: 1, entries }), 'utf8'), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

export function decrypt(bytes: Buffer, passphrase: string, path: string): Entries {
  const header = readHeader(bytes, path);
  const { key, check } = derive(passphrase, header.salt, header);
  if (!timingSafeEqual(check, header.check)) {
    throw new KeyStoreError(
      `Wrong passphrase for ${path}.`,
      'Type it again (or check AWS_MFA_REFRESH_PASSPHRASE); nothing was changed.',
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', key, header.nonce);
  decipher.setAAD(header.bytes);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_LENGTH));
  let plain: string;
  try {
    plain = Buffer.concat([
      decipher.update(bytes.subarray(HEADER_LENGTH, bytes.length - TAG_LENGTH)),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw damaged(path, 'authentication failed: it was altered or damaged', error);
  }
  const value = JSON.parse(plain) as { entries?: Entries };
  return Object.assign(Object.create(null) as Entries, value.entries ?? {});
}

function readHeader(bytes: Buffer, path: string): Header {
  if (bytes.length < HEADER_LENGTH + TAG_LENGTH) throw damaged(path, `it is truncated (${bytes.length} bytes)`);
  if (!bytes.subarray(0, 4).equals(MAGIC)) throw damaged(path, 'it is not an aws-mfa-refresh key file');
  if (bytes[4] !== VERSION)
    throw damaged(
      path,
      `it has format version ${bytes[4]}, this version reads ${VERSION}`,
      undefined,
      'Use a newer aws-mfa-refresh.',
    );
  const [log2N, r, p] = [bytes[5]!, bytes[6]!, bytes[7]!];
  // Bounded before deriving: an altered header must not make scrypt eat gigabytes.
  if (log2N < 10 || log2N > 20 || r < 1 || r > 32 || p < 1 || p > 4)
    throw damaged(path, 'its key derivation parameters are out of range');
  return {
    log2N,
    r,
    p,
    salt: bytes.subarray(8, 24),
    nonce: bytes.subarray(24, 36),
    check: bytes.subarray(36, 52),
    bytes: bytes.subarray(0, HEADER_LENGTH),
  };
}

function damaged(path: string, why: string, cause?: unknown, hint?: string): KeyStoreError {
  return new KeyStoreError(
    `Cannot read the key file ${path}: ${why}.`,
    hint ??
      'Restore it from a backup, or remove it and import the keys again from the credentials file or the AWS console; nothing was changed.',
    cause === undefined ? {} : { cause },
  );
}
