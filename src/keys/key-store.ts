/**
 * Where a profile's long-term keys live when they are not in plaintext in the credentials file.
 *
 * One entry per (profile, credentials file): the entry's name holds the profile and a hash of the
 * credentials file's absolute path, so `[dev]` of ~/.aws/credentials and `[dev]` of another file
 * never overwrite each other. Every entry also records both in clear inside the secret, and every
 * read checks them (and the access key id, when the caller knows it): a store never hands out the
 * keys of another profile or file.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, UserError } from '../errors.js';

export type StoreKind = 'keychain' | 'file';

/** Which keys: one profile of one credentials file. */
export interface KeyRef {
  profile: string;
  /** The credentials file; made absolute (path.resolve, symlinks not followed) for the entry name. */
  credentialsFile: string;
}

/**
 * The exact lines `keys import` took out of the credentials file, so that `keys export` can put
 * them back byte for byte (see transfer.ts). They hold the secret: they live only in the store.
 */
export interface RemovedLines {
  /** The key names removed (their spelling in the file). */
  keys: string[];
  /** Each run of removed lines (with their line endings) and the line that stood right before it. */
  runs: { after: string; text: string }[];
}

export interface LongTermKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** ISO 8601: when the key was put in the store (or created, for a rotated key). */
  createdAt: string;
  removed?: RemovedLines;
}

/** What `keys list` shows: nothing secret. */
export interface KeyListing {
  store: StoreKind;
  profile: string;
  credentialsFile: string;
  fileHash: string;
  /** `AKIA…WXYZ` */
  accessKeyId: string;
  createdAt: string;
}

export interface KeyStore {
  readonly kind: StoreKind;
  /** Where the keys are, for messages ("the login keyring", "~/.config/aws-mfa-refresh/keys.enc"). */
  readonly location: string;
  /**
   * The keys of `ref`, or undefined when the store has none. With `expectedAccessKeyId`, a stored
   * key with another id is an error (exit 12), never returned.
   */
  get(ref: KeyRef, expectedAccessKeyId?: string): Promise<LongTermKey | undefined>;
  /** Stores (or replaces) the keys of `ref`. */
  put(ref: KeyRef, key: LongTermKey): Promise<void>;
  /** Deletes the keys of `ref`; false when there were none. Refuses when they are not `expectedAccessKeyId`. */
  remove(ref: KeyRef, expectedAccessKeyId?: string): Promise<boolean>;
  /** Every entry of this store, from the non-secret index (no passphrase, no keychain prompt). */
  list(): Promise<KeyListing[]>;
}

/** The key store cannot be used: unreachable, locked, unsupported, damaged, or the passphrase is wrong. Exit 12. */
export class KeyStoreError extends UserError {
  constructor(message: string, hint?: string, options: { cause?: unknown } = {}) {
    super(message, ExitCode.KeyStore, hint);
    this.name = 'KeyStoreError';
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export const USE_FILE_STORE_HINT = 'Use the encrypted file store instead: --store file.';

/** The service name of keychain entries, and the prefix of everything this module names. */
export const SERVICE = 'aws-mfa-refresh';

/** 16 hex digits of SHA-256 of the file's absolute path: enough to tell a user's files apart. */
export function fileHash(credentialsFile: string): string {
  return createHash('sha256').update(resolve(credentialsFile)).digest('hex').slice(0, 16);
}

/** `dev@3f2a…` : the entry's account name in the keychain, its key in the encrypted file. */
export function entryName(ref: KeyRef): string {
  return `${ref.profile}@${fileHash(ref.credentialsFile)}`;
}

/** `AKIA…WXYZ`: enough to recognise a key, useless to an attacker. */
export function maskKeyId(accessKeyId: string): string {
  return accessKeyId.length <= 8 ? '…' : `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
}

/** What a store keeps for one entry (JSON inside the keychain secret or the encrypted file). */
export interface StoredEntry extends LongTermKey {
  v: 1;
  profile: string;
  credentialsFile: string;
}

export function toStored(ref: KeyRef, key: LongTermKey): StoredEntry {
  return { v: 1, profile: ref.profile, credentialsFile: resolve(ref.credentialsFile), ...pickKey(key) };
}

function pickKey(key: LongTermKey): LongTermKey {
  return {
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    createdAt: key.createdAt,
    ...(key.removed && { removed: key.removed }),
  };
}

/** Checks a stored entry against what the caller asked for; returns the key. */
export function checkStored(stored: unknown, ref: KeyRef, where: string, expectedAccessKeyId?: string): LongTermKey {
  const e = stored as Partial<StoredEntry> | null;
  if (
    !e ||
    e.v !== 1 ||
    typeof e.accessKeyId !== 'string' ||
    typeof e.secretAccessKey !== 'string' ||
    typeof e.createdAt !== 'string'
  ) {
    throw new KeyStoreError(
      `The entry for profile "${ref.profile}" in ${where} is not one this version understands.`,
      'Import the keys again.',
    );
  }
  if (e.profile !== ref.profile || e.credentialsFile !== resolve(ref.credentialsFile)) {
    throw new KeyStoreError(
      `The entry for profile "${ref.profile}" in ${where} belongs to profile "${e.profile}" of ${e.credentialsFile}.`,
      'Remove it with `aws-mfa-refresh keys remove` and import the keys again.',
    );
  }
  if (expectedAccessKeyId !== undefined && e.accessKeyId !== expectedAccessKeyId) {
    throw new KeyStoreError(
      `The ${where} holds key ${maskKeyId(e.accessKeyId)} for profile "${ref.profile}", not the expected ${maskKeyId(expectedAccessKeyId)}.`,
      'Check `aws-mfa-refresh keys list`; import the right keys again, or remove the stale entry.',
    );
  }
  return pickKey(e as LongTermKey);
}

/** $XDG_STATE_HOME/aws-mfa-refresh (default ~/.local/state/aws-mfa-refresh): same rule as src/mfa/used-codes.ts. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), SERVICE);
}

/** $XDG_CONFIG_HOME/aws-mfa-refresh (default ~/.config/aws-mfa-refresh). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), SERVICE);
}

/** What the AWS CLI and SDKs expect on stdout from a credential_process (Version 1, no expiration: long-term). */
export function credentialProcessOutput(key: LongTermKey): string {
  return `${JSON.stringify({ Version: 1, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey })}\n`;
}
