/** 2. profiles: the source holds long-term keys and is not the target; the target holds none. */
import type { AwsConnection } from '../../../aws/types.js';
import type { AwsFiles } from '../../../profiles/aws-files.js';
import { holdsLongTermKeys } from '../../../profiles/session.js';
import { longTermOverwriteError } from '../../../profiles/writers.js';
import { longTermProfileOf } from '../../../defaults.js';
import { PROGRAM, profileFlag } from '../../../config/hints.js';
import { describeOrigin, type ProfileRequest } from '../../../config/resolve.js';
import { fromError, result, type CheckResult } from '../check.js';

export interface ProfileNames {
  target: string;
  source: string;
  /** Where the source name came from, for messages. */
  sourceFrom: string;
}

/** The names as the refresh resolves them, and where the source name came from. */
export function profileNames(req: ProfileRequest): ProfileNames {
  return { target: req.target.value, source: req.source.value, sourceFrom: describeOrigin(req.source.origin) };
}

/**
 * The source profile holds long-term keys and is not the target; the target holds no long-term
 * keys. `connection` is what sourceConnection made of the source profile, or the error it threw.
 */
export function checkProfiles(
  files: AwsFiles,
  names: ProfileNames,
  connection: { conn: AwsConnection } | { error: unknown },
): CheckResult {
  const { target, source, sourceFrom } = names;
  const targetLongTerm = holdsLongTermKeys(files.credentials[target]);
  if (source === target) {
    return result(
      'profiles',
      'fail',
      `the source profile and the target profile are both "${target}" (${sourceFrom}); a session would overwrite your long-term keys`,
      `Keep long-term keys in [${target}-long-term], or pass --source-profile with another profile.`,
    );
  }
  if ('error' in connection) {
    if (targetLongTerm) {
      // The usual state before the first run: the keys are still in the target profile.
      const setup = `${PROGRAM} setup${profileFlag(target)}${source === longTermProfileOf(target) ? '' : ` --long-term-profile ${source}`}`;
      return result(
        'profiles',
        'fail',
        `profile "${target}" holds long-term keys and the source profile "${source}" (${sourceFrom}) holds none`,
        `Run: ${setup} (it moves the keys to [${source}] and keeps [${target}] for sessions).`,
      );
    }
    // The resolver's error lists the profiles that hold long-term keys, as refresh says it.
    const base = fromError('profiles', connection.error);
    return { ...base, message: `${base.message.replace(/\.$/, '')}; it is the source profile (${sourceFrom})` };
  }
  if (targetLongTerm) {
    const e = longTermOverwriteError(target, files.paths.credentials);
    return result('profiles', 'fail', e.message.replace(/\.$/, ''), e.hint);
  }
  const keyId = connection.conn.credentials.accessKeyId;
  return result(
    'profiles',
    'pass',
    `source "${source}" (${sourceFrom}) holds keys (${keyId}); target "${target}" holds no long-term keys`,
  );
}
