/**
 * Moving long-term keys between the credentials file and a store without ever losing them.
 *
 * import: store.put → read back and compare → remove the keys from [SRC] (lossless edit, under the
 *         lock, atomic rename) → optionally credential_process in [profile SRC] of the config.
 * export: store.get → write the keys back into [SRC] (atomic) → read back and compare → remove our
 *         credential_process line → store.remove.
 * Each step starts only when the previous one is durable, and each file write is one rename: at
 * every instant the keys are in the file, in the store, or in both; a crash or SIGKILL leaves at
 * worst both (run the command again).
 *
 * Byte for byte: import keeps the exact lines it removed (in the store, next to the secret) and the
 * line that stood before each run of them; export splices them back and keeps the result only if
 * deleting the keys from it again gives exactly the current file (the lossless engine is the
 * judge). Otherwise (the section changed meanwhile) the keys go back through IniDocument.set.
 */
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { configSectionName } from '../profiles/aws-files.js';
import { readFileText, updateFile } from '../profiles/file-store.js';
import { IniDocument } from '../profiles/ini-document.js';
import { updateConfigProfile } from '../profiles/writers.js';
import {
  KeyStoreError,
  maskKeyId,
  type KeyRef,
  type KeyStore,
  type LongTermKey,
  type RemovedLines,
} from './key-store.js';

const ID = 'aws_access_key_id';
const SECRET = 'aws_secret_access_key';
const SESSION_MARKERS = ['aws_session_token', 'aws_security_token'];

export interface TransferFiles {
  credentials: string;
  config: string;
}

export interface ImportOptions {
  store: KeyStore;
  profile: string;
  files: TransferFiles;
  /** Add `credential_process = aws-mfa-refresh keys credential-process --profile SRC` to [profile SRC] (default true). */
  credentialProcess?: boolean;
  /** Replace a different key the store already holds for this profile (default: refuse). */
  replace?: boolean;
  now?: Date;
}

export interface ImportResult {
  ref: KeyRef;
  accessKeyId: string;
  credentialsPath: string;
  configChanged: boolean;
}

export interface ExportOptions {
  store: KeyStore;
  profile: string;
  files: TransferFiles;
  expectedAccessKeyId?: string;
}

export interface ExportResult {
  ref: KeyRef;
  accessKeyId: string;
  /** True when the original lines went back in place (byte for byte), false when appended to [SRC]. */
  exact: boolean;
  configChanged: boolean;
}

/** The command import puts into the config; single quotes where the profile name needs them (botocore's shlex and sh both read them). */
export function credentialProcessCommand(profile: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(profile) ? profile : `'${profile.replace(/'/g, `'\\''`)}'`;
  return `aws-mfa-refresh keys credential-process --profile ${quoted}`;
}

export function keyRef(profile: string, files: TransferFiles): KeyRef {
  return { profile, credentialsFile: resolve(files.credentials) };
}

/** The long-term keys of [profile] in the credentials text and the spellings of their names; throws when there are none. */
export function plaintextKeys(
  text: string | undefined,
  profile: string,
  file: string,
): { key?: { id: string; secret: string }; names: string[] } {
  if (text === undefined) return { names: [] };
  const doc = IniDocument.parse(text, { file });
  if (!doc.hasSection(profile)) return { names: [] };
  const entries = doc.entries(profile);
  const values = new Map<string, Set<string>>();
  const names: string[] = [];
  for (const [name, value] of Object.entries(entries)) {
    const lower = name.toLowerCase();
    if (SESSION_MARKERS.includes(lower) && value) {
      throw new UserError(
        `[${profile}] in ${file} holds a session, not long-term keys.`,
        ExitCode.Credentials,
        'Import the source profile that holds the long-term keys.',
      );
    }
    if (lower !== ID && lower !== SECRET) continue;
    names.push(name);
    if (!values.has(lower)) values.set(lower, new Set());
    values.get(lower)!.add(value);
  }
  for (const [lower, set] of values) {
    if (set.size > 1) {
      throw new UserError(
        `[${profile}] in ${file} has ${lower} more than once with different values.`,
        ExitCode.Credentials,
        'Keep one of them, then run again.',
      );
    }
  }
  const id = [...(values.get(ID) ?? [])][0];
  const secret = [...(values.get(SECRET) ?? [])][0];
  return { names, ...(id && secret && { key: { id, secret } }) };
}

export async function importKeys(opts: ImportOptions): Promise<ImportResult> {
  const { store, profile, files } = opts;
  const ref = keyRef(profile, files);
  const before = await readFileText(files.credentials);
  const found = plaintextKeys(before, profile, files.credentials);
  if (!found.key) {
    throw new UserError(
      `[${profile}] in ${files.credentials} holds no long-term keys (aws_access_key_id and aws_secret_access_key).`,
      ExitCode.Credentials,
      'Check the profile name; `aws-mfa-refresh keys list` shows what is already imported.',
    );
  }
  const { id, secret } = found.key;

  const existing = await store.get(ref);
  if (existing && existing.accessKeyId !== id && !opts.replace) {
    throw new UserError(
      `${store.location} already holds key ${maskKeyId(existing.accessKeyId)} for profile "${profile}"; importing ${maskKeyId(id)} would replace it.`,
      ExitCode.Credentials,
      'Export or remove the stored key first (`aws-mfa-refresh keys export` / `keys remove`), then run again.',
    );
  }

  const removed = removedLines(before!, profile, found.names, files.credentials);
  await store.put(ref, {
    accessKeyId: id,
    secretAccessKey: secret,
    createdAt: (opts.now ?? new Date()).toISOString(),
    removed,
  });
  testPause('stored');

  const back = await store.get(ref, id);
  if (!back || back.secretAccessKey !== secret) {
    throw new KeyStoreError(
      `${store.location} did not give back the keys it was given for profile "${profile}".`,
      `Nothing was removed from ${files.credentials}.`,
    );
  }
  testPause('verified');

  const { path: credentialsPath } = await updateFile(files.credentials, (text) => {
    const now = plaintextKeys(text, profile, files.credentials);
    if (!now.key) return undefined; // removed by someone else meanwhile: the store has them
    if (now.key.id !== id || now.key.secret !== secret) {
      throw new UserError(
        `[${profile}] in ${files.credentials} changed while importing (now key ${maskKeyId(now.key.id)}).`,
        ExitCode.Credentials,
        `Both ${maskKeyId(id)} (in ${store.location}) and the new key are kept; run the import again.`,
      );
    }
    const doc = IniDocument.parse(text!, { file: files.credentials });
    doc.delete(profile, now.names);
    return doc.toString();
  });
  testPause('credentials-edited');

  let configChanged = false;
  if (opts.credentialProcess ?? true) {
    configChanged = (
      await updateConfigProfile(files.config, profile, { credential_process: credentialProcessCommand(profile) })
    ).written;
  }
  return { ref, accessKeyId: id, credentialsPath, configChanged };
}

export async function exportKeys(opts: ExportOptions): Promise<ExportResult> {
  const { store, profile, files } = opts;
  const ref = keyRef(profile, files);
  const key = await store.get(ref, opts.expectedAccessKeyId);
  if (!key) {
    throw new UserError(
      `${store.location} holds no keys for profile "${profile}" of ${files.credentials}.`,
      ExitCode.Credentials,
      'See `aws-mfa-refresh keys list`.',
    );
  }

  let exact = false;
  await updateFile(files.credentials, (text) => {
    const { key: present, names } = plaintextKeys(text, profile, files.credentials);
    if (present?.id === key.accessKeyId && present.secret === key.secretAccessKey) return undefined; // already there
    if (names.length) {
      throw new UserError(
        `[${profile}] in ${files.credentials} already holds other keys; exporting ${maskKeyId(key.accessKeyId)} would overwrite them.`,
        ExitCode.Credentials,
        'Move those keys elsewhere first, then run again.',
      );
    }
    const spliced = text === undefined ? undefined : restoreExact(text, profile, key);
    exact = spliced !== undefined;
    if (spliced !== undefined) return spliced;
    const doc = text === undefined ? IniDocument.empty() : IniDocument.parse(text, { file: files.credentials });
    doc.set(profile, { [ID]: key.accessKeyId, [SECRET]: key.secretAccessKey });
    return doc.toString();
  });
  const back = plaintextKeys(await readFileText(files.credentials), profile, files.credentials).key;
  if (back?.id !== key.accessKeyId || back.secret !== key.secretAccessKey) {
    throw new UserError(
      `${files.credentials} did not keep the exported keys of [${profile}].`,
      ExitCode.Credentials,
      `They are still in ${store.location}.`,
    );
  }
  testPause('credentials-restored');

  const configChanged = await removeCredentialProcess(files.config, profile);
  testPause('config-edited');
  await store.remove(ref, key.accessKeyId);
  return { ref, accessKeyId: key.accessKeyId, exact, configChanged };
}

/**
 * For `keys rotate`: replaces the stored key `oldAccessKeyId` of `ref` with `next` (already verified
 * with AWS by the caller), and reads it back. Until this returns, the store holds the old key; the
 * caller deletes the old key at AWS only afterwards.
 */
export async function replaceStoredKey(
  store: KeyStore,
  ref: KeyRef,
  oldAccessKeyId: string,
  next: LongTermKey,
): Promise<void> {
  const current = await store.get(ref, oldAccessKeyId);
  if (!current)
    throw new KeyStoreError(
      `${store.location} holds no key for profile "${ref.profile}" to replace.`,
      'See `aws-mfa-refresh keys list`.',
    );
  await store.put(ref, next);
  const back = await store.get(ref, next.accessKeyId);
  if (back?.secretAccessKey !== next.secretAccessKey) {
    throw new KeyStoreError(
      `${store.location} did not give back the new key ${maskKeyId(next.accessKeyId)} of profile "${ref.profile}".`,
      'Keep the old key active; run the rotation again.',
    );
  }
}

/** Removes the credential_process line import added (only that exact command; a user's own stays). */
async function removeCredentialProcess(config: string, profile: string): Promise<boolean> {
  const section = configSectionName(profile);
  const result = await updateFile(config, (text) => {
    if (text === undefined) return undefined;
    const doc = IniDocument.parse(text, { file: config });
    if (doc.get(section, 'credential_process') !== credentialProcessCommand(profile)) return undefined;
    doc.delete(section, ['credential_process']);
    return doc.toString();
  });
  return result.written;
}

// ---------------------------------------------------------------------------------------------
// Byte-for-byte restore

/** Lines with their endings (latin1 byte strings). */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Which lines deleting `names` from [profile] removes, as runs with the line before each. */
function removedLines(text: string, profile: string, names: string[], file: string): RemovedLines {
  const doc = IniDocument.parse(text, { file });
  doc.delete(profile, names);
  const all = splitLines(text);
  const kept = splitLines(doc.toString());
  const runs: RemovedLines['runs'] = [];
  let j = 0;
  let current: { after: string; text: string } | undefined;
  for (let i = 0; i < all.length; i++) {
    if (j < kept.length && all[i] === kept[j]) {
      j++;
      current = undefined;
      continue;
    }
    if (!current) runs.push((current = { after: all[i - 1] ?? '', text: '' }));
    current.text += all[i];
  }
  return { keys: names, runs };
}

/** The current text with the removed lines back in place, when that is exactly what import took out; else undefined. */
function restoreExact(current: string, profile: string, key: LongTermKey): string | undefined {
  const removed = key.removed;
  if (!removed?.runs.length) return undefined;
  const header = `[${Buffer.from(profile, 'utf8').toString('latin1')}]`;
  const lines = splitLines(current);
  const start = lines.findIndex((line) => line.trim().startsWith(header));
  if (start < 0) return undefined;
  for (const run of removed.runs) {
    const at = run.after === '' ? -1 : lines.indexOf(run.after, start);
    if (run.after !== '' && at < 0) return undefined;
    lines.splice(at + 1, 0, run.text);
  }
  const candidate = lines.join('');
  try {
    const restored = plaintextKeys(candidate, profile, '');
    if (restored.key?.id !== key.accessKeyId || restored.key.secret !== key.secretAccessKey) return undefined;
    const doc = IniDocument.parse(candidate);
    doc.delete(profile, removed.keys);
    return doc.toString() === current ? candidate : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Crash-test hook, like file-store.ts's: AWS_MFA_REFRESH_TEST_PAUSE=<step>[,<step>] pauses at that
// step for AWS_MFA_REFRESH_TEST_PAUSE_MS (default 200) after writing `paused:<step>` to stderr.

type PauseStep = 'stored' | 'verified' | 'credentials-edited' | 'credentials-restored' | 'config-edited';

function testPause(step: PauseStep): void {
  const wanted = process.env.AWS_MFA_REFRESH_TEST_PAUSE;
  if (!wanted || !wanted.split(',').includes(step)) return;
  writeSync(2, `paused:${step}\n`);
  const ms = Number(process.env.AWS_MFA_REFRESH_TEST_PAUSE_MS ?? 200);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number.isFinite(ms) && ms >= 0 ? ms : 200);
}
