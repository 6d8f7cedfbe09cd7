/**
 * The source profile's long-term keys, wherever they are: in plaintext in the AWS files (as the SDK
 * reads them; they win, as they do for botocore), else in the key store `keys import` moved them to
 * (read in-process: we never spawn our own credential_process).
 */
import type { AwsConnection } from '../aws/types.js';
import type { ProfileRequest } from '../config/resolve.js';
import { mergedProfile, type AwsFiles } from '../profiles/aws-files.js';
import { terminalStreams, type PromptStreams } from '../mfa/terminal.js';

export type StreamsSource = () => PromptStreams | undefined | Promise<PromptStreams | undefined>;

export async function sourceConnection(
  req: ProfileRequest,
  opts: { progress: boolean; promptStreams?: StreamsSource; storedKey?: StoredKey },
): Promise<AwsConnection> {
  const plain = mergedProfile(req.files, req.source.value);
  if (plain?.aws_access_key_id && plain.aws_secret_access_key) return req.sourceConnection(opts);
  const stored = opts.storedKey ?? (await storedKey(req.source.value, req.files, req.env, opts.promptStreams));
  return req.sourceConnection(stored ? { progress: opts.progress, keys: stored } : opts);
}

/** A long-term key read from a key store. */
export interface StoredKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The stored long-term key of `profile` (undefined: no store holds one); opens the store, may ask a passphrase. */
export async function storedKey(
  profile: string,
  files: AwsFiles,
  env: NodeJS.ProcessEnv,
  promptStreams: StreamsSource = terminalStreams,
): Promise<(StoredKey & { store: string }) | undefined> {
  const [{ locateStoredKeys }, { keyRef }] = await Promise.all([
    import('../keys/locate.js'),
    import('../keys/transfer.js'),
  ]);
  const ref = keyRef(profile, files.paths);
  const kind = await locateStoredKeys(ref, { env, credentialProcess: files.config[profile]?.credential_process });
  if (!kind) return undefined;
  const store = await openStore(kind, env, promptStreams);
  const key = await store.get(ref);
  return key && { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, store: store.location };
}

export async function openStore(
  kind: 'keychain' | 'file',
  env: NodeJS.ProcessEnv,
  promptStreams: StreamsSource = terminalStreams,
) {
  const [{ openKeyStore }, { passphraseFrom }] = await Promise.all([
    import('../keys/index.js'),
    import('../keys/passphrase.js'),
  ]);
  return openKeyStore(kind, { env, passphrase: passphraseFrom({ env, streams: promptStreams }) });
}
