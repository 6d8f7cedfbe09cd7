/**
 * `aws-mfa-refresh doctor`: checks the setup the refresh depends on, in order, and says for each
 * what it found and what to do. Each check (checks/*.ts) returns a CheckResult; the runner chains
 * them and marks a check `skip` when an earlier failure leaves it nothing to look at.
 *
 * The profile is resolved by the resolver the refresh uses (src/config/resolve.ts), so the doctor
 * sees the setup exactly as a refresh would. Only `keys` and `mfa-device` talk to AWS, through the
 * injected client factory. No message ever holds a secret: the runner scrubs every secret value it
 * knows of as a last guard.
 */
import { awsFilePaths, loadAwsFiles, type AwsFiles } from '../../profiles/aws-files.js';
import type { AwsConnection } from '../../aws/types.js';
import { resolveProfile, type ProfileFlags, type ProfileRequest } from '../../config/resolve.js';
import type { Deps } from '../deps.js';
import { sourceConnection } from '../source-keys.js';
import { fromError, result, type CheckId, type CheckResult, type DoctorReport } from './check.js';
import { checkFiles, withDivergences } from './checks/files.js';
import { checkProfiles, profileNames, type ProfileNames } from './checks/profiles.js';
import { checkKeys } from './checks/keys.js';
import { checkKeyStore, type KeyStoreOutcome } from './checks/key-store.js';
import { checkClock } from './checks/clock.js';
import { checkMfaDevice, rememberedSerial } from './checks/mfa-device.js';
import { checkSession } from './checks/session.js';
import { checkEnvironment } from './checks/environment.js';
import { checkKinds } from './checks/kinds.js';
import { checkRoles } from './checks/roles.js';
import { checkNode } from './checks/node.js';
import { scrubSecrets, secretsOf } from './scrub.js';

export interface DoctorOptions {
  flags: ProfileFlags;
  debug?: (line: string) => void;
}

/** Runs every check in order. Never throws for a problem of the setup: that is a failed check. */
export async function runDoctor(opts: DoctorOptions, deps: Deps): Promise<DoctorReport> {
  const { env } = deps;
  const debug = opts.debug ?? (() => {});
  const paths = awsFilePaths(env, deps.platform);
  debug(`credentials file ${paths.credentials}; config file ${paths.config}`);
  const checks: CheckResult[] = [];
  const skip = (id: CheckId, why: string) => checks.push(result(id, 'skip', why));

  // 1. files
  const filesCheck = await checkFiles(paths, env, deps.platform);
  let files: AwsFiles | undefined;
  if (filesCheck.loadable) {
    try {
      files = await loadAwsFiles(paths);
      filesCheck.result = withDivergences(filesCheck.result, files.divergences);
    } catch (error) {
      filesCheck.result = fromError('files', error);
    }
  }
  checks.push(filesCheck.result);

  // 2. profiles
  const req: ProfileRequest = resolveProfile({ flags: opts.flags, env, ...(files && { files }) });
  let names: ProfileNames | undefined;
  let conn: AwsConnection | undefined;
  let nameError: unknown;
  let storeCheck: KeyStoreOutcome | undefined;
  if (!files) {
    skip('profiles', 'cannot read the files (see files)');
  } else {
    try {
      names = profileNames(req);
    } catch (error) {
      nameError = error;
      checks.push(fromError('profiles', error));
    }
    if (names) {
      let connection: { conn: AwsConnection } | { error: unknown };
      storeCheck = await checkKeyStore(files, names.source, env);
      try {
        conn = storeCheck.key
          ? req.sourceConnection({ progress: true, keys: storeCheck.key })
          : await sourceConnection(req, { progress: true });
        debug(req.describeConnection(conn));
        connection = { conn };
      } catch (error) {
        connection = { error };
      }
      checks.push(checkProfiles(files, names, connection));
    }
  }
  // 2b. key-store
  checks.push(storeCheck?.result ?? result('key-store', 'skip', 'no source profile (see profiles)'));

  // 3. keys, 4. clock, 5. mfa-device
  if (!conn) {
    const why = files ? 'no long-term keys to try (see profiles)' : 'cannot read the files (see files)';
    skip('keys', why);
    skip('clock', 'needs an answer from AWS (see keys)');
    skip('mfa-device', 'needs keys that AWS accepts (see keys)');
  } else {
    const keys = await checkKeys(conn, deps.openAws, debug);
    checks.push(keys.result);
    checks.push(checkClock(keys.serverDates));
    if (keys.result.status === 'pass' && keys.aws && keys.identity) {
      checks.push(await checkMfaDevice(keys.aws, keys.identity, rememberedSerial(req), files!.paths.config));
    } else {
      skip('mfa-device', 'needs keys that AWS accepts (see keys)');
    }
  }

  // 6. session
  if (files && names) {
    checks.push(
      checkSession(
        files,
        names.target,
        { maxMfaAgeSeconds: req.maxMfaAge.value, minRemainingSeconds: req.minRemaining.value },
        deps.now(),
      ),
    );
  } else skip('session', files ? 'no target profile (see profiles)' : 'cannot read the files (see files)');

  // 7. kinds, 8. roles
  if (files && names) checks.push(checkKinds(files, names.target));
  else skip('kinds', files ? 'no target profile (see profiles)' : 'cannot read the files (see files)');
  if (files) checks.push(checkRoles(files));
  else skip('roles', 'cannot read the files (see files)');

  // 9. environment
  let target = names?.target;
  if (!target && nameError === undefined) {
    try {
      target = req.target.value;
    } catch {
      // reported by profiles
    }
  }
  const targetKeyId = target && files ? files.credentials[target]?.aws_access_key_id : undefined;
  checks.push(
    checkEnvironment(env, { ...(target && { target }), ...(names && { source: names.source }) }, targetKeyId),
  );

  // 10. node
  checks.push(checkNode());

  const stored = storeCheck?.key ? [storeCheck.key.secretAccessKey] : [];
  const scrubbed = scrubSecrets(checks, [...secretsOf(files, env), ...stored]);
  return { ok: scrubbed.every((c) => c.status !== 'fail'), checks: scrubbed };
}

/** Every secret value the doctor could have come across. */
