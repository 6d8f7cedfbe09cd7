/**
 * The non-secret index of what the stores hold, for `keys list`: the keychain cannot be enumerated
 * everywhere, and listing the encrypted file would need its passphrase.
 * $XDG_STATE_HOME/aws-mfa-refresh/keys-index.json (default ~/.local/state), mode 0600, written
 * with the credentials file's discipline (lock, temp file, rename). Masked key ids only.
 *
 * The stores are the truth, the index a convenience: a lost index loses no key.
 */
import { join, resolve } from 'node:path';
import { readFileText, updateFile } from '../profiles/file-store.js';
import { entryName, fileHash, maskKeyId, stateDir, type KeyListing, type KeyRef, type StoreKind } from './key-store.js';

export class KeyIndex {
  readonly path: string;

  constructor(path?: string, env: NodeJS.ProcessEnv = process.env) {
    this.path = path ?? join(stateDir(env), 'keys-index.json');
  }

  async list(store?: StoreKind): Promise<KeyListing[]> {
    const all = Object.values(parse(await readFileText(this.path)));
    return store === undefined ? all : all.filter((e) => e.store === store);
  }

  async record(store: StoreKind, ref: KeyRef, accessKeyId: string, createdAt: string): Promise<void> {
    const listing: KeyListing = {
      store,
      profile: ref.profile,
      credentialsFile: resolve(ref.credentialsFile),
      fileHash: fileHash(ref.credentialsFile),
      accessKeyId: maskKeyId(accessKeyId),
      createdAt,
    };
    await updateFile(this.path, (text) => serialize({ ...parse(text), [indexKey(store, ref)]: listing }));
  }

  async forget(store: StoreKind, ref: KeyRef): Promise<void> {
    await updateFile(this.path, (text) => {
      const entries = parse(text);
      const key = indexKey(store, ref);
      if (!(key in entries)) return undefined;
      delete entries[key];
      return serialize(entries);
    });
  }
}

function indexKey(store: StoreKind, ref: KeyRef): string {
  return `${store}:${entryName(ref)}`;
}

function parse(text: string | undefined): Record<string, KeyListing> {
  if (!text) return {};
  try {
    const value = JSON.parse(Buffer.from(text, 'latin1').toString('utf8')) as { entries?: Record<string, KeyListing> };
    return Object.assign(Object.create(null) as Record<string, KeyListing>, value.entries ?? {});
  } catch {
    return {}; // a damaged index is rebuilt by the next import; the keys are in the stores
  }
}

function serialize(entries: Record<string, KeyListing>): string {
  return Buffer.from(`${JSON.stringify({ v: 1, entries }, null, 1)}\n`, 'utf8').toString('latin1');
}
