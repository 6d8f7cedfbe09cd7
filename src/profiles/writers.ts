/**
 * The two edits this tool makes: a session into the credentials file, and the remembered
 * device into the config file. Both go through the lossless engine and the locked, atomic store.
 */
import { ExitCode, UserError } from '../errors.js';
import type { SessionCredentials } from '../aws/types.js';
import { IniDocument } from './ini-document.js';
import { updateFile, type UpdateResult } from './file-store.js';
import { configSectionName } from './aws-files.js';
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

export async function writeSession(file: string, session: SessionWrite): Promise<UpdateResult> {
  return updateFile(file, (text) => {
    const doc = text === undefined ? IniDocument.empty() : IniDocument.parse(text, { file });
    const existing = doc.hasSection(session.profile) ? doc.entries(session.profile) : undefined;
    // Checked again under the lock: another program may have put keys there since we looked.
    if (holdsLongTermKeys(existing)) throw longTermOverwriteError(session.profile, file);
    const c = session.credentials;
    doc.set(session.profile, {
      [SESSION_KEYS.accessKeyId]: c.accessKeyId,
      [SESSION_KEYS.secretAccessKey]: c.secretAccessKey,
      [SESSION_KEYS.sessionToken]: c.sessionToken,
      [SESSION_KEYS.expiration]: formatTimestamp(c.expiration),
      [SESSION_KEYS.issued]: formatTimestamp(session.issued),
      [SESSION_KEYS.device]: session.serialNumber,
    });
    // Other spellings of the keys we own (AWS_SESSION_TOKEN, Expiration, ...) hold the old session:
    // botocore lowercases keys, so next to ours they would be duplicates and it would reject the whole file.
    const ours: readonly string[] = Object.values(SESSION_KEYS);
    const owned = new Set<string>([...ours, ...FOREIGN_SESSION_KEYS]);
    const otherSpellings = Object.keys(existing ?? {}).filter(
      (key) => owned.has(key.toLowerCase()) && !ours.includes(key),
    );
    doc.delete(session.profile, [...FOREIGN_SESSION_KEYS, ...otherSpellings]);
    return doc.toString();
  });
}

/** Sets keys of a profile's section in the config file (`[default]` or `[profile NAME]`). */
export async function updateConfigProfile(
  file: string,
  profile: string,
  values: Record<string, string>,
): Promise<UpdateResult> {
  const section = configSectionName(profile);
  return updateFile(file, (text) => {
    const doc = text === undefined ? IniDocument.empty() : IniDocument.parse(text, { file });
    if (doc.hasSection(section) && Object.entries(values).every(([k, v]) => doc.get(section, k) === v))
      return undefined;
    doc.set(section, values);
    return doc.toString();
  });
}
