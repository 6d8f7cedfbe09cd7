/**
 * `aws-mfa-refresh doctor`: checks the setup the refresh depends on, in order, and says for each
 * what it found and what to do. Each check is a function returning a CheckResult; `runDoctor`
 * chains them and marks a check `skip` when an earlier failure leaves it nothing to look at.
 *
 * The checks reuse what the refresh itself does (profile names, source connection, session
 * arithmetic, AWS error mapping), so the doctor sees the setup exactly as a refresh would.
 * Only `keys` and `mfa-device` talk to AWS; the SDK is loaded (through openAws) only by them.
 * No message ever holds a secret: runDoctor scrubs every secret value it knows of as a last guard.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve, sep } from 'node:path';
import { UserError } from '../errors.js';
import { DEFAULT_MIN_REMAINING } from '../defaults.js';
import type { AwsApi, ServerDate } from '../aws/client.js';
import type { AwsConnection, CallerIdentity } from '../aws/types.js';
import { awsFilePaths, loadAwsFiles, mergedProfile, type AwsFilePaths, type AwsFiles } from '../profiles/aws-files.js';
import { IniDocument, IniParseError } from '../profiles/ini-document.js';
import { readFileText } from '../profiles/file-store.js';
import { formatDuration, formatLocalTime, holdsLongTermKeys, type Profile } from '../profiles/session.js';
import { longTermOverwriteError } from '../profiles/writers.js';
import { sourceConnection, sourceProfileName, targetProfileName } from '../refresh.js';
import { judge } from '../session-state.js';
import { checkSerialNumber } from '../cli/values.js';

export const CHECK_IDS = ['files', 'profiles', 'keys', 'clock', 'mfa-device', 'session', 'environment', 'node'] as const;
export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** What the check found. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

export interface DoctorReport {
  /** No check failed (warnings and skips allowed). */
  ok: boolean;
  checks: CheckResult[];
}

export interface DoctorOptions {
  profile?: string;
  sourceProfile?: string;
  maxMfaAgeSeconds: number;
  timeoutMs: number;
  region?: string;
  endpointUrl?: string;
  debug?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Beyond this the clock check warns; beyond the second it fails (SigV4 allows 5 minutes). */
export const CLOCK_WARN_SECONDS = 60;
export const CLOCK_FAIL_SECONDS = 300;
export const MIN_NODE_MAJOR = 20;

const TIME_SYNC_HINT = 'Synchronise the system clock (e.g. timedatectl set-ntp true; on macOS sudo sntp -sS time.apple.com).';

function result(id: CheckId, status: CheckStatus, message: string, hint?: string): CheckResult {
  return { id, status, message, ...(hint && { hint }) };
}

function fromError(id: CheckId, error: unknown, status: CheckStatus = 'fail'): CheckResult {
  if (error instanceof UserError) return result(id, status, error.message, error.hint);
  const message = error instanceof Error ? error.message : String(error);
  return result(id, status, `unexpected error: ${message.split('\n')[0]}`, 'Run again with --debug and report it if it persists.');
}

function shown(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  const abs = resolve(path);
  return home && home !== sep && abs.startsWith(home + sep) ? `~${abs.slice(home.length)}` : path;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function refreshCommand(profile: string): string {
  return `aws-mfa-refresh${profile === 'default' ? '' : ` --profile ${profile}`}`;
}

// ---------------------------------------------------------------------------------------------
// 1. files

/**
 * Both files: found (the config file is optional), readable, well-formed, private.
 * `loadable` says whether the later checks can read them.
 */
export async function checkFiles(paths: AwsFilePaths, env: NodeJS.ProcessEnv = process.env): Promise<{ result: CheckResult; loadable: boolean }> {
  const problems: { status: 'fail' | 'warn'; message: string; hint?: string }[] = [];
  const found: string[] = [];
  const files = [
    { role: 'credentials', path: paths.credentials, variable: 'AWS_SHARED_CREDENTIALS_FILE' },
    { role: 'config', path: paths.config, variable: 'AWS_CONFIG_FILE' },
  ] as const;
  let loadable = true;
  for (const { role, path, variable } of files) {
    const where = `${role} file ${shown(path, env)}${env[variable] ? ` (${variable})` : ''}`;
    let text: string | undefined;
    try {
      text = await readFileText(path);
    } catch (error) {
      loadable = false;
      const e = error instanceof UserError ? error : undefined;
      problems.push({ status: 'fail', message: e?.message ?? `Cannot read the ${where}: ${String(error)}.`, hint: e?.hint ?? 'Check the file and its directory.' });
      continue;
    }
    if (text === undefined) {
      if (role === 'credentials') {
        problems.push({
          status: 'warn',
          message: `no ${where}`,
          hint: `Your long-term keys belong there: aws configure --profile NAME-long-term creates it${env[variable] ? '' : ' (or point AWS_SHARED_CREDENTIALS_FILE at yours)'}.`,
        });
      } else {
        found.push(`no ${where} (optional)`);
      }
      continue;
    }
    try {
      IniDocument.parse(text, { file: path });
    } catch (error) {
      loadable = false;
      if (error instanceof IniParseError) {
        problems.push({ status: 'fail', message: `the ${role} file does not parse: ${error.message}`, hint: error.hint });
      } else {
        throw error;
      }
      continue;
    }
    let mode: number | undefined;
    try {
      mode = (await stat(path)).mode & 0o777;
    } catch {
      // read a moment ago: a race with a writer; the next run tells
    }
    if (mode !== undefined && (mode & 0o177) !== 0) {
      const who = [mode & 0o070 && 'your group', mode & 0o007 && 'everyone', mode & 0o100 && 'executable'].filter(Boolean).join(', ');
      problems.push({ status: 'warn', message: `the ${where} has mode ${octal(mode)}, wider than 0600 (${who})`, hint: `Run: chmod 600 ${shellQuote(resolve(path))}` });
    }
    found.push(`${where}${mode !== undefined ? ` (${octal(mode)})` : ''}`);
  }
  if (problems.length === 0) {
    return { result: result('files', 'pass', `${found.join(', ')}: readable, well-formed, private`), loadable };
  }
  const status = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  const hints = [...new Set(problems.map((p) => p.hint).filter(Boolean))];
  return { result: result('files', status, problems.map((p) => p.message.replace(/\.$/, '')).join('; '), hints.join(' ')), loadable };
}

// ---------------------------------------------------------------------------------------------
// 2. profiles

export interface ProfileNames {
  target: string;
  source: string;
  /** Where the source name came from, for messages. */
  sourceFrom: string;
}

export function profileNames(files: AwsFiles, flags: { profile?: string; sourceProfile?: string }, env: NodeJS.ProcessEnv = process.env): ProfileNames {
  const target = targetProfileName(flags.profile, env);
  const source = sourceProfileName(files, target, flags.sourceProfile);
  const sourceFrom =
    flags.sourceProfile !== undefined
      ? '--source-profile'
      : files.config[target]?.source_profile !== undefined
        ? `source_profile of profile "${target}"`
        : `the default for "${target}"`;
  return { target, source, sourceFrom };
}

/**
 * The source profile holds long-term keys and is not the target; the target holds no long-term
 * keys. `connection` is what sourceConnection made of the source profile, or the error it threw.
 */
export function checkProfiles(files: AwsFiles, names: ProfileNames, connection: { conn: AwsConnection } | { error: unknown }): CheckResult {
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
      const setup = `aws-mfa-refresh setup${target === 'default' ? '' : ` --profile ${target}`}${source === `${target}-long-term` ? '' : ` --long-term-profile ${source}`}`;
      return result(
        'profiles',
        'fail',
        `profile "${target}" holds long-term keys and the source profile "${source}" (${sourceFrom}) holds none`,
        `Run: ${setup} (it moves the keys to [${source}] and keeps [${target}] for sessions).`,
      );
    }
    const withKeys = Object.keys(files.credentials).filter((name) => name !== target && holdsLongTermKeys(files.credentials[name]));
    const e = connection.error;
    const base = fromError('profiles', e);
    const elsewhere = withKeys.length > 0 ? ` Profiles with long-term keys: ${withKeys.join(', ')}.` : '';
    return { ...base, message: `${base.message.replace(/\.$/, '')}; it is the source profile (${sourceFrom})`, hint: `${base.hint ?? ''}${elsewhere}`.trim() };
  }
  if (targetLongTerm) {
    const e = longTermOverwriteError(target, files.paths.credentials);
    return result('profiles', 'fail', e.message.replace(/\.$/, ''), e.hint);
  }
  const keyId = connection.conn.credentials.accessKeyId;
  return result('profiles', 'pass', `source "${source}" (${sourceFrom}) holds keys (${keyId}); target "${target}" holds no long-term keys`);
}

// ---------------------------------------------------------------------------------------------
// 3. keys

export interface KeysOutcome {
  result: CheckResult;
  aws?: AwsApi;
  identity?: CallerIdentity;
  /** The Date headers of STS's answers, for the clock check (empty: AWS never answered). */
  serverDates: readonly ServerDate[];
}

/**
 * GetCallerIdentity with the source keys. The SDK retries a request refused for clock skew
 * with AWS's time, so a skewed clock alone does not fail this check; the first answer's Date
 * header (recorded before any correction) is what the clock check judges.
 */
export async function checkKeys(conn: AwsConnection, debug: (line: string) => void = () => {}): Promise<KeysOutcome> {
  const { openAws } = await import('../aws/client.js');
  const profile = conn.profileName;
  const keyId = conn.credentials.accessKeyId;
  const temporary = /^ASIA/.test(keyId);
  const hasToken = Boolean(conn.credentials.sessionToken);
  let aws: AwsApi;
  try {
    // The clock check reports skew; no warning line from the client.
    aws = await openAws(conn, debug, () => {});
  } catch (error) {
    return { result: fromError('keys', error), serverDates: [] };
  }
  const dates = () => aws.stsServerDates?.() ?? [];
  let identity: CallerIdentity;
  try {
    identity = await aws.callerIdentity();
  } catch (error) {
    const base = fromError('keys', error);
    if (/does not recognise/.test(base.message) && (temporary || hasToken)) {
      // A long-term key sent with a token, or an old session's key: the token is the trouble.
      return {
        result: result(
          'keys',
          'fail',
          temporary
            ? `AWS does not recognise the keys of profile "${profile}" (${keyId}): they are temporary credentials from an old session, not long-term keys`
            : `AWS rejects the keys of profile "${profile}" (${keyId}) with the aws_session_token next to them: long-term keys take no token, so it is stale`,
          temporary
            ? `Put your long-term access keys (AKIA…) in [${profile}] without aws_session_token, or name the profile that has them with --source-profile.`
            : `Remove aws_session_token from [${profile}]; it must hold only long-term keys.`,
        ),
        serverDates: dates(),
      };
    }
    return { result: base, serverDates: dates() };
  }
  if (temporary || hasToken) {
    return {
      result: result(
        'keys',
        'fail',
        `profile "${profile}" holds session credentials (${temporary ? `${keyId}, ` : ''}aws_session_token), not long-term keys: AWS accepts them for now (${identity.arn}), but GetSessionToken refuses session credentials`,
        `Put your long-term access keys (AKIA…) in [${profile}] without aws_session_token, or name the profile that has them with --source-profile.`,
      ),
      aws,
      identity,
      serverDates: dates(),
    };
  }
  const first = dates()[0];
  const corrected = first !== undefined && first.status >= 400 && Math.abs(skewSeconds(first)) > CLOCK_FAIL_SECONDS;
  return {
    result: result('keys', 'pass', `STS accepts the keys of profile "${profile}" (${keyId}): ${identity.arn}${corrected ? ' (after re-signing with AWS\'s time; see clock)' : ''}`),
    aws,
    identity,
    serverDates: dates(),
  };
}

// ---------------------------------------------------------------------------------------------
// 4. clock

/** Server clock minus local clock, in seconds, from one answer (positive: the local clock is behind). */
export function skewSeconds(d: ServerDate): number {
  // The Date header is cut to the second: the server's time was within the second after it.
  const server = d.date.getTime() + 500;
  const local = (d.sentAt + d.receivedAt) / 2;
  return (server - local) / 1000;
}

/** The local clock against the Date header of AWS's first answer (before the SDK corrected anything). */
export function checkClock(serverDates: readonly ServerDate[]): CheckResult {
  const first = serverDates[0];
  if (!first) return result('clock', 'skip', 'no answer from AWS to compare clocks with (see keys)');
  const skew = skewSeconds(first);
  const seconds = Math.round(Math.abs(skew));
  const direction = skew > 0 ? 'behind' : 'ahead of';
  if (seconds > CLOCK_FAIL_SECONDS) {
    return result(
      'clock',
      'fail',
      `your clock is ${seconds} s ${direction} AWS's (Date header of its answer): more than the 5 minutes a SigV4 signature may be off, so AWS rejects requests signed with it (the SDK retries with AWS's time; other tools may not)`,
      TIME_SYNC_HINT,
    );
  }
  if (seconds > CLOCK_WARN_SECONDS) {
    return result('clock', 'warn', `your clock is ${seconds} s ${direction} AWS's (Date header of its answer); AWS rejects signatures beyond 5 minutes`, TIME_SYNC_HINT);
  }
  return result('clock', 'pass', `your clock is within ${Math.max(1, seconds)} s of AWS's (Date header of its answer)`);
}

// ---------------------------------------------------------------------------------------------
// 5. mfa-device

export interface RememberedSerial {
  serial: string;
  /** e.g. `mfa_serial of profile "default"` */
  from: string;
  /** The profile whose config section holds it. */
  profile: string;
}

/** mfa_serial of the target in config, else of the source (what the refresh uses). */
export function rememberedSerial(files: AwsFiles, names: ProfileNames): RememberedSerial | undefined {
  for (const profile of [names.target, names.source]) {
    const serial = files.config[profile]?.mfa_serial?.trim();
    if (serial) return { serial, from: `mfa_serial of profile "${profile}"`, profile };
  }
  return undefined;
}

const CREATE_DEVICE_HINT =
  'Create and enable a virtual MFA device: IAM console → Users → Security credentials → Assign MFA device (or aws iam create-virtual-mfa-device + enable-mfa-device).';

export async function checkMfaDevice(aws: AwsApi, identity: CallerIdentity, remembered: RememberedSerial | undefined, configFile: string): Promise<CheckResult> {
  if (remembered) {
    try {
      checkSerialNumber(remembered.serial, remembered.from);
    } catch (error) {
      return fromError('mfa-device', error);
    }
  }
  const { userNameFromArn } = await import('../aws/client.js');
  const userName = userNameFromArn(identity.arn);
  if (!userName) {
    return remembered
      ? result('mfa-device', 'warn', `the keys belong to ${identity.arn}, not to an IAM user, so the devices cannot be listed to confirm ${remembered.serial} (${remembered.from})`)
      : result('mfa-device', 'fail', `the keys belong to ${identity.arn}, not to an IAM user, so they have no MFA devices to list`, 'Give the device with --serial-number ARN, or set mfa_serial in ~/.aws/config.');
  }
  let all;
  try {
    all = await aws.listMfaDevices(userName);
  } catch (error) {
    const base = fromError('mfa-device', error);
    if (remembered && /ListMFADevices is denied/.test(base.message)) {
      return result(
        'mfa-device',
        'warn',
        `cannot confirm ${remembered.serial} (${remembered.from}): these keys may not list MFA devices (iam:ListMFADevices is denied); the refresh uses it without listing`,
        'If a refresh says the device is not this user\'s, fix mfa_serial in ~/.aws/config or pass --serial-number ARN.',
      );
    }
    return base;
  }
  const usable = all.filter((d) => d.kind !== 'passkey');
  const passkeys = all.length - usable.length;
  const ignored = passkeys > 0 ? ` (${plural(passkeys, 'passkey')}/security key${passkeys === 1 ? '' : 's'} ignored: GetSessionToken cannot use them)` : '';
  if (usable.length === 0) {
    return result(
      'mfa-device',
      'fail',
      passkeys > 0
        ? `IAM user ${userName} has only security keys/passkeys (${plural(passkeys, 'device')}), which GetSessionToken cannot use`
        : `IAM user ${userName} has no MFA device`,
      CREATE_DEVICE_HINT,
    );
  }
  const list = usable.map((d) => d.serialNumber).join(', ');
  if (remembered) {
    if (usable.some((d) => d.serialNumber === remembered.serial)) {
      const which = usable.length === 1 ? `${userName}'s usable MFA device` : `one of ${userName}'s ${usable.length} usable MFA devices`;
      return result('mfa-device', 'pass', `${remembered.serial} (${remembered.from}) is ${which}${ignored}`);
    }
    const passkey = all.some((d) => d.serialNumber === remembered.serial);
    return result(
      'mfa-device',
      'fail',
      passkey
        ? `${remembered.serial} (${remembered.from}) is a security key/passkey, which GetSessionToken cannot use; ${userName}'s usable devices: ${list}`
        : `${remembered.serial} (${remembered.from}) is not one of ${userName}'s MFA devices: ${list}`,
      `Set mfa_serial = ${usable[0]!.serialNumber} in [${remembered.profile === 'default' ? 'default' : `profile ${remembered.profile}`}] of ${configFile}, or remove mfa_serial so the next refresh discovers the device.`,
    );
  }
  if (usable.length === 1) {
    return result('mfa-device', 'pass', `${userName} has 1 usable MFA device: ${list}${ignored}; not remembered yet (the next refresh saves it as mfa_serial)`);
  }
  return result('mfa-device', 'pass', `${userName} has ${usable.length} usable MFA devices: ${list}${ignored}; the next refresh asks which (or pass --serial-number)`);
}

// ---------------------------------------------------------------------------------------------
// 6. session

export function checkSession(files: AwsFiles, target: string, maxMfaAgeSeconds: number, now = Date.now()): CheckResult {
  const judged = judge(target, files.credentials[target], maxMfaAgeSeconds, DEFAULT_MIN_REMAINING, now);
  const run = refreshCommand(target);
  switch (judged.state) {
    case 'long-term':
      return result('session', 'skip', `profile "${target}" holds long-term keys, not a session (see profiles)`);
    case 'missing': {
      const values = files.credentials[target];
      return values?.aws_session_token || values?.aws_security_token
        ? result('session', 'warn', `profile "${target}" holds a session token without an expiration this tool can read, so it cannot tell how long it lasts`, `Run: ${run} --force`)
        : result('session', 'warn', `profile "${target}" holds no MFA session yet`, `Run: ${run}`);
    }
  }
  const s = judged.session!;
  const limit = s.limitedByMfaAge ? ` (MFA age limit ${formatDuration(maxMfaAgeSeconds * 1000)}; it expires ${formatLocalTime(s.expiration)})` : '';
  const parts: string[] = [];
  const hints: string[] = [];
  let status: CheckStatus = 'pass';
  if (judged.state === 'expired') {
    status = 'warn';
    const why = s.limitedByMfaAge ? `its MFA sign-in is older than ${formatDuration(maxMfaAgeSeconds * 1000)}` : 'it expired';
    parts.push(`the session of profile "${target}" is no longer usable since ${formatLocalTime(s.usableUntil, new Date(now))} (${why})`);
    hints.push(`Run: ${run}`);
  } else {
    const left = formatDuration(s.usableUntil.getTime() - now);
    parts.push(`the session of profile "${target}" is usable until ${formatLocalTime(s.usableUntil, new Date(now))}${limit}, ${left} left${judged.state === 'expiring' ? ' (the next refresh renews it)' : ''}${s.device ? `, device ${s.device}` : ''}`);
  }
  if (s.issued) {
    const lengthMs = s.expiration.getTime() - s.issued.getTime();
    if (lengthMs > maxMfaAgeSeconds * 1000) {
      status = 'warn';
      parts.push(
        `it lasts ${formatDuration(lengthMs)}, longer than the MFA age limit (--max-mfa-age ${maxMfaAgeSeconds} s): policies that deny when aws:MultiFactorAuthAge > ${maxMfaAgeSeconds} make it useless after ${formatDuration(maxMfaAgeSeconds * 1000)}`,
      );
      const configDuration = files.config[target]?.duration_seconds;
      hints.push(
        `Ask for at most ${formatDuration(maxMfaAgeSeconds * 1000).replace(' 0m', '')}: ${run} --force --duration ${maxMfaAgeSeconds}${configDuration ? `, and lower duration_seconds (${configDuration}) of profile "${target}" in the config file` : ''}.`,
      );
    }
  }
  return result('session', status, parts.join('; '), hints.length > 0 ? hints.join(' ') : undefined);
}

// ---------------------------------------------------------------------------------------------
// 7. environment

const KEY_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'] as const;

/**
 * Keys in the environment beat every profile in the AWS CLI and SDKs; AWS_PROFILE and
 * AWS_DEFAULT_PROFILE choose the profile they use. Never prints a variable's value except the
 * profile names.
 */
export function checkEnvironment(env: NodeJS.ProcessEnv, names: { target?: string; source?: string }, targetSessionKeyId?: string): CheckResult {
  const { target, source } = names;
  const problems: { status: 'fail' | 'warn'; message: string; hint: string }[] = [];
  const keys = KEY_VARIABLES.filter((v) => env[v]);
  if (keys.length > 0) {
    const these = keys.join(', ');
    const verb = keys.length === 1 ? 'is' : 'are';
    if (targetSessionKeyId && env.AWS_ACCESS_KEY_ID === targetSessionKeyId) {
      problems.push({
        status: 'warn',
        message: `${these} ${verb} set in this shell, from the current session of profile "${target}": the AWS CLI and SDKs use ${keys.length === 1 ? 'it' : 'them'} before any profile, and ${keys.length === 1 ? 'it goes' : 'they go'} stale when that session is refreshed`,
        hint: `After each refresh run eval "$(aws-mfa-refresh env)" again, or run: unset ${keys.join(' ')}`,
      });
    } else {
      problems.push({
        status: 'fail',
        message: `${these} ${verb} set in this shell: the AWS CLI and SDKs use ${keys.length === 1 ? 'it' : 'them'} before any profile${target ? `, so profile "${target}" is ignored` : ''}`,
        hint: `Run: unset ${keys.join(' ')}`,
      });
    }
  }
  for (const variable of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'] as const) {
    const value = env[variable]?.trim();
    if (!value || !target || value === target) continue;
    const longTerm = value === source ? ` (the long-term keys, to which an MFA policy denies almost everything)` : '';
    const why = variable === 'AWS_DEFAULT_PROFILE' ? 'the AWS CLI v1 and older tools use' : 'the AWS CLI and SDKs use';
    problems.push({
      status: 'warn',
      message: `${variable}=${value} but the target profile is "${target}": ${why} "${value}"${longTerm}`,
      hint:
        variable === 'AWS_PROFILE'
          ? `Run: export AWS_PROFILE=${target}${value === source ? '' : ` (or aws-mfa-refresh --profile ${value} if that is the profile you mean)`}.`
          : 'Run: unset AWS_DEFAULT_PROFILE',
    });
  }
  if (problems.length === 0) {
    const profile = env.AWS_PROFILE?.trim() ? `AWS_PROFILE=${env.AWS_PROFILE.trim()}` : 'AWS_PROFILE unset';
    return result('environment', 'pass', `no AWS keys in the environment; ${profile}${target ? `, so tools use profile "${target}"` : ''}`);
  }
  const status = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  return result('environment', status, problems.map((p) => p.message).join('; '), problems.map((p) => p.hint.replace(/\.?$/, '.')).join(' '));
}

// ---------------------------------------------------------------------------------------------
// 8. node

export function checkNode(version: string = process.versions.node): CheckResult {
  const major = Number.parseInt(version, 10);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return result('node', 'pass', `Node.js ${version} (${MIN_NODE_MAJOR} or later is supported)`);
  return result('node', 'fail', `Node.js ${version} is not supported: aws-mfa-refresh needs ${MIN_NODE_MAJOR} or later`, `Install Node.js ${MIN_NODE_MAJOR} or later (https://nodejs.org, or nvm install ${MIN_NODE_MAJOR}).`);
}

// ---------------------------------------------------------------------------------------------

/** Runs every check in order. Never throws for a problem of the setup: that is a failed check. */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const debug = opts.debug ?? (() => {});
  const paths = awsFilePaths(env);
  debug(`credentials file ${paths.credentials}; config file ${paths.config}`);
  const checks: CheckResult[] = [];
  const skip = (id: CheckId, why: string) => checks.push(result(id, 'skip', why));

  // 1. files
  const filesCheck = await checkFiles(paths, env);
  let files: AwsFiles | undefined;
  if (filesCheck.loadable) {
    try {
      files = await loadAwsFiles(paths);
    } catch (error) {
      filesCheck.result = fromError('files', error);
    }
  }
  checks.push(filesCheck.result);

  // 2. profiles
  let names: ProfileNames | undefined;
  let conn: AwsConnection | undefined;
  let nameError: unknown;
  if (!files) {
    skip('profiles', 'cannot read the files (see files)');
  } else {
    try {
      names = profileNames(files, opts, env);
    } catch (error) {
      nameError = error;
      checks.push(fromError('profiles', error));
    }
    if (names) {
      let connection: { conn: AwsConnection } | { error: unknown };
      try {
        connection = sourceConnection(
          files,
          { profile: names.target, sourceProfile: names.source, timeoutMs: opts.timeoutMs, region: opts.region, endpointUrl: opts.endpointUrl, quiet: false },
          { debug },
        );
        conn = connection.conn;
      } catch (error) {
        connection = { error };
      }
      checks.push(checkProfiles(files, names, connection));
    }
  }

  // 3. keys, 4. clock, 5. mfa-device
  if (!conn) {
    const why = files ? 'no long-term keys to try (see profiles)' : 'cannot read the files (see files)';
    skip('keys', why);
    skip('clock', 'needs an answer from AWS (see keys)');
    skip('mfa-device', 'needs keys that AWS accepts (see keys)');
  } else {
    const keys = await checkKeys(conn, debug);
    checks.push(keys.result);
    checks.push(checkClock(keys.serverDates));
    if (keys.result.status === 'pass' && keys.aws && keys.identity) {
      checks.push(await checkMfaDevice(keys.aws, keys.identity, rememberedSerial(files!, names!), files!.paths.config));
    } else {
      skip('mfa-device', 'needs keys that AWS accepts (see keys)');
    }
  }

  // 6. session
  if (files && names) checks.push(checkSession(files, names.target, opts.maxMfaAgeSeconds));
  else skip('session', files ? 'no target profile (see profiles)' : 'cannot read the files (see files)');

  // 7. environment
  let target = names?.target;
  if (!target && nameError === undefined) {
    try {
      target = targetProfileName(opts.profile, env);
    } catch {
      // reported by profiles
    }
  }
  const targetKeyId = target && files ? files.credentials[target]?.aws_access_key_id : undefined;
  checks.push(checkEnvironment(env, { ...(target && { target }), ...(names && { source: names.source }) }, targetKeyId));

  // 8. node
  checks.push(checkNode());

  const scrubbed = scrubSecrets(checks, secretsOf(files, env));
  return { ok: scrubbed.every((c) => c.status !== 'fail'), checks: scrubbed };
}

/** Every secret value the doctor could have come across. */
function secretsOf(files: AwsFiles | undefined, env: NodeJS.ProcessEnv): string[] {
  const secrets = new Set<string>();
  const add = (v: string | undefined) => {
    if (v && v.trim().length >= 8) secrets.add(v.trim());
  };
  const profiles: Profile[] = files ? [...Object.values(files.credentials), ...Object.values(files.config)] : [];
  for (const p of profiles) {
    add(p.aws_secret_access_key);
    add(p.aws_session_token);
    add(p.aws_security_token);
  }
  add(env.AWS_SECRET_ACCESS_KEY);
  add(env.AWS_SESSION_TOKEN);
  add(env.AWS_SECURITY_TOKEN);
  if (files) for (const name of Object.keys(files.credentials)) add(mergedProfile(files, name)?.aws_secret_access_key);
  return [...secrets];
}

function scrubSecrets(checks: CheckResult[], secrets: string[]): CheckResult[] {
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text.replace(/\s*\n\s*/g, ' '));
  return checks.map((c) => ({ ...c, message: scrub(c.message), ...(c.hint !== undefined && { hint: scrub(c.hint) }) }));
}
