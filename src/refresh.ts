/**
 * The refresh use-case: from long-term keys and an MFA code to a session in the target profile.
 * The CLI layer parses flags and prints; everything that decides lives here.
 */
import { ExitCode, UserError } from './errors.js';
import { DEFAULT_DURATION, DEFAULT_MAX_MFA_AGE, DEFAULT_MIN_REMAINING, DEFAULT_TIMEOUT } from './defaults.js';
import type { AwsApi } from './aws/client.js';
import type { AwsConnection, MfaDevice } from './aws/types.js';
import { awsFilePaths, loadAwsFiles, mergedProfile, type AwsFiles } from './profiles/aws-files.js';
import { holdsLongTermKeysAnyCase, readSession, usableUntil, type Profile } from './profiles/session.js';
import { longTermOverwriteError, updateConfigProfile, writeSession } from './profiles/writers.js';
import { assertWritable } from './profiles/file-store.js';
import { checkCodeFlag, checkSerialNumber, checkSessionDuration, parseDurationSeconds } from './cli/values.js';
import { needInput, terminalStreams, type PromptStreams } from './mfa/terminal.js';

export interface RefreshOptions {
  profile?: string;
  sourceProfile?: string;
  serialNumber?: string;
  code?: string;
  codeCommand?: string;
  duration?: string;
  maxMfaAge?: string;
  minRemaining?: string;
  force?: boolean;
  region?: string;
  endpointUrl?: string;
  remember?: boolean;
  timeout?: string;
  inputTimeout?: string;
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


/** The profile the session goes into: --profile, else AWS_PROFILE, else default. */
export function targetProfileName(flag: string | undefined, env = process.env): string {
  const name = (flag ?? env.AWS_PROFILE ?? 'default').trim();
  checkProfileName(name, flag !== undefined ? '--profile' : 'AWS_PROFILE');
  return name;
}

function checkProfileName(name: string, source: string): void {
  // Whitespace too: the AWS SDK for JavaScript ignores `[my profile]` in the credentials file.
  if (!name || /[\[\]\s]/.test(name)) {
    throw new UserError(`${source} ${JSON.stringify(name)} is not a usable profile name.`, ExitCode.Usage, 'Use letters, digits, dashes, dots or underscores, without spaces.');
  }
}

/** Where the long-term keys are: --source-profile, else source_profile in config, else NAME-long-term. */
export function sourceProfileName(files: AwsFiles, profile: string, flag: string | undefined): string {
  const name = (flag ?? files.config[profile]?.source_profile ?? `${profile}-long-term`).trim();
  checkProfileName(name, '--source-profile');
  return name;
}

export async function refresh(opts: RefreshOptions, io: RefreshIo): Promise<RefreshResult> {
  const env = process.env;
  const paths = awsFilePaths(env);
  io.debug(`credentials file ${paths.credentials}; config file ${paths.config}`);
  const files = await loadAwsFiles(paths);

  const profile = targetProfileName(opts.profile, env);
  const targetConfig = files.config[profile] ?? {};
  const sourceProfile = sourceProfileName(files, profile, opts.sourceProfile);
  io.debug(`target profile "${profile}", source profile "${sourceProfile}"`);

  const maxMfaAge = parseDurationSeconds(opts.maxMfaAge ?? String(DEFAULT_MAX_MFA_AGE), '--max-mfa-age');
  const minRemaining = parseDurationSeconds(opts.minRemaining ?? String(DEFAULT_MIN_REMAINING), '--min-remaining');
  const timeoutMs = parseDurationSeconds(opts.timeout ?? String(DEFAULT_TIMEOUT), '--timeout') * 1000;
  const stdinTimeoutMs = parseDurationSeconds(opts.inputTimeout ?? '60', '--input-timeout') * 1000;
  const durationText = opts.duration ?? targetConfig.duration_seconds;
  const durationSource = opts.duration !== undefined ? '--duration' : `duration_seconds of profile "${profile}"`;
  const duration = checkSessionDuration(durationText !== undefined ? parseDurationSeconds(durationText, durationSource) : DEFAULT_DURATION, durationSource);
  const serialFlag = opts.serialNumber !== undefined ? checkSerialNumber(opts.serialNumber) : undefined;
  if (opts.code !== undefined && opts.code !== '-') checkCodeFlag(opts.code); // before any network call or prompt

  if (sourceProfile === profile) {
    throw new UserError(`The source profile and the target profile are both "${profile}"; the session would overwrite your long-term keys.`, ExitCode.Credentials, `Keep long-term keys in [${profile}-long-term], or pass --source-profile with another profile.`);
  }
  if (holdsLongTermKeysAnyCase(files.credentials[profile])) throw longTermOverwriteError(profile, paths.credentials);

  const now = Date.now();
  const current = readSession(files.credentials[profile], maxMfaAge);
  if (current && !opts.force && current.usableUntil.getTime() > now + minRemaining * 1000) {
    io.debug(`session valid until ${current.usableUntil.toISOString()}; nothing to do`);
    await (await import('./shell/record.js')).recordRefresh({ profile, ...current, minRemainingSeconds: minRemaining, credentialsFile: paths.credentials });
    return {
      profile, sourceProfile, refreshed: false, expiration: current.expiration, usableUntil: current.usableUntil,
      ...(current.device && { serialNumber: current.device }), credentialsFile: paths.credentials, warnings: [],
    };
  }

  const warnings: string[] = [];
  if (duration > maxMfaAge) {
    warnings.push(`a ${duration} s session outlives the MFA age limit: policies that deny when aws:MultiFactorAuthAge > ${maxMfaAge} make it useless after ${maxMfaAge} s (--max-mfa-age).`);
  }
  warnings.forEach((w) => io.warn(w));
  // Before any code is spent: a credentials file we could not write would waste it.
  await assertWritable(paths.credentials);

  const { conn, sourceConfig } = sourceConnection(files, { ...opts, profile, sourceProfile, timeoutMs }, io);

  // Load the SDK now, in the background: it is ready by the time the code has been typed.
  const awsPromise: Promise<AwsApi> = import('./aws/client.js').then((m) => m.openAws(conn, io.debug, io.warn));
  awsPromise.catch(() => {});

  let serialNumber = serialFlag;
  let discovered = false;
  if (!serialNumber && targetConfig.mfa_serial) serialNumber = checkSerialNumber(targetConfig.mfa_serial, `mfa_serial of profile "${profile}"`);
  if (!serialNumber && sourceConfig.mfa_serial) serialNumber = checkSerialNumber(sourceConfig.mfa_serial, `mfa_serial of profile "${sourceProfile}"`);
  if (!serialNumber) {
    serialNumber = (await discoverDevice(await awsPromise, io)).serialNumber;
    discovered = true;
  }
  io.debug(`MFA device ${serialNumber}`);

  const codeCommand =
    opts.codeCommand !== undefined
      ? { command: opts.codeCommand, source: '--code-command' }
      : targetConfig.mfa_process !== undefined
        ? { command: targetConfig.mfa_process, source: `mfa_process of profile "${profile}"` }
        : sourceConfig.mfa_process !== undefined
          ? { command: sourceConfig.mfa_process, source: `mfa_process of profile "${sourceProfile}"` }
          : undefined;
  const { obtainCode } = await import('./mfa/code-source.js');
  const code = await obtainCode(
    { serialNumber, ...(opts.code !== undefined && { flag: opts.code }), ...(codeCommand && { command: codeCommand }), stdinTimeoutMs },
    io.promptStreams ?? terminalStreams,
  );
  const aws = await awsPromise;
  const usedCodes = await import('./mfa/used-codes.js');
  let credentials;
  try {
    credentials = await aws.getSessionToken(serialNumber, code, duration);
  } catch (error) {
    throw await explainReusedCode(error, serialNumber, code);
  }
  await usedCodes.recordUsedCode(serialNumber, code);
  io.debug('recorded the used code');
  // The server's view of the issue time, independent of the local clock.
  const issued = new Date(Math.min(Date.now(), credentials.expiration.getTime() - duration * 1000));

  const written = await writeSession(paths.credentials, { profile, credentials, issued, serialNumber });
  io.debug(`wrote profile "${profile}" to ${written.path}`);
  if (written.warning) io.warn(written.warning);

  const configValues: Record<string, string> = {};
  if (discovered && opts.remember !== false) configValues.mfa_serial = serialNumber;
  if (!files.config[profile]) {
    // So `aws --profile TARGET` works at once instead of failing for want of a region.
    for (const key of ['region', 'output'] as const) if (sourceConfig[key]) configValues[key] = sourceConfig[key]!;
  }
  if (Object.keys(configValues).length > 0) {
    const result = await updateConfigProfile(paths.config, profile, configValues);
    io.debug(`config ${result.written ? 'updated' : 'unchanged'}: ${Object.keys(configValues).join(', ')}`);
  }

  await (await import('./shell/record.js')).recordRefresh({ profile, usableUntil: usableUntil(credentials.expiration, issued, maxMfaAge), expiration: credentials.expiration, issued, minRemainingSeconds: minRemaining, credentialsFile: paths.credentials });
  return {
    profile, sourceProfile, refreshed: true, expiration: credentials.expiration, usableUntil: usableUntil(credentials.expiration, issued, maxMfaAge),
    serialNumber, credentialsFile: paths.credentials, warnings,
  };
}

export interface SourceOptions {
  quiet?: boolean;
  profile: string;
  sourceProfile: string;
  timeoutMs: number;
  region?: string;
  endpointUrl?: string;
}

/** The long-term keys of the source profile and where to send them. */
export function sourceConnection(files: AwsFiles, opts: SourceOptions, io: Pick<RefreshIo, 'debug'>): { conn: AwsConnection; sourceConfig: Profile } {
  const env = process.env;
  const { profile, sourceProfile, timeoutMs } = opts;
  const targetConfig = files.config[profile] ?? {};
  const paths = files.paths;
  const source = mergedProfile(files, sourceProfile);
  if (!source?.aws_access_key_id || !source.aws_secret_access_key) {
    throw new UserError(
      `No long-term keys in profile "${sourceProfile}" (${paths.credentials}).`,
      ExitCode.Credentials,
      `Put aws_access_key_id and aws_secret_access_key under [${sourceProfile}], or name the profile that has them with --source-profile.`,
    );
  }
  const sourceConfig = files.config[sourceProfile] ?? {};
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? targetConfig.region ?? sourceConfig.region ?? 'us-east-1';
  const hasEnvEndpoint = Boolean(env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL);
  const endpoint = opts.endpointUrl ?? (hasEnvEndpoint ? undefined : (sourceConfig.endpoint_url ?? targetConfig.endpoint_url));
  const conn: AwsConnection = {
    credentials: {
      accessKeyId: source.aws_access_key_id,
      secretAccessKey: source.aws_secret_access_key,
      ...(source.aws_session_token && { sessionToken: source.aws_session_token }),
    },
    region,
    ...(endpoint && { endpoint }),
    timeoutMs,
    useGlobalEndpoint: (env.AWS_STS_REGIONAL_ENDPOINTS ?? sourceConfig.sts_regional_endpoints ?? targetConfig.sts_regional_endpoints) === 'legacy',
    progress: !opts.quiet,
    profileName: sourceProfile,
  };
  io.debug(`region ${region}; endpoint ${endpoint ?? env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? '(AWS default)'}; access key ${conn.credentials.accessKeyId}`);

  return { conn, sourceConfig };
}

/** A rejected code that is the one we used last time for this device: say so, and when the next one comes. */
async function explainReusedCode(error: unknown, serialNumber: string, code: string): Promise<unknown> {
  const { MfaCodeRejected } = await import('./aws/errors.js');
  if (!(error instanceof MfaCodeRejected)) return error;
  const { previousUse, secondsToNextCode } = await import('./mfa/used-codes.js');
  const usedAt = await previousUse(serialNumber, code);
  if (!usedAt) return error;
  return new UserError(
    `AWS rejected the MFA code: it is the code already used at ${usedAt.toLocaleTimeString('en-GB')} for this device, and each code works only once.`,
    ExitCode.CodeRejected,
    `Wait for the next code (in ${secondsToNextCode()} s) and run again.`,
  );
}

async function discoverDevice(aws: AwsApi, io: RefreshIo): Promise<MfaDevice> {
  const { userNameFromArn } = await import('./aws/client.js');
  const identity = await aws.callerIdentity();
  const userName = userNameFromArn(identity.arn);
  io.debug(`caller ${identity.arn}`);
  if (!userName) {
    throw new UserError(`The source keys belong to ${identity.arn}, not to an IAM user, so they have no MFA devices to list.`, ExitCode.Credentials, 'Give the device with --serial-number ARN.');
  }
  const all = await aws.listMfaDevices(userName);
  const devices = all.filter((d) => d.kind !== 'passkey');
  io.debug(`${all.length} MFA device(s) for ${userName}, ${devices.length} usable`);
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
    throw needInput(`User ${userName} has ${devices.length} MFA devices (${devices.map((d) => d.serialNumber).join(', ')})`, 'Choose one with --serial-number ARN, or set mfa_serial in ~/.aws/config.');
  }
  const { chooseDevice } = await import('./mfa/prompts.js');
  return chooseDevice(devices, streams);
}
