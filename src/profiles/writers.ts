/**
 * The two edits this tool makes: a session into the credentials file, and the remembered
 * device into the config file. Both go through the lossless engine and the locked, atomic store.
 */
import { ExitCode, UserError } from '../errors.js';
import type { SessionCredentials } from '../aws/types.js';
import { stat } from 'node:fs/promises';
import { IniDocument, newConfigSection } from './ini-document.js';
import { updateFile, type UpdateOptions, type UpdateResult } from './file-store.js';
import { PROGRAM, profileFlag } from '../config/hints.js';
import { longTermProfileOf } from '../defaults.js';
import { FOREIGN_SESSION_KEYS, SESSION_KEYS, formatTimestamp, holdsLongTermKeys } from './session.js';

/** `label`: how to name the profile, e.g. `"work" (from AWS_PROFILE)`; default `"work"`. */
export function longTermOverwriteError(profile: string, file: string, label = `"${profile}"`): UserError {
  return new UserError(
    `Profile ${label} in ${file} holds long-term keys; writing a session there would destroy them.`,
    ExitCode.Credentials,
    `Run ${PROGRAM} setup${profileFlag(profile)} to move them to [${longTermProfileOf(profile)}] (the default source profile), or choose another target with --profile.`,
  );
}

export interface SessionWrite {
  profile: string;
  credentials: SessionCredentials;
  issued: Date;
  serialNumber: string;
}

/** `store`: the store's options (the platform whose rules it follows). */
export async function writeSession(
  file: string,
  session: SessionWrite,
  store: Pick<UpdateOptions, 'platform'> = {},
): Promise<UpdateResult> {
  return updateFile(
    file,
    (text) => {
      const doc = text === undefined ? IniDocument.empty() : IniDocument.parse(text, { file });
      // The section's own keys (lower-case, as botocore reads them), without [DEFAULT]'s: writing
      // here overrides inherited keys, it destroys only the section's own.
      const existing = doc.hasSection(session.profile) ? doc.entries(session.profile) : undefined;
      // Checked again under the lock: another program may have put keys there since we looked.
      if (holdsLongTermKeys(existing)) throw longTermOverwriteError(session.profile, file);
      const c = session.credentials;
      const values: Record<string, string> = {
        [SESSION_KEYS.accessKeyId]: c.accessKeyId,
        [SESSION_KEYS.secretAccessKey]: c.secretAccessKey,
        [SESSION_KEYS.sessionToken]: c.sessionToken,
        [SESSION_KEYS.expiration]: formatTimestamp(c.expiration),
        [SESSION_KEYS.issued]: formatTimestamp(session.issued),
        [SESSION_KEYS.device]: session.serialNumber,
      };
      // botocore takes aws_security_token before aws_session_token, and every section inherits
      // [DEFAULT]'s: an old token there would win over ours unless the section has its own.
      const inheritedToken = 'aws_security_token' in doc.defaults();
      if (inheritedToken) values.aws_security_token = c.sessionToken;
      doc.set(session.profile, values);
      // Keys other tools write that describe the old session (any case: botocore folds it).
      doc.delete(
        session.profile,
        FOREIGN_SESSION_KEYS.filter((key) => !(key in values)),
      );
      return doc.toString();
    },
    store,
  );
}

export interface ConfigUpdateResult extends UpdateResult {
  /** Why nothing was written although values differ (the config path is not a regular file). */
  note?: string;
}

/**
 * Sets keys of a profile in the config file: in the section botocore reads it from
 * (`[profile work]`, `[profile "work"]`, `[profile default]`...), else in a new `[profile NAME]`
 * (`[default]`). A config path that is not a regular file (AWS_CONFIG_FILE=/dev/null) is never
 * written: the result carries a note instead.
 */
export async function updateConfigProfile(
  file: string,
  profile: string,
  values: Record<string, string>,
  store: Pick<UpdateOptions, 'platform'> = {},
): Promise<ConfigUpdateResult> {
  if (await existsButNotAFile(file)) {
    return {
      written: false,
      path: file,
      note: `${file} is not a regular file, so ${Object.keys(values).join(' and ')} for "${profile}" was not saved there.`,
    };
  }
  return updateFile(
    file,
    (text) => {
      const doc = text === undefined ? IniDocument.empty() : IniDocument.parse(text, { file });
      const section = doc.configSectionOf(profile) ?? newConfigSection(profile);
      if (doc.hasSection(section) && Object.entries(values).every(([k, v]) => doc.get(section, k) === v))
        return undefined;
      doc.set(section, values);
      return doc.toString();
    },
    store,
  );
}

async function existsButNotAFile(path: string): Promise<boolean> {
  try {
    return !(await stat(path)).isFile();
  } catch {
    return false;
  }
}
