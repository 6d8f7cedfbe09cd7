/**
 * `keys rotate`: a new long-term key for the source profile's IAM user, without a moment where the
 * user holds no working key.
 *
 *   fresh MFA session (the refresh use case: at most one code)
 *   → iam:ListAccessKeys (two keys already: stop, IAM allows no third)
 *   → iam:CreateAccessKey → sts:GetCallerIdentity with the new key (bounded retries: IAM takes a
 *     few seconds to accept a new key everywhere) → store the new key where the old one was (key
 *     store or credentials file) and read it back → iam:DeleteAccessKey of the old key.
 * Until the store holds the new key, the old key is untouched and the new one is deleted again on
 * failure; after that the new key is in place and a failed delete only leaves the old key to delete.
 */
import { ExitCode, UserError } from '../errors.js';
import { AwsFailure } from '../aws/errors.js';
import type { AwsConnection } from '../aws/types.js';
import { resolveProfile, type ProfileFlags } from '../config/resolve.js';
import { mergedProfile, type AwsFiles } from '../profiles/aws-files.js';
import { readFileText, updateFile } from '../profiles/file-store.js';
import { IniDocument } from '../profiles/ini-document.js';
import type { Platform } from '../platform/platform.js';
import { loadFiles, type Deps } from './deps.js';
import { refresh, type RefreshIo } from './refresh.js';
import { openStore } from './source-keys.js';

export interface RotateOptions {
  flags: ProfileFlags;
  /** GetCallerIdentity attempts with the new key, and the pause between them. */
  retry?: { attempts: number; delayMs: number };
}

export interface RotateIo extends RefreshIo {
  /** One line per step done. */
  step(line: string): void;
}

export interface RotateResult {
  sourceProfile: string;
  userArn: string;
  oldAccessKeyId: string;
  newAccessKeyId: string;
  /** Where the new key is: the key store's location or the credentials file. */
  location: string;
  verifyAttempts: number;
}

const DEFAULT_RETRY = { attempts: 10, delayMs: 2000 };

/**
 * `keys rotate --profile SRC` speaks of the key's profile; the session comes from the profile whose
 * source_profile is SRC, else SRC without `-long-term` (the convention). Without --profile: the default target.
 */
export function rotateFlags(flags: ProfileFlags, files: AwsFiles): ProfileFlags {
  const src = flags.profile;
  if (src === undefined) return flags;
  const target =
    Object.entries(files.config).find(([, values]) => values.source_profile === src)?.[0] ??
    (src.endsWith('-long-term') ? src.slice(0, -'-long-term'.length) : undefined);
  if (!target) {
    throw new UserError(
      `No profile takes its session from "${src}" (no source_profile = ${src} in the config).`,
      ExitCode.Usage,
      `Add source_profile = ${src} to the session profile in ~/.aws/config, then run again.`,
    );
  }
  return { ...flags, profile: target, sourceProfile: src };
}

export async function rotateKey(opts: RotateOptions, io: RotateIo, deps: Deps): Promise<RotateResult> {
  const { env, platform } = deps;
  const { maskKeyId } = await import('../keys/key-store.js');
  const { keyRef, plaintextKeys, replaceStoredKey } = await import('../keys/transfer.js');
  const { locateStoredKeys } = await import('../keys/locate.js');

  // The injected platform's home rule, as the refresh below uses: both read the same files.
  let files = await loadFiles(env, platform);
  const flags = rotateFlags(opts.flags, files);
  let req = resolveProfile({ flags, env, files });
  const target = req.target.value;
  const source = req.source.value;
  const ref = keyRef(source, files.paths);

  // Where the key lives now: the credentials file (plaintext) or a key store.
  const plain = plaintextKeys(await readFileText(files.paths.credentials), source, files.paths.credentials).key;
  const kind = plain
    ? undefined
    : await locateStoredKeys(ref, { env, credentialProcess: files.config[source]?.credential_process });
  if (!plain && !kind) {
    throw new UserError(
      `No long-term keys for profile "${source}" (neither in ${files.paths.credentials} nor in a key store).`,
      ExitCode.Credentials,
      'Name the profile that holds them with --source-profile.',
    );
  }
  const store = kind ? await openStore(kind, env, io.promptStreams) : undefined;
  const stored = store && (await store.get(ref));
  if (store && !stored)
    throw new UserError(`${store.location} holds no key for profile "${source}".`, ExitCode.Credentials);
  const oldId = plain?.id ?? stored!.accessKeyId;
  const location = store?.location ?? files.paths.credentials;

  // 1. A fresh MFA session (refreshed when needed: at most one code).
  // With the key just read from the store: its passphrase is not asked again.
  const session = await refresh({ flags, remember: true, quiet: true, ...(stored && { storedKey: stored }) }, io, deps);
  io.step(`MFA session of [${target}] ${session.refreshed ? 'refreshed' : 'still fresh'}.`);
  files = await loadFiles(env, platform);
  req = resolveProfile({ flags, env, files });
  const s = mergedProfile(files, target)!;
  // The source's region, endpoint and timeout; the credentials are replaced below.
  const base: AwsConnection = req.sourceConnection({
    progress: true,
    keys: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  const sessionConn: AwsConnection = {
    ...base,
    credentials: {
      accessKeyId: s.aws_access_key_id!,
      secretAccessKey: s.aws_secret_access_key!,
      sessionToken: s.aws_session_token!,
    },
    profileName: target,
  };
  const identity = await (await deps.openAws(sessionConn, io.debug, io.warn)).callerIdentity();
  const userName = /:user\/(?:.*\/)?([^/]+)$/.exec(identity.arn)?.[1];
  if (!userName) {
    throw new UserError(
      `The keys of profile "${source}" belong to ${identity.arn}, not to an IAM user: there is no access key to rotate.`,
      ExitCode.Credentials,
    );
  }

  // 2. Room for a second key.
  const { openAccessKeys } = await import('../aws/access-keys.js');
  const iam = await openAccessKeys(sessionConn, io.debug);
  const existing = await iam.list(userName);
  if (existing.length >= 2) {
    const others = existing.filter((k) => k.accessKeyId !== oldId).map((k) => k.accessKeyId);
    throw new UserError(
      `IAM user ${userName} already has two access keys (${existing.map((k) => maskKeyId(k.accessKeyId)).join(', ')}); IAM allows no third, so there is no room to rotate.`,
      ExitCode.Credentials,
      `Nothing was changed. Delete the key you no longer use (e.g. aws iam delete-access-key --user-name ${userName} --access-key-id ${others[0] ?? '<id>'}), then run again.`,
    );
  }
  if (!existing.some((k) => k.accessKeyId === oldId)) {
    throw new UserError(
      `The key of profile "${source}" (${maskKeyId(oldId)}) is not one of IAM user ${userName}'s keys.`,
      ExitCode.Credentials,
      'Nothing was changed. Check --source-profile.',
    );
  }

  // 3. The new key.
  const keepsOld = `your key ${maskKeyId(oldId)} is unchanged and still works`;
  let created: { accessKeyId: string; secretAccessKey: string; createDate?: Date };
  try {
    created = await iam.create(userName);
  } catch (error) {
    throw stepFailed('Creating the new key', error, `${keepsOld}.`);
  }
  const newId = created.accessKeyId;
  io.step(`Created key ${maskKeyId(newId)} for IAM user ${userName}.`);
  const undo = async (why: string, error: unknown): Promise<never> => {
    let cleanup = `the new key ${maskKeyId(newId)} was deleted again`;
    try {
      await iam.delete(userName, newId);
    } catch {
      cleanup = `deleting the new key failed too: delete it with aws iam delete-access-key --user-name ${userName} --access-key-id ${newId}`;
    }
    throw stepFailed(why, error, `${keepsOld}; ${cleanup}.`);
  };

  // 4. AWS accepts it (allowing for IAM's propagation delay).
  const retry = opts.retry ?? DEFAULT_RETRY;
  let attempts = 0;
  try {
    const aws = await deps.openAws(
      { ...base, credentials: { accessKeyId: newId, secretAccessKey: created.secretAccessKey }, profileName: source },
      io.debug,
      io.warn,
    );
    for (;;) {
      attempts++;
      try {
        const who = await aws.callerIdentity();
        if (who.arn !== identity.arn) throw new Error(`the new key belongs to ${who.arn}, not ${identity.arn}`);
        break;
      } catch (error) {
        const propagating = error instanceof AwsFailure && ['unknown-key', 'bad-signature'].includes(error.reason);
        if (!propagating || attempts >= retry.attempts) throw error;
        io.debug(`the new key is not accepted yet (attempt ${attempts}); waiting ${retry.delayMs} ms`);
        await new Promise((done) => setTimeout(done, retry.delayMs));
      }
    }
  } catch (error) {
    return undo(`Checking the new key with sts:GetCallerIdentity (${attempts} attempts)`, error);
  }
  io.step(`AWS accepts the new key${attempts > 1 ? ` (after ${attempts} attempts)` : ''}.`);

  // 5. Where the old key was.
  const createdAt = (created.createDate ?? new Date(deps.now())).toISOString();
  try {
    if (store) {
      await replaceStoredKey(store, ref, oldId, {
        accessKeyId: newId,
        secretAccessKey: created.secretAccessKey,
        createdAt,
      });
    } else {
      await replacePlaintextKey(files.paths.credentials, source, oldId, newId, created.secretAccessKey, platform);
    }
  } catch (error) {
    return undo(`Storing the new key in ${location}`, error);
  }
  io.step(`Stored the new key in ${location}.`);

  // 6. The old key goes.
  try {
    await iam.delete(userName, oldId);
  } catch (error) {
    throw stepFailed(
      `Deleting the old key ${maskKeyId(oldId)}`,
      error,
      `The new key ${maskKeyId(newId)} is in ${location} and works; the old key still exists: delete it with aws iam delete-access-key --user-name ${userName} --access-key-id ${oldId}.`,
    );
  }
  io.step(`Deleted the old key ${maskKeyId(oldId)}.`);
  return {
    sourceProfile: source,
    userArn: identity.arn,
    oldAccessKeyId: oldId,
    newAccessKeyId: newId,
    location,
    verifyAttempts: attempts,
  };
}

/** One line: what failed, why, and which key works now. Keeps the failure's exit code. */
function stepFailed(step: string, error: unknown, state: string): UserError {
  const why = error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
  const code = error instanceof UserError ? error.exitCode : ExitCode.Unexpected;
  return new UserError(`${step} failed: ${why}.`, code, state.charAt(0).toUpperCase() + state.slice(1));
}

/** The credentials file keeps the profile's key names and their place; only the two values change. */
async function replacePlaintextKey(
  file: string,
  profile: string,
  oldId: string,
  newId: string,
  secret: string,
  platform?: Platform,
) {
  const { plaintextKeys } = await import('../keys/transfer.js');
  const edit = (text: string | undefined) => {
    const now = plaintextKeys(text, profile, file);
    if (now.key?.id !== oldId) {
      throw new UserError(`[${profile}] in ${file} changed during the rotation.`, ExitCode.Credentials);
    }
    const doc = IniDocument.parse(text!, { file });
    const values: Record<string, string> = {};
    for (const name of now.names) values[name] = name.toLowerCase() === 'aws_access_key_id' ? newId : secret;
    doc.set(profile, values);
    return doc.toString();
  };
  await updateFile(file, edit, { platform });
  const back = plaintextKeys(await readFileText(file), profile, file).key;
  if (back?.id !== newId || back.secret !== secret) throw new Error(`${file} did not keep the new key`);
}
