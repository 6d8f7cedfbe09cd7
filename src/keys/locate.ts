/**
 * Which store holds a profile's long-term keys, without opening any store: the non-secret index
 * first, else the `credential_process` line `keys import` wrote into the config (the index may be
 * lost: then the encrypted file when it exists, else the keychain).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultKeyFile } from './encrypted-file-store.js';
import { KeyIndex } from './key-index.js';
import type { KeyRef, StoreKind } from './key-store.js';

/** True when `line` is (any spelling of the path to) our `keys credential-process --profile PROFILE`. */
export function isStoreCredentialProcess(line: string | undefined, profile: string): boolean {
  if (!line) return false;
  const m = /(?:^|[/\s])aws-mfa-refresh(?:\.cjs)?\s+keys\s+credential-process\s+--profile\s+(.+?)\s*$/.exec(line);
  if (!m) return false;
  const quoted = /^'(.*)'$/s.exec(m[1]!);
  const name = quoted ? quoted[1]!.replace(/'\\''/g, "'") : m[1]!;
  return name === profile;
}

export async function locateStoredKeys(
  ref: KeyRef,
  opts: { env: NodeJS.ProcessEnv; credentialProcess?: string; index?: KeyIndex },
): Promise<StoreKind | undefined> {
  const index = opts.index ?? new KeyIndex(undefined, opts.env);
  const file = resolve(ref.credentialsFile);
  const listed = (await index.list()).filter((e) => e.profile === ref.profile && e.credentialsFile === file);
  if (listed.length) return listed.find((e) => e.store === 'keychain') ? 'keychain' : listed[0]!.store;
  if (!isStoreCredentialProcess(opts.credentialProcess, ref.profile)) return undefined;
  return existsSync(defaultKeyFile(opts.env)) ? 'file' : 'keychain';
}
