/**
 * The one resolver: flags (already typed by the CLI) + an injected environment + the two AWS files
 * → one profile request, each value with where it came from (flag, environment variable, config
 * key of which profile, default), for messages and `doctor`. Every command resolves through it.
 *
 * Values are resolved on first use and then kept: a value a command never reads (the duration for
 * `status`, the device when the session is still valid) can never fail that command.
 */
import { ExitCode, UserError } from '../errors.js';
import {
  DEFAULT_DURATION,
  DEFAULT_INPUT_TIMEOUT,
  DEFAULT_MAX_MFA_AGE,
  DEFAULT_MIN_REMAINING,
  DEFAULT_PROFILE,
  DEFAULT_REGION,
  DEFAULT_TIMEOUT,
  longTermProfileOf,
} from '../defaults.js';
import type { AwsConnection } from '../aws/types.js';
import { mergedProfile, type AwsFiles } from '../profiles/aws-files.js';
import { holdsLongTermKeys, type Profile } from '../profiles/session.js';
import {
  checkCodeFlag,
  checkEndpointUrl,
  checkRegion,
  checkSerialNumber,
  checkSessionDuration,
  parseDurationSeconds,
} from './values.js';

export type Origin =
  | { kind: 'flag'; flag: string }
  | { kind: 'env'; variable: string }
  | { kind: 'config'; key: string; profile: string }
  /** `of`: the profile a derived default belongs to (`the default for "work"`). */
  | { kind: 'default'; of?: string };

export interface Resolved<T> {
  value: T;
  origin: Origin;
}

/** `--profile`, `AWS_PROFILE`, `mfa_serial of profile "work"`, `the default`. */
export function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'flag':
      return origin.flag;
    case 'env':
      return origin.variable;
    case 'config':
      return `${origin.key} of profile "${origin.profile}"`;
    case 'default':
      return origin.of ? `the default for "${origin.of}"` : 'the default';
  }
}

/** The typed values of the shared flags; undefined = not given. Durations in seconds, timeouts in ms. */
export interface ProfileFlags {
  profile?: string;
  sourceProfile?: string;
  serialNumber?: string;
  code?: string;
  codeCommand?: string;
  duration?: number;
  maxMfaAge?: number;
  minRemaining?: number;
  region?: string;
  endpointUrl?: string;
  timeout?: number;
  inputTimeout?: number;
}

/** Where the MFA code comes from, in the order it is chosen. */
export type CodeSource =
  { kind: 'code'; code: string } | { kind: 'stdin' } | { kind: 'command'; command: string } | { kind: 'prompt' };

export interface ResolveInput {
  flags: ProfileFlags;
  env: NodeJS.ProcessEnv;
  /** Needed by every value that reads the config or credentials file. */
  files?: AwsFiles;
}

const flag = (name: string): Origin => ({ kind: 'flag', flag: `--${name}` });
const envVar = (variable: string): Origin => ({ kind: 'env', variable });
const config = (key: string, profile: string): Origin => ({ kind: 'config', key, profile });
const byDefault: Origin = { kind: 'default' };

function checkProfileName(name: string, source: string): void {
  // Whitespace too: the AWS SDK for JavaScript ignores `[my profile]` in the credentials file.
  if (!name || /[[\]\s]/.test(name)) {
    throw new UserError(
      `${source} ${JSON.stringify(name)} is not a usable profile name.`,
      ExitCode.Usage,
      'Use letters, digits, dashes, dots or underscores, without spaces.',
    );
  }
}

export function resolveProfile(input: ResolveInput): ProfileRequest {
  return new ProfileRequest(input);
}

export class ProfileRequest {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly input: ResolveInput) {}

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  get env(): NodeJS.ProcessEnv {
    return this.input.env;
  }

  get files(): AwsFiles {
    if (!this.input.files) throw new Error('resolveProfile: this value needs the AWS files');
    return this.input.files;
  }

  /**
   * The profile the session goes into: --profile, else AWS_PROFILE, else AWS_DEFAULT_PROFILE (the
   * AWS CLI v2's order; botocore and the CLI v1 prefer AWS_DEFAULT_PROFILE, `doctor` says so), else default.
   */
  get target(): Resolved<string> {
    return this.once('target', () => {
      const { flags, env } = this.input;
      const variable = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'].find((v) => env[v] !== undefined && env[v] !== '');
      const origin = flags.profile !== undefined ? flag('profile') : variable ? envVar(variable) : byDefault;
      const value = (flags.profile ?? (variable && env[variable]) ?? DEFAULT_PROFILE).trim();
      checkProfileName(value, describeOrigin(origin));
      return { value, origin };
    });
  }

  /** `"work"`, or `"work" (from AWS_PROFILE)` when the environment chose it: for messages about the target. */
  get targetLabel(): string {
    const { value, origin } = this.target;
    return origin.kind === 'env' ? `"${value}" (from ${origin.variable})` : `"${value}"`;
  }

  /** Where the long-term keys are: --source-profile, else source_profile in config, else NAME-long-term. */
  get source(): Resolved<string> {
    return this.once('source', () => {
      const target = this.target.value;
      const fromFlag = this.input.flags.sourceProfile;
      const fromConfig = this.files.config[target]?.source_profile;
      const origin =
        fromFlag !== undefined
          ? flag('source-profile')
          : fromConfig !== undefined
            ? config('source_profile', target)
            : { kind: 'default' as const, of: target };
      const value = (fromFlag ?? fromConfig ?? longTermProfileOf(target)).trim();
      checkProfileName(value, '--source-profile');
      return { value, origin };
    });
  }

  get targetConfig(): Profile {
    return this.files.config[this.target.value] ?? {};
  }

  get sourceConfig(): Profile {
    return this.files.config[this.source.value] ?? {};
  }

  get maxMfaAge(): Resolved<number> {
    return this.number('maxMfaAge', 'max-mfa-age', DEFAULT_MAX_MFA_AGE);
  }

  get minRemaining(): Resolved<number> {
    return this.number('minRemaining', 'min-remaining', DEFAULT_MIN_REMAINING);
  }

  /** Milliseconds; more than zero (0 would fail every call at once). */
  get timeoutMs(): Resolved<number> {
    const resolved = this.number('timeout', 'timeout', DEFAULT_TIMEOUT * 1000);
    if (resolved.value <= 0) {
      throw new UserError('--timeout must be more than 0.', ExitCode.Usage, 'Example: --timeout 30s.');
    }
    return resolved;
  }

  /** Milliseconds. */
  get inputTimeoutMs(): Resolved<number> {
    return this.number('inputTimeout', 'input-timeout', DEFAULT_INPUT_TIMEOUT * 1000);
  }

  private number(
    key: 'maxMfaAge' | 'minRemaining' | 'timeout' | 'inputTimeout',
    name: string,
    fallback: number,
  ): Resolved<number> {
    const value = this.input.flags[key];
    return value !== undefined ? { value, origin: flag(name) } : { value: fallback, origin: byDefault };
  }

  /** The session length in seconds: --duration, else duration_seconds of the target, else 12 h. */
  get duration(): Resolved<number> {
    return this.once('duration', () => {
      const target = this.target.value;
      const fromFlag = this.input.flags.duration;
      const text = this.targetConfig.duration_seconds;
      const label = fromFlag !== undefined ? '--duration' : `duration_seconds of profile "${target}"`;
      const resolved: Resolved<number> =
        fromFlag !== undefined
          ? { value: fromFlag, origin: flag('duration') }
          : text !== undefined
            ? { value: parseDurationSeconds(text, label), origin: config('duration_seconds', target) }
            : { value: DEFAULT_DURATION, origin: byDefault };
      checkSessionDuration(resolved.value, label);
      return resolved;
    });
  }

  /**
   * The MFA device named by --serial-number, else mfa_serial of the target, else of the source;
   * undefined: discover it. A --serial-number value is checked here; a config value is checked by
   * checkedDevice(), when the device is needed.
   */
  get device(): Resolved<string> | undefined {
    return this.once('device', () => {
      const fromFlag = this.input.flags.serialNumber;
      if (fromFlag !== undefined) return { value: checkSerialNumber(fromFlag), origin: flag('serial-number') };
      return this.rememberedDevice;
    });
  }

  /**
   * mfa_serial in the config file: of the target, else of the source; else aws_mfa_device of the
   * source in the credentials file, where aws-mfa keeps the device.
   */
  get rememberedDevice(): Resolved<string> | undefined {
    for (const [profile, values] of [
      [this.target.value, this.targetConfig],
      [this.source.value, this.sourceConfig],
    ] as const) {
      if (values.mfa_serial) return { value: values.mfa_serial, origin: config('mfa_serial', profile) };
    }
    const source = this.source.value;
    const fromAwsMfa = this.files.credentials[source]?.aws_mfa_device?.trim();
    if (fromAwsMfa) return { value: fromAwsMfa, origin: config('aws_mfa_device', source) };
    return undefined;
  }

  /**
   * The --source-profile to remember as source_profile of the target (so the next plain run finds
   * it), or undefined: only a flag is remembered, never over a source_profile already in config, nor
   * the default name, nor on a role profile (there source_profile means "assume the role from").
   */
  get sourceToRemember(): string | undefined {
    const { value, origin } = this.source;
    if (origin.kind !== 'flag') return undefined;
    const target = this.targetConfig;
    if (target.source_profile !== undefined || target.role_arn !== undefined) return undefined;
    return value === longTermProfileOf(this.target.value) ? undefined : value;
  }

  /** The device, validated (a usage error naming where a bad value came from). */
  checkedDevice(): Resolved<string> | undefined {
    const device = this.device;
    return device && { value: checkSerialNumber(device.value, describeOrigin(device.origin)), origin: device.origin };
  }

  /** --code (or `-` for stdin), else --code-command, else mfa_process of target then source, else a prompt. */
  get codeSource(): Resolved<CodeSource> {
    return this.once('codeSource', () => {
      const { code, codeCommand } = this.input.flags;
      if (code === '-') return { value: { kind: 'stdin' }, origin: flag('code') };
      if (code !== undefined) return { value: { kind: 'code', code: checkCodeFlag(code) }, origin: flag('code') };
      if (codeCommand !== undefined)
        return { value: { kind: 'command', command: codeCommand }, origin: flag('code-command') };
      for (const [profile, values] of [
        [this.target.value, this.targetConfig],
        [this.source.value, this.sourceConfig],
      ] as const) {
        if (values.mfa_process !== undefined) {
          return { value: { kind: 'command', command: values.mfa_process }, origin: config('mfa_process', profile) };
        }
      }
      return { value: { kind: 'prompt' }, origin: byDefault };
    });
  }

  /** --region, AWS_REGION, AWS_DEFAULT_REGION, region of the target, of the source, us-east-1; checked. */
  get region(): Resolved<string> {
    const resolved = this.rawRegion();
    checkRegion(resolved.value, describeOrigin(resolved.origin));
    return resolved;
  }

  private rawRegion(): Resolved<string> {
    const { flags, env } = this.input;
    if (flags.region !== undefined) return { value: flags.region, origin: flag('region') };
    // An empty value is no value (`region =`), as botocore reads it.
    for (const variable of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
      const value = env[variable];
      if (value) return { value, origin: envVar(variable) };
    }
    if (this.targetConfig.region)
      return { value: this.targetConfig.region, origin: config('region', this.target.value) };
    if (this.sourceConfig.region)
      return { value: this.sourceConfig.region, origin: config('region', this.source.value) };
    return { value: DEFAULT_REGION, origin: byDefault };
  }

  /**
   * The CA bundle to trust for STS and IAM, as the AWS CLI reads it: AWS_CA_BUNDLE, else ca_bundle
   * of the source profile (whose keys sign the calls), else of the target. `~/` is expanded.
   */
  get caBundle(): Resolved<string> | undefined {
    const { env } = this.input;
    const home = env.HOME || env.USERPROFILE || '';
    const expand = (p: string) => (p.startsWith('~/') && home ? `${home}${p.slice(1)}` : p);
    if (env.AWS_CA_BUNDLE) return { value: expand(env.AWS_CA_BUNDLE), origin: envVar('AWS_CA_BUNDLE') };
    for (const [profile, values] of [
      [this.source.value, this.sourceConfig],
      [this.target.value, this.targetConfig],
    ] as const) {
      if (values.ca_bundle) return { value: expand(values.ca_bundle), origin: config('ca_bundle', profile) };
    }
    return undefined;
  }

  /**
   * An explicit STS/IAM endpoint: --endpoint-url, else endpoint_url of the source then the target.
   * Undefined value: the SDK's own handling (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, else AWS's).
   */
  get endpoint(): Resolved<string | undefined> {
    const { flags, env } = this.input;
    if (flags.endpointUrl !== undefined)
      return { value: checkEndpointUrl(flags.endpointUrl, '--endpoint-url'), origin: flag('endpoint-url') };
    for (const variable of ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL']) {
      if (env[variable]) {
        checkEndpointUrl(env[variable], variable);
        return { value: undefined, origin: envVar(variable) };
      }
    }
    if (env.AWS_ENDPOINT_URL_IAM) checkEndpointUrl(env.AWS_ENDPOINT_URL_IAM, 'AWS_ENDPOINT_URL_IAM');
    for (const [profile, values] of [
      [this.source.value, this.sourceConfig],
      [this.target.value, this.targetConfig],
    ] as const) {
      const url = values.endpoint_url;
      if (url !== undefined) {
        const origin = config('endpoint_url', profile);
        return { value: checkEndpointUrl(url, describeOrigin(origin)), origin };
      }
    }
    return { value: undefined, origin: byDefault };
  }

  /** The long-term keys of the source profile and where to send them. */
  sourceConnection(opts: { progress: boolean }): AwsConnection {
    const { env } = this.input;
    const sourceProfile = this.source.value;
    // A bad value the user typed is a usage error before anything else is said.
    const [region, endpoint, timeoutMs, caBundle] = [this.region, this.endpoint.value, this.timeoutMs, this.caBundle];
    const source = mergedProfile(this.files, sourceProfile);
    if (!source?.aws_access_key_id || !source.aws_secret_access_key) {
      const withKeys = this.profilesWithLongTermKeys();
      const derived = this.source.origin.kind === 'default' && this.target.origin.kind === 'env';
      throw new UserError(
        `No long-term keys in profile "${sourceProfile}"${derived ? ` (the source for ${this.targetLabel})` : ''} (${this.files.paths.credentials}).`,
        ExitCode.Credentials,
        withKeys.length > 0
          ? `Name the one that holds yours with --source-profile (it is remembered). Profiles with long-term keys: ${withKeys.join(', ')}.`
          : `Put aws_access_key_id and aws_secret_access_key under [${sourceProfile}], or name the profile that has them with --source-profile.`,
      );
    }
    const regional =
      env.AWS_STS_REGIONAL_ENDPOINTS ??
      this.sourceConfig.sts_regional_endpoints ??
      this.targetConfig.sts_regional_endpoints;
    return {
      credentials: {
        accessKeyId: source.aws_access_key_id,
        secretAccessKey: source.aws_secret_access_key,
        ...(source.aws_session_token && { sessionToken: source.aws_session_token }),
      },
      region: region.value,
      ...(endpoint && { endpoint }),
      timeoutMs: timeoutMs.value,
      useGlobalEndpoint: regional === 'legacy',
      progress: opts.progress,
      profileName: sourceProfile,
      ...(caBundle && { caBundle: { path: caBundle.value, from: describeOrigin(caBundle.origin) } }),
    };
  }

  /** Profiles of the credentials file holding long-term keys, the target excepted. */
  profilesWithLongTermKeys(): string[] {
    const { credentials } = this.files;
    return Object.keys(credentials).filter(
      (name) => name !== this.target.value && holdsLongTermKeys(credentials[name]),
    );
  }

  /** For --debug: where requests go. */
  describeConnection(conn: AwsConnection): string {
    const { env } = this.input;
    const endpoint = conn.endpoint ?? env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? '(AWS default)';
    return `region ${conn.region}; endpoint ${endpoint}; access key ${conn.credentials.accessKeyId}`;
  }
}
