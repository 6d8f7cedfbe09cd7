/**
 * The refresh use case: from long-term keys and an MFA code to a session in the target profile.
 * The CLI parses flags and prints; everything that decides lives here. The environment, the clock
 * and the AWS client come from the caller (Deps), so each decision is testable with plain objects.
 */
import { ExitCode, UserError } from '../errors.js';
import type { AwsApi } from '../aws/client.js';
import type { MfaDevice } from '../aws/types.js';
import { awsFilePaths, loadAwsFiles, unusableValueError } from '../profiles/aws-files.js';
import { holdsLongTermKeys, readSession, usableUntil, type Profile, type SessionInfo } from '../profiles/session.js';
import { longTermOverwriteError, updateConfigProfile, writeSession } from '../profiles/writers.js';
import { assertWritable } from '../profiles/file-store.js';
import { describeOrigin, resolveProfile, type ProfileFlags, type ProfileRequest } from '../config/resolve.js';
import { needInput, terminalStreams, type PromptStreams } from '../mfa/terminal.js';
import type { Deps } from './deps.js';

export interface RefreshOptions {
  flags: ProfileFlags;
  force?: boolean;
  /** Save a discovered device as mfa_serial (--no-remember: false). */
  remember?: boolean;
  quiet?: boolean;
}

export interface RefreshResult {
  profile: string;
  sourceProfile: string;
  refreshed: boolean;
  expiration: Date;
  usableUntil: Date;
  serialNumber?: string;
  credentialsFile: string;
  warnings: string[];
}

export interface RefreshIo {
  debug(line: string): void;
  warn(line: string): void;
  /** Where to ask a person; default: the terminal on stdin/stderr. credential-process uses /dev/tty. */
  promptStreams?: () => PromptStreams | undefined;
}

/** Skip or refresh: a session usable for more than minRemaining is kept unless forced. */
export function needsRefresh(
  current: SessionInfo | undefined,
  opts: { force: boolean; minRemainingSeconds: number; now: number },
): boolean {
  return !current || opts.force || current.usableUntil.getTime() <= opts.now + opts.minRemainingSeconds * 1000;
}

/**
 * What the refresh writes into the config file: a discovered device (unless --no-remember), and for a
 * target without a config section the source's region and output, so `aws --profile TARGET` works at once.
 */
export function configUpdates(opts: {
  serialNumber: string;
  discovered: boolean;
  remember: boolean;
  targetHasConfig: boolean;
  sourceConfig: Profile;
}): Record<string, string> {
  const values: Record<string, string> = {};
  if (opts.discovered && opts.remember) values.mfa_serial = opts.serialNumber;
  if (!opts.targetHasConfig) {
    for (const key of ['region', 'output'] as const) if (opts.sourceConfig[key]) values[key] = opts.sourceConfig[key]!;
  }
  return values;
}

const SESSION_KEYS = new Set([
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_security_token',
  'expiration',
  'mfa_issued',
  'mfa_device',
  'x_security_token_expires',
]);

export async function refresh(opts: RefreshOptions, io: RefreshIo, deps: Deps): Promise<RefreshResult> {
  const { env } = deps;
  const paths = awsFilePaths(env);
  io.debug(`credentials file ${paths.credentials}; config file ${paths.config}`);
  const files = await loadAwsFiles(paths);

  const req = resolveProfile({ flags: opts.flags, env, files });
  const profile = req.target.value;
  const sourceProfile = req.source.value;
  io.debug(`target profile "${profile}", source profile "${sourceProfile}"`);
  // A value botocore itself keeps unusable (`mfa_serial = arn:... # phone`): refused before any code is asked.
  const valueChecks = [
    ['config', profile, 'mfa_serial'],
    ['config', profile, 'source_profile'],
    ['credentials', profile, 'aws_mfa_device'],
    ['credentials', sourceProfile, 'aws_mfa_device'],
    ['credentials', sourceProfile, 'aws_access_key_id'],
    ['credentials', sourceProfile, 'aws_secret_access_key'],
  ] as const;
  for (const [kind, name, key] of valueChecks) {
    const unusable = unusableValueError(files, kind, name, key);
    if (unusable) throw unusable;
  }

  // Every value that can be wrong is checked before any network call or prompt.
  const maxMfaAge = req.maxMfaAge.value;
  const minRemaining = req.minRemaining.value;
  const duration = req.duration.value;
  void req.device; // a bad --serial-number
  void req.codeSource; // a bad --code

  if (sourceProfile === profile) {
    throw new UserError(
      `The source profile and the target profile are both "${profile}"; the session would overwrite your long-term keys.`,
      ExitCode.Credentials,
      `Keep long-term keys in [${profile}-long-term], or pass --source-profile with another profile.`,
    );
  }
  if (holdsLongTermKeys(files.credentials[profile])) throw longTermOverwriteError(profile, paths.credentials);

  const current = readSession(files.credentials[profile], maxMfaAge);
  if (
    current &&
    !needsRefresh(current, { force: Boolean(opts.force), minRemainingSeconds: minRemaining, now: deps.now() })
  ) {
    io.debug(`session valid until ${current.usableUntil.toISOString()}; nothing to do`);
    await recordSessionForHook({ profile, ...current, credentialsFile: paths.credentials }, minRemaining);
    return {
      profile,
      sourceProfile,
      refreshed: false,
      expiration: current.expiration,
      usableUntil: current.usableUntil,
      ...(current.device && { serialNumber: current.device }),
      credentialsFile: paths.credentials,
      warnings: [],
    };
  }

  const warnings: string[] = [];
  if (duration > maxMfaAge) {
    warnings.push(
      `a ${duration} s session outlives the MFA age limit: policies that deny when aws:MultiFactorAuthAge > ${maxMfaAge} make it useless after ${maxMfaAge} s (--max-mfa-age).`,
    );
  }
  warnings.forEach((w) => io.warn(w));
  // Where the JS SDK reads a key we use differently from the AWS CLI: one line each, before a code is asked
  // (not for the target's session keys in the credentials file: they are about to be rewritten).
  for (const d of files.divergences) {
    const rewritten = d.file === paths.credentials && d.profile === profile && SESSION_KEYS.has(d.key);
    if ((d.profile === profile || d.profile === sourceProfile) && !rewritten)
      io.warn(`${d.key} at ${d.file}:${d.line}: ${d.reason}; ${d.readers} read it differently. ${d.fix}`);
  }
  // Before any code is spent: a credentials file we could not write would waste it.
  await assertWritable(paths.credentials);

  const conn = req.sourceConnection({ progress: !opts.quiet });
  io.debug(req.describeConnection(conn));

  // Load the SDK now, in the background: it is ready by the time the code has been typed.
  const awsPromise: Promise<AwsApi> = deps.openAws(conn, io.debug, io.warn);
  awsPromise.catch(() => {});

  const chosen = req.checkedDevice();
  const serialNumber = chosen?.value ?? (await discoverDevice(await awsPromise, io)).serialNumber;
  const discovered = !chosen;
  io.debug(`MFA device ${serialNumber}`);

  const code = await obtainCodeFor(req, serialNumber, io);
  const aws = await awsPromise;
  let credentials;
  try {
    credentials = await aws.getSessionToken(serialNumber, code, duration);
  } catch (error) {
    throw await explainReusedCode(error, serialNumber, code, deps);
  }
  const { recordUsedCode } = await import('../mfa/used-codes.js');
  await recordUsedCode(serialNumber, code, new Date(deps.now()), env);
  io.debug('recorded the used code');
  // The server's view of the issue time, independent of the local clock.
  const issued = new Date(Math.min(deps.now(), credentials.expiration.getTime() - duration * 1000));

  const written = await writeSession(paths.credentials, { profile, credentials, issued, serialNumber });
  io.debug(`wrote profile "${profile}" to ${written.path}`);
  if (written.warning) io.warn(written.warning);

  const configValues = configUpdates({
    serialNumber,
    discovered,
    remember: opts.remember !== false,
    targetHasConfig: Boolean(files.config[profile]),
    sourceConfig: req.sourceConfig,
  });
  if (Object.keys(configValues).length > 0) {
    const result = await updateConfigProfile(paths.config, profile, configValues);
    io.debug(`config ${result.written ? 'updated' : 'unchanged'}: ${Object.keys(configValues).join(', ')}`);
    if (result.note) io.warn(result.note);
  }

  const until = usableUntil(credentials.expiration, issued, maxMfaAge);
  await recordSessionForHook(
    { profile, usableUntil: until, expiration: credentials.expiration, issued, credentialsFile: paths.credentials },
    minRemaining,
  );
  return {
    profile,
    sourceProfile,
    refreshed: true,
    expiration: credentials.expiration,
    usableUntil: until,
    serialNumber,
    credentialsFile: paths.credentials,
    warnings,
  };
}

/** The code from where the request says: --code, stdin, a code command, or a prompt. */
async function obtainCodeFor(req: ProfileRequest, serialNumber: string, io: RefreshIo): Promise<string> {
  const { value: source, origin } = req.codeSource;
  const { obtainCode } = await import('../mfa/code-source.js');
  return obtainCode(
    {
      serialNumber,
      ...(source.kind === 'code' && { flag: source.code }),
      ...(source.kind === 'stdin' && { flag: '-' }),
      ...(source.kind === 'command' && { command: { command: source.command, source: describeOrigin(origin) } }),
      stdinTimeoutMs: req.inputTimeoutMs.value,
    },
    io.promptStreams ?? terminalStreams,
  );
}

/** A rejected code that is the one we used last time for this device: say so, and when the next one comes. */
async function explainReusedCode(error: unknown, serialNumber: string, code: string, deps: Deps): Promise<unknown> {
  const { AwsFailure } = await import('../aws/errors.js');
  if (!(error instanceof AwsFailure) || error.reason !== 'mfa-rejected') return error;
  const { previousUse, secondsToNextCode } = await import('../mfa/used-codes.js');
  const usedAt = await previousUse(serialNumber, code, deps.env);
  if (!usedAt) return error;
  return new UserError(
    `AWS rejected the MFA code: it is the code already used at ${usedAt.toLocaleTimeString('en-GB')} for this device, and each code works only once.`,
    ExitCode.CodeRejected,
    `Wait for the next code (in ${secondsToNextCode(deps.now())} s) and run again.`,
  );
}

async function discoverDevice(aws: AwsApi, io: RefreshIo): Promise<MfaDevice> {
  const { listDevices } = await import('../aws/devices.js');
  const { identity, userName, all, usable: devices } = await listDevices(aws, { debug: io.debug });
  if (!userName) {
    throw new UserError(
      `The source keys belong to ${identity.arn}, not to an IAM user, so they have no MFA devices to list.`,
      ExitCode.Credentials,
      'Give the device with --serial-number ARN.',
    );
  }
  if (devices.length === 0) {
    const onlyPasskeys = all.length > 0;
    throw new UserError(
      onlyPasskeys
        ? `IAM user ${userName} has only security keys/passkeys, which GetSessionToken cannot use.`
        : `IAM user ${userName} has no MFA device.`,
      ExitCode.Credentials,
      'Create and enable a virtual MFA device: IAM console → Users → Security credentials → Assign MFA device (or aws iam create-virtual-mfa-device + enable-mfa-device).',
    );
  }
  if (devices.length === 1) return devices[0]!;
  const streams = (io.promptStreams ?? terminalStreams)();
  if (!streams) {
    throw needInput(
      `User ${userName} has ${devices.length} MFA devices (${devices.map((d) => d.serialNumber).join(', ')})`,
      'Choose one with --serial-number ARN, or set mfa_serial in ~/.aws/config.',
    );
  }
  const { chooseDevice } = await import('../mfa/prompts.js');
  return chooseDevice(devices, streams);
}

/** The shell hook's stamp (and an installed hook older than this tool rewritten): never fails the refresh. */
async function recordSessionForHook(
  session: { profile: string; usableUntil: Date; expiration: Date; issued?: Date; credentialsFile: string },
  minRemainingSeconds: number,
): Promise<void> {
  const { recordRefresh } = await import('../shell/record.js');
  await recordRefresh({ ...session, minRemainingSeconds });
}
