/**
 * 3. key-store: where the source's long-term keys live. In a key store (keys import): the store is
 * reachable and unlocked and hands out the key (fail otherwise). Still in plaintext in the
 * credentials file: a warning (they work, but a copied file leaks them for good).
 */
import type { AwsFiles } from '../../../profiles/aws-files.js';
import { holdsLongTermKeys } from '../../../profiles/session.js';
import { PROGRAM } from '../../../config/hints.js';
import { fromError, result, type CheckResult } from '../check.js';

export interface KeyStoreOutcome {
  result: CheckResult;
  /** The key the store handed out, for the keys check (no second passphrase prompt). */
  key?: { accessKeyId: string; secretAccessKey: string };
}

export async function checkKeyStore(files: AwsFiles, source: string, env: NodeJS.ProcessEnv): Promise<KeyStoreOutcome> {
  const [{ locateStoredKeys }, { keyRef }, { maskKeyId }] = await Promise.all([
    import('../../../keys/locate.js'),
    import('../../../keys/transfer.js'),
    import('../../../keys/key-store.js'),
  ]);
  const plaintext = holdsLongTermKeys(files.credentials[source]);
  const ref = keyRef(source, files.paths);
  let kind;
  try {
    kind = await locateStoredKeys(ref, { env, credentialProcess: files.config[source]?.credential_process });
  } catch (error) {
    return { result: fromError('key-store', error) };
  }
  if (plaintext) {
    return {
      result: result(
        'key-store',
        'warn',
        `the long-term keys of "${source}" sit in plaintext in ${files.paths.credentials}${kind ? ` (the ${kind} store has a copy too)` : ''}`,
        `Move them into the OS keychain or an encrypted file: ${PROGRAM} keys import --profile ${source}`,
      ),
    };
  }
  if (!kind) return { result: result('key-store', 'skip', `no stored keys for "${source}" (see profiles)`) };
  try {
    const { openStore } = await import('../../source-keys.js');
    const store = await openStore(kind, env);
    const key = await store.get(ref);
    if (!key) {
      return {
        result: result(
          'key-store',
          'fail',
          `${store.location} holds no keys for "${source}", although ${kind === 'keychain' ? 'the index or config says so' : 'the config points to it'}`,
          `Import them again (${PROGRAM} keys import --profile ${source}), or see ${PROGRAM} keys list.`,
        ),
      };
    }
    return {
      result: result(
        'key-store',
        'pass',
        `the keys of "${source}" (${maskKeyId(key.accessKeyId)}) are in ${store.location}, unlocked`,
      ),
      key: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    };
  } catch (error) {
    return { result: fromError('key-store', error) };
  }
}
