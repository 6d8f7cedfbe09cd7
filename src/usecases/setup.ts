/**
 * First-run setup: long-term keys sitting in [default] (the usual state before MFA is enforced)
 * move to [default-long-term], in one atomic write of the credentials file, so the keys are never
 * in two places and never in none. The config file learns source_profile when a non-default name
 * is chosen, and mfa_serial when a device is picked.
 */
import { ExitCode, UserError } from '../errors.js';
import { longTermProfileOf } from '../defaults.js';
import { awsFilePaths, configSectionName, loadAwsFiles, type AwsFiles } from '../profiles/aws-files.js';
import { readFileText, updateFile } from '../profiles/file-store.js';
import { IniDocument } from '../profiles/ini-document.js';
import { holdsLongTermKeys, type Profile } from '../profiles/session.js';
import { classifyProfile, profileKindError, writeBlockingKind } from '../profiles/kinds.js';
import { resolveProfile, type ProfileFlags } from '../config/resolve.js';
import type { PromptStreams } from '../mfa/terminal.js';
import type { StoreKind } from '../keys/key-store.js';
import type { Deps } from './deps.js';
import type { Platform } from '../platform/platform.js';
import { sourceConnection } from './source-keys.js';

/** Keys that make up long-term credentials; other keys of the profile (region, output…) stay. */
const KEY_NAMES = ['aws_access_key_id', 'aws_secret_access_key'] as const;

export interface SetupPlan {
  profile: string;
  longTermProfile: string;
  /** The OS's rules the store follows when the plan is applied (default: this machine's). */
  platform?: Platform;
  credentialsFile: string;
  configFile: string;
  credentialsBefore: string;
  credentialsAfter: string;
  configBefore: string;
  configAfter: string;
  /** Nothing to do: the keys already live in the long-term profile. */
  alreadyDone: boolean;
  /** Where they live when `keys import` moved them out of the credentials file. */
  keyStore?: StoreKind;
}

export async function planSetup(
  profile: string,
  longTermProfile: string,
  env: NodeJS.ProcessEnv,
  platform?: Platform,
): Promise<SetupPlan> {
  const paths = awsFilePaths(env, platform);
  const files = await loadAwsFiles(paths);
  const blocking = writeBlockingKind(files, profile);
  if (blocking) throw profileKindError(classifyProfile(files, profile), blocking);
  const credentialsBefore = (await readFileText(paths.credentials)) ?? '';
  const configBefore = (await readFileText(paths.config)) ?? '';
  const creds = IniDocument.parse(credentialsBefore, { file: paths.credentials });
  const config = IniDocument.parse(configBefore, { file: paths.config });
  const base = {
    profile,
    longTermProfile,
    credentialsFile: paths.credentials,
    configFile: paths.config,
    credentialsBefore,
    configBefore,
    ...(platform && { platform }),
  };
  if (profile === longTermProfile) {
    throw new UserError(
      `The long-term profile must differ from "${profile}".`,
      ExitCode.Usage,
      'Pick another name with --long-term-profile.',
    );
  }
  const target = creds.hasSection(profile) ? creds.entries(profile) : undefined;
  const dest = creds.hasSection(longTermProfile) ? creds.entries(longTermProfile) : undefined;
  if (!holdsLongTermKeys(target)) {
    const done = { ...base, credentialsAfter: credentialsBefore, configAfter: configBefore, alreadyDone: true };
    if (holdsLongTermKeys(dest)) return done;
    const keyStore = await storeHolding(longTermProfile, files, env);
    if (keyStore) return { ...done, keyStore };
    throw new UserError(
      `Profile "${profile}" in ${paths.credentials} holds no long-term keys to move.`,
      ExitCode.Credentials,
      'Put your access keys there first (aws configure), or name the profile that has them with --profile.',
    );
  }
  if (KEY_NAMES.some((k) => spellingsOf(dest, k).length > 0)) {
    throw new UserError(
      `Profile "${longTermProfile}" already holds keys; moving "${profile}"'s keys there would overwrite them.`,
      ExitCode.Credentials,
      'Choose another name with --long-term-profile, or remove one copy yourself.',
    );
  }
  // Key names without case, as botocore reads them; written in the spelling every SDK reads.
  creds.set(longTermProfile, Object.fromEntries(KEY_NAMES.map((k) => [k, target![spellingsOf(target, k)[0]!]!])));
  creds.delete(
    profile,
    KEY_NAMES.flatMap((k) => spellingsOf(target, k)),
  );
  if (Object.keys(creds.entries(profile)).length === 0) creds.removeSection(profile);
  const section = config.configSectionOf(profile) ?? configSectionName(profile); // `[profile "work"]` is work too
  const conventional = longTermProfile === longTermProfileOf(profile);
  if (!conventional && config.get(section, 'source_profile') !== longTermProfile)
    config.set(section, { source_profile: longTermProfile });
  return { ...base, credentialsAfter: creds.toString(), configAfter: config.toString(), alreadyDone: false };
}

/** The key store `keys import` moved the profile's keys to (found without opening it), if any. */
async function storeHolding(profile: string, files: AwsFiles, env: NodeJS.ProcessEnv): Promise<StoreKind | undefined> {
  const [{ locateStoredKeys }, { keyRef }] = await Promise.all([
    import('../keys/locate.js'),
    import('../keys/transfer.js'),
  ]);
  const credentialProcess = files.config[profile]?.credential_process;
  return locateStoredKeys(keyRef(profile, files.paths), { env, credentialProcess });
}

/** The keys of `profile` that botocore reads as `key` (it compares names without case). */
function spellingsOf(profile: Profile | undefined, key: string): string[] {
  return Object.keys(profile ?? {}).filter((k) => k.toLowerCase() === key && profile![k]);
}

/** Writes the plan; each file is re-read under its lock and must still be what was shown. */
export async function applySetup(plan: SetupPlan): Promise<void> {
  const unchanged = (file: string, before: string) => (current: string | undefined) => {
    if ((current ?? '') !== before) {
      throw new UserError(
        `${file} changed while setup was running; nothing was written.`,
        ExitCode.Unexpected,
        'Run aws-mfa-refresh setup again.',
      );
    }
  };
  const store = { platform: plan.platform };
  await updateFile(
    plan.credentialsFile,
    (current) => {
      unchanged(plan.credentialsFile, plan.credentialsBefore)(current);
      return plan.credentialsAfter === plan.credentialsBefore ? undefined : plan.credentialsAfter;
    },
    store,
  );
  if (plan.configAfter !== plan.configBefore) {
    await updateFile(
      plan.configFile,
      (current) => {
        unchanged(plan.configFile, plan.configBefore)(current);
        return plan.configAfter;
      },
      store,
    );
  }
}

/** Lists the long-term profile's usable devices and picks one (asking when there are several). */
export async function chooseSetupDevice(
  flags: ProfileFlags & { sourceProfile: string },
  streams: PromptStreams,
  deps: Deps,
  debug: (line: string) => void,
): Promise<string> {
  const files = await loadAwsFiles(awsFilePaths(deps.env, deps.platform));
  const req = resolveProfile({ flags, env: deps.env, files });
  const conn = await sourceConnection(req, { progress: true, promptStreams: () => streams });
  debug(req.describeConnection(conn));
  const aws = await deps.openAws(conn, debug);
  const { listDevices } = await import('../aws/devices.js');
  const { identity, usable: devices } = await listDevices(aws);
  if (devices.length === 0) {
    throw new UserError(
      `${identity.arn} has no MFA device usable with GetSessionToken.`,
      ExitCode.Credentials,
      'Create and enable a virtual MFA device in the IAM console, then run setup again.',
    );
  }
  if (devices.length === 1) return devices[0]!.serialNumber;
  const { chooseDevice } = await import('../mfa/prompts.js');
  return (await chooseDevice(devices, streams)).serialNumber;
}
