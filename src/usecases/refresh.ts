/**
 * The refresh use case: from long-term keys and an MFA code to a session in the target profile.
 * The CLI parses flags and prints; everything that decides lives here. The environment, the clock
 * and the AWS client come from the caller (Deps), so each decision is testable with plain objects.
 */
import { ExitCode, UserError } from '../errors.js';
import type { AwsApi } from '../aws/client.js';
import type { MfaDevice } from '../aws/types.js';
import {
  awsFilePaths,
  loadAwsFiles,
  unusableValueError,
  type AwsFilePaths,
  type AwsFiles,
} from '../profiles/aws-files.js';
import {
  formatLocalTime,
  holdsLongTermKeys,
  readSession,
  SESSION_PROFILE_KEYS,
  usableUntil,
  type Profile,
  type SessionInfo,
} from '../profiles/session.js';
import { longTermOverwriteError, updateConfigProfile, writeSession } from '../profiles/writers.js';
import { assertReplaceable, FileStoreError, readLocked } from '../profiles/file-store.js';
import { IniDocument } from '../profiles/ini-document.js';
import type { HeldCodeLock } from '../mfa/code-lock.js';
import { sessionMarginSeconds } from '../profiles/margin.js';
import { assertSessionTarget } from '../profiles/kinds.js';
import { describeOrigin, resolveProfile, type ProfileFlags, type ProfileRequest } from '../config/resolve.js';
import { needInput, terminalStreams, type PromptStreams } from '../mfa/terminal.js';
import type { Deps } from './deps.js';
import { currentPlatform, type Platform } from '../platform/platform.js';
import { sourceConnection, type StoredKey } from './source-keys.js';

export interface RefreshOptions {
  flags: ProfileFlags;
  force?: boolean;
  /** Save a discovered device as mfa_serial (--no-remember: false). */
  remember?: boolean;
  quiet?: boolean;
  /** Both files, when the caller has just loaded them (the CLI, to see the target's kind): not read twice. */
  files?: AwsFiles;
  /** The source's key, when the caller has just read it from its key store: the store is not opened (asked) twice. */
  storedKey?: StoredKey;
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
  /** A line for the person waiting, printed even when quiet (default: warn). */
  notice?(line: string): void;
  /** Where to ask a person; default: the terminal on stdin/stderr. credential-process uses /dev/tty. */
  promptStreams?: () => PromptStreams | undefined;
}

/** Skip or refresh: a session usable for more than its margin (see margin.ts) is kept unless forced. */
export function needsRefresh(
  current: SessionInfo | undefined,
  opts: { force: boolean; minRemainingSeconds: number; now: number },
): boolean {
  if (!current || opts.force) return true;
  return current.usableUntil.getTime() <= opts.now + sessionMarginSeconds(opts.minRemainingSeconds, current) * 1000;
}

/**
 * What the refresh writes into the config file: a discovered device and a --source-profile (unless
 * --no-remember), and for a target without a config section the region and output of the source, else of
 * [default], so
 * `aws --profile TARGET` works at once.
 */
export function configUpdates(opts: {
  serialNumber: string;
  discovered: boolean;
  remember: boolean;
  targetHasConfig: boolean;
  sourceConfig: Profile;
  /** A --source-profile to remember (see ProfileRequest.sourceToRemember). */
  sourceProfile?: string;
  defaultConfig?: Profile;
}): Record<string, string> {
  const values: Record<string, string> = {};
  if (opts.discovered && opts.remember) values.mfa_serial = opts.serialNumber;
  if (opts.sourceProfile !== undefined && opts.remember) values.source_profile = opts.sourceProfile;
  if (!opts.targetHasConfig) {
    for (const key of ['region', 'output'] as const) {
      const value = opts.sourceConfig[key] ?? opts.defaultConfig?.[key];
      if (value) values[key] = value;
    }
  }
  return values;
}

export async function refresh(opts: RefreshOptions, io: RefreshIo, deps: Deps): Promise<RefreshResult> {
  const { env } = deps;
  // Every store call follows the injected platform's rules (a win32 platform built in a test reaches the store).
  const store = { platform: deps.platform ?? currentPlatform() };
  const paths = awsFilePaths(env, store.platform);
  io.debug(`credentials file ${paths.credentials}; config file ${paths.config}`);
  const files = opts.files ?? (await loadAwsFiles(paths));

  const req = resolveProfile({ flags: opts.flags, env, files });
  const profile = req.target.value;
  const sourceProfile = req.source.value;
  io.debug(`target profile "${profile}", source profile "${sourceProfile}"`);
  assertSessionTarget(files, profile, { force: opts.force });
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
  if (holdsLongTermKeys(files.credentials[profile]))
    throw longTermOverwriteError(profile, paths.credentials, req.targetLabel);

  const current = readSession(files.credentials[profile], maxMfaAge);
  const kept = async (session: SessionInfo): Promise<RefreshResult> => {
    await recordSessionForHook({ profile, ...session, credentialsFile: paths.credentials }, minRemaining);
    return keptResult(session);
  };
  const keptResult = (session: SessionInfo): RefreshResult => ({
    profile,
    sourceProfile,
    refreshed: false,
    expiration: session.expiration,
    usableUntil: session.usableUntil,
    ...(session.device && { serialNumber: session.device }),
    credentialsFile: paths.credentials,
    warnings: [],
  });
  if (
    current &&
    !needsRefresh(current, { force: Boolean(opts.force), minRemainingSeconds: minRemaining, now: deps.now() })
  ) {
    io.debug(`session valid until ${current.usableUntil.toISOString()}; nothing to do`);
    return kept(current);
  }
  // A refresh it is: the SDK loads while the checks below wait on the disk.
  deps.preloadAws?.();
  /** A session another run wrote since we looked (or, unforced, any usable one) is ours to keep. */
  const usableNow = (values: Profile | undefined): SessionInfo | undefined => {
    const found = readSession(values, maxMfaAge);
    if (!found || needsRefresh(found, { force: false, minRemainingSeconds: minRemaining, now: deps.now() }))
      return undefined;
    return !opts.force || found.accessKeyId !== current?.accessKeyId ? found : undefined;
  };

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
    const rewritten = d.file === paths.credentials && d.profile === profile && SESSION_PROFILE_KEYS.has(d.key);
    if ((d.profile === profile || d.profile === sourceProfile) && !rewritten)
      io.warn(`${d.key} at ${d.file}:${d.line}: ${d.reason}; ${d.readers} read it differently. ${d.fix}`);
  }

  // Before any network call or code: where the result goes must take it (a code cannot be spent twice).
  const chosen = req.checkedDevice();
  const discovered = !chosen;
  const configPlan = (serialNumber: string) =>
    configUpdates({
      serialNumber,
      discovered,
      remember: opts.remember !== false,
      targetHasConfig: Boolean(files.config[profile]),
      sourceConfig: req.sourceConfig,
      defaultConfig: files.config.default,
      ...(req.sourceToRemember !== undefined && { sourceProfile: req.sourceToRemember }),
    });
  await checkWritable(paths, Object.keys(configPlan(chosen?.value ?? '')).length > 0, store);

  const conn = await sourceConnection(req, {
    progress: !opts.quiet,
    ...(io.promptStreams && { promptStreams: io.promptStreams }),
    ...(opts.storedKey && { storedKey: opts.storedKey }),
  });
  io.debug(req.describeConnection(conn));

  // Load the SDK now, in the background: it is ready by the time the code has been typed.
  const awsPromise: Promise<AwsApi> = deps.openAws(conn, io.debug, io.warn);
  awsPromise.catch(() => {});

  const serialNumber = chosen?.value ?? (await discoverDevice(await awsPromise, io)).serialNumber;
  io.debug(`MFA device ${serialNumber}${chosen ? ` (${describeOrigin(chosen.origin)})` : ''}`);

  // One run at a time asks for a code for this device; the others wait and use its session.
  const { lock, waited } = await lockDevice(serialNumber, req.inputTimeoutMs.value, io, env);
  try {
    // After waiting for another run, its session may be ours; and a session written since we looked
    // spares a person the prompt or a code command its work. A code given with --code costs nothing
    // to get: the check under the file lock below keeps it from being spent needlessly.
    const codeIsAtHand = req.codeSource.value.kind === 'code';
    const meanwhile = (waited || !codeIsAtHand) && usableNow((await loadAwsFiles(paths)).credentials[profile]);
    if (meanwhile) {
      io.debug('another run refreshed the session meanwhile; nothing to do');
      return kept(meanwhile);
    }

    // While a person types, the STS call gets ready, so that Enter sends at once (nothing is sent).
    if (req.codeSource.value.kind === 'prompt') void awsPromise.then((aws) => aws.warmUp?.()).catch(() => {});
    const code = await obtainCodeFor(req, serialNumber, io);
    // Independently of the device lock (another device, another tool): a session written while the
    // code was typed makes the call needless, and the code stays unspent.
    const underLock = usableNow(await readProfileLocked(paths.credentials, profile, store));
    if (underLock) {
      io.debug('the session was refreshed while the code was typed; the code was not used');
      return kept(underLock);
    }

    const aws = await awsPromise;
    let credentials;
    try {
      credentials = await aws.getSessionToken(serialNumber, code, duration);
    } catch (error) {
      throw await explainReusedCode(error, serialNumber, code, deps);
    }
    // The server's view of the issue time, independent of the local clock.
    const issued = new Date(Math.min(deps.now(), credentials.expiration.getTime() - duration * 1000));
    const { recordUsedCode } = await import('../mfa/used-codes.js');
    // Independent files, written at once (the used code only improves a later message; it never fails).
    const [written] = await Promise.all([
      writeSession(paths.credentials, { profile, credentials, issued, serialNumber }, store),
      recordUsedCode(serialNumber, code, new Date(deps.now()), env).then(() => io.debug('recorded the used code')),
    ]);
    io.debug(`wrote profile "${profile}" to ${written.path}`);
    if (written.warning) io.warn(written.warning);

    // The config and the hook's stamp (which vouches for the credentials file just written): at once too.
    const configValues = configPlan(serialNumber);
    const until = usableUntil(credentials.expiration, issued, maxMfaAge);
    await Promise.all([
      Object.keys(configValues).length > 0 &&
        updateConfigProfile(paths.config, profile, configValues, store).then((result) => {
          io.debug(`config ${result.written ? 'updated' : 'unchanged'}: ${Object.keys(configValues).join(', ')}`);
          if (result.note) io.warn(result.note);
        }),
      recordSessionForHook(
        { profile, usableUntil: until, expiration: credentials.expiration, issued, credentialsFile: paths.credentials },
        minRemaining,
      ),
    ]);
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
  } finally {
    await lock.release();
  }
}

/** Exit 9 before anything is asked: the credentials file (and the config file when it will change) can be replaced. */
async function checkWritable(
  paths: AwsFilePaths,
  configChanges: boolean,
  store: { platform: Platform },
): Promise<void> {
  try {
    await assertReplaceable(paths.credentials, store);
    if (configChanges) await assertReplaceable(paths.config, store);
  } catch (error) {
    if (!(error instanceof FileStoreError)) throw error;
    throw new UserError(error.message, ExitCode.NotWritable, `${error.hint ?? ''} No code was asked.`.trim());
  }
}

/** The device's code lock: taken at once, or after waiting (one line on stderr) at most timeoutMs. */
async function lockDevice(
  device: string,
  timeoutMs: number,
  io: RefreshIo,
  env: NodeJS.ProcessEnv,
): Promise<{ lock: HeldCodeLock; waited: boolean }> {
  const { tryTakeCodeLock, waitForCodeLock } = await import('../mfa/code-lock.js');
  const deadline = Date.now() + timeoutMs; // real time: this waits for real
  let told = false;
  for (;;) {
    let taken;
    try {
      taken = await tryTakeCodeLock(device, env);
    } catch (error) {
      // A state directory we cannot write (read-only HOME) must not stop the refresh itself.
      io.debug(`no code lock: ${(error as Error).message}`);
      return { lock: { path: '', release: async () => {} }, waited: told };
    }
    if ('lock' in taken) return { lock: taken.lock, waited: told };
    const { pid } = taken.holder;
    if (!told) (io.notice ?? io.warn)(`another aws-mfa-refresh is asking for a code (pid ${pid}); waiting…`);
    told = true;
    if ((await waitForCodeLock(device, env, taken.holder, deadline)) === 'timeout') {
      throw new UserError(
        `Another aws-mfa-refresh (pid ${pid}) is still asking for a code for ${device} after ${Math.round(timeoutMs / 1000)} s.`,
        ExitCode.WaitTimedOut,
        'Answer or cancel it (Ctrl+C in its terminal), then run again; --input-timeout sets how long to wait.',
      );
    }
  }
}

/** The profile as the credentials file holds it now, read under the file's lock (no write). */
async function readProfileLocked(
  file: string,
  profile: string,
  store: { platform: Platform },
): Promise<Profile | undefined> {
  const text = await readLocked(file, store);
  if (text === undefined) return undefined;
  const doc = IniDocument.parse(text, { file });
  return doc.hasSection(profile) ? doc.entries(profile) : undefined;
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
    `AWS rejected the MFA code: it is the code already used at ${formatLocalTime(usedAt, new Date(deps.now()))} for this device, and each code works only once.`,
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
