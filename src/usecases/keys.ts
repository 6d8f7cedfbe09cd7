/**
 * `keys import|export|remove|list|credential-process`: the use cases around src/keys. The CLI shows
 * the plans, asks, and prints; the moves themselves are src/keys/transfer.ts's transactions.
 */
import { ExitCode, UserError } from '../errors.js';
import { awsFilePaths, configSectionName, type AwsFilePaths } from '../profiles/aws-files.js';
import { readFileText, updateFile } from '../profiles/file-store.js';
import { IniDocument } from '../profiles/ini-document.js';
import { resolveProfile } from '../config/resolve.js';
import type { KeyListing, KeyStore, StoreKind } from '../keys/key-store.js';
import { loadFiles } from './deps.js';
import { openStore, type StreamsSource } from './source-keys.js';

/** `--profile SRC`, else the source profile of the default target (what a plain refresh reads). */
export async function keysProfile(profile: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (profile !== undefined) return resolveProfile({ flags: { profile }, env }).target.value;
  return resolveProfile({ flags: {}, env, files: await loadFiles(env) }).source.value;
}

export interface ImportPlan {
  profile: string;
  paths: AwsFilePaths;
  /** import: keys in the file move to the store; resume: a killed import left them only in the store. */
  action: 'import' | 'resume';
  credentialsBefore: string;
  credentialsAfter: string;
  configBefore: string;
  configAfter: string;
  accessKeyId: string;
}

export async function planImport(opts: {
  profile: string;
  store: KeyStore;
  env: NodeJS.ProcessEnv;
  credentialProcess: boolean;
}): Promise<ImportPlan> {
  const { profile, store, env } = opts;
  const [{ plaintextKeys, keyRef, credentialProcessCommand }] = await Promise.all([import('../keys/transfer.js')]);
  const paths = awsFilePaths(env);
  const credentialsBefore = (await readFileText(paths.credentials)) ?? '';
  const configBefore = (await readFileText(paths.config)) ?? '';
  const found = plaintextKeys(credentialsBefore, profile, paths.credentials);
  let action: ImportPlan['action'] = 'import';
  let accessKeyId = found.key?.id;
  let credentialsAfter = credentialsBefore;
  if (found.key) {
    const doc = IniDocument.parse(credentialsBefore, { file: paths.credentials });
    doc.delete(profile, found.names);
    credentialsAfter = doc.toString();
  } else {
    // A rerun after an import was killed between its steps: the store has the keys, finish the config.
    const stored = await store.get(keyRef(profile, paths));
    if (!stored) {
      throw new UserError(
        `[${profile}] in ${paths.credentials} holds no long-term keys (aws_access_key_id and aws_secret_access_key).`,
        ExitCode.Credentials,
        'Check the profile name (--profile); `aws-mfa-refresh keys list` shows what is already imported.',
      );
    }
    action = 'resume';
    accessKeyId = stored.accessKeyId;
  }
  let configAfter = configBefore;
  if (opts.credentialProcess) {
    const doc = configBefore ? IniDocument.parse(configBefore, { file: paths.config }) : IniDocument.empty();
    const section = configSectionName(profile);
    const line = credentialProcessCommand(profile);
    if (doc.get(section, 'credential_process') !== line) {
      doc.set(section, { credential_process: line });
      configAfter = doc.toString();
    }
  }
  return {
    profile,
    paths,
    action,
    credentialsBefore,
    credentialsAfter,
    configBefore,
    configAfter,
    accessKeyId: accessKeyId!,
  };
}

export async function applyImport(plan: ImportPlan, store: KeyStore, credentialProcess: boolean): Promise<void> {
  const { importKeys, credentialProcessCommand } = await import('../keys/transfer.js');
  if (plan.action === 'import') {
    await importKeys({ store, profile: plan.profile, files: plan.paths, credentialProcess });
  } else if (credentialProcess) {
    const { updateConfigProfile } = await import('../profiles/writers.js');
    await updateConfigProfile(plan.paths.config, plan.profile, {
      credential_process: credentialProcessCommand(plan.profile),
    });
  }
}

/** Which store holds `profile`'s keys (the index, the config line), or --store; refuses when none does. */
export async function storeOf(
  profile: string,
  env: NodeJS.ProcessEnv,
  kind: StoreKind | undefined,
  streams?: StreamsSource,
): Promise<KeyStore> {
  if (kind) return openStore(kind, env, streams);
  const paths = awsFilePaths(env);
  const { locateStoredKeys } = await import('../keys/locate.js');
  const { keyRef } = await import('../keys/transfer.js');
  const config = (await readFileText(paths.config)) ?? '';
  const line = config
    ? IniDocument.parse(config, { file: paths.config }).get(configSectionName(profile), 'credential_process')
    : undefined;
  const found = await locateStoredKeys(keyRef(profile, paths), { env, ...(line && { credentialProcess: line }) });
  if (!found) {
    throw new UserError(
      `No key store holds keys for profile "${profile}" of ${paths.credentials}.`,
      ExitCode.Credentials,
      'See `aws-mfa-refresh keys list`, or name the store with --store.',
    );
  }
  return openStore(found, env, streams);
}

export async function listKeys(env: NodeJS.ProcessEnv): Promise<KeyListing[]> {
  const { KeyIndex } = await import('../keys/key-index.js');
  return (await new KeyIndex(undefined, env).list()).sort(
    (a, b) => a.profile.localeCompare(b.profile) || a.credentialsFile.localeCompare(b.credentialsFile),
  );
}

export interface RemovePlan {
  profile: string;
  paths: AwsFilePaths;
  accessKeyId: string;
  /** The credentials file holds no copy of this key: removing it loses it. */
  onlyCopy: boolean;
}

export async function planRemove(profile: string, store: KeyStore, env: NodeJS.ProcessEnv): Promise<RemovePlan> {
  const { keyRef, plaintextKeys } = await import('../keys/transfer.js');
  const paths = awsFilePaths(env);
  const stored = await store.get(keyRef(profile, paths));
  if (!stored) {
    throw new UserError(
      `${store.location} holds no keys for profile "${profile}" of ${paths.credentials}.`,
      ExitCode.Credentials,
      'See `aws-mfa-refresh keys list`.',
    );
  }
  const plain = plaintextKeys(await readFileText(paths.credentials), profile, paths.credentials).key;
  const onlyCopy = plain?.id !== stored.accessKeyId || plain.secret !== stored.secretAccessKey;
  return { profile, paths, accessKeyId: stored.accessKeyId, onlyCopy };
}

/** Deletes the stored key and the credential_process line that pointed at it. */
export async function applyRemove(plan: RemovePlan, store: KeyStore): Promise<{ configChanged: boolean }> {
  const { keyRef, credentialProcessCommand } = await import('../keys/transfer.js');
  await store.remove(keyRef(plan.profile, plan.paths), plan.accessKeyId);
  const section = configSectionName(plan.profile);
  const result = await updateFile(plan.paths.config, (text) => {
    if (text === undefined) return undefined;
    const doc = IniDocument.parse(text, { file: plan.paths.config });
    if (doc.get(section, 'credential_process') !== credentialProcessCommand(plan.profile)) return undefined;
    doc.delete(section, ['credential_process']);
    return doc.toString();
  });
  return { configChanged: result.written };
}

/** `keys credential-process`: the Version 1 JSON of the stored long-term key. */
export async function credentialProcessJson(
  profile: string,
  env: NodeJS.ProcessEnv,
  streams: StreamsSource,
): Promise<string> {
  const { keyRef } = await import('../keys/transfer.js');
  const { credentialProcessOutput } = await import('../keys/key-store.js');
  const store = await storeOf(profile, env, undefined, streams);
  const paths = awsFilePaths(env);
  const key = await store.get(keyRef(profile, paths));
  if (!key) {
    throw new UserError(
      `${store.location} holds no keys for profile "${profile}" of ${paths.credentials}.`,
      ExitCode.Credentials,
      'Import them with `aws-mfa-refresh keys import`, or see `aws-mfa-refresh keys list`.',
    );
  }
  return credentialProcessOutput(key);
}
