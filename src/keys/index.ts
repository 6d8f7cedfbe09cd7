/**
 * The key stores of issue 13. Import this module for the types and the factory; the store modules
 * themselves (and the native keyring module behind the keychain) load only when a store is opened.
 */
import type { KeyIndex } from './key-index.js';
import type { KeyStore, StoreKind } from './key-store.js';

export * from './key-store.js';

export interface OpenStoreOptions {
  env?: NodeJS.ProcessEnv;
  index?: KeyIndex;
  /** file store: the passphrase, or how to ask for it (asked once, when an entry is read or written). */
  passphrase?: string | (() => Promise<string>);
  /** file store: its path (default $XDG_CONFIG_HOME/aws-mfa-refresh/keys.enc). */
  path?: string;
}

export async function openKeyStore(kind: StoreKind, opts: OpenStoreOptions = {}): Promise<KeyStore> {
  if (kind === 'keychain') {
    const { KeychainStore } = await import('./keychain-store.js');
    const store = new KeychainStore({ ...(opts.env && { env: opts.env }), ...(opts.index && { index: opts.index }) });
    await store.usable();
    return store;
  }
  const { EncryptedFileStore, PASSPHRASE_ENV } = await import('./encrypted-file-store.js');
  const { KeyStoreError } = await import('./key-store.js');
  const missing = () =>
    Promise.reject(
      new KeyStoreError(
        'The key file needs a passphrase and none was given.',
        `Run in a terminal, or set ${PASSPHRASE_ENV}.`,
      ),
    );
  return new EncryptedFileStore({
    passphrase: opts.passphrase ?? missing,
    ...(opts.path && { path: opts.path }),
    ...(opts.env && { env: opts.env }),
    ...(opts.index && { index: opts.index }),
  });
}
