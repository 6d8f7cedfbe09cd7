/**
 * Every shared flag, declared once as plain data: name, value type, default and help. The commander
 * adapter (options.ts) registers them and turns what was typed into typed values (seconds,
 * milliseconds, booleans); a minimal parser for the hot offline commands can read the same table.
 * Imports nothing at run time but the defaults (the typed values are the resolver's type): keep it that way.
 */
import type { ProfileFlags } from '../config/resolve.js';
import { DEFAULT_INPUT_TIMEOUT, DEFAULT_MAX_MFA_AGE, DEFAULT_MIN_REMAINING, DEFAULT_TIMEOUT } from '../defaults.js';

/** `seconds` and `milliseconds` take a duration (43200, 12h, 90m, 10s) and give a number. */
export type FlagType = 'string' | 'boolean' | 'negatable' | 'seconds' | 'milliseconds';

export interface FlagSpec {
  /** The long name without dashes; `negatable` flags are declared as `--no-<long>`. */
  long: string;
  short?: string;
  /** The value's placeholder in help, e.g. `<name>`; absent for booleans. */
  arg?: string;
  type: FlagType;
  help: string;
  /** Shown in help and parsed like a typed value; always derived from src/defaults.ts. */
  default?: string;
}

const PROFILE_HELP = 'profile that receives the session (default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, else "default")';
const SOURCE_HELP = 'profile holding the long-term keys (default: source_profile in config, else PROFILE-long-term)';

export const FLAGS = {
  profile: { long: 'profile', short: 'p', arg: '<name>', type: 'string', help: PROFILE_HELP },
  sourceProfile: { long: 'source-profile', short: 's', arg: '<name>', type: 'string', help: SOURCE_HELP },
  serialNumber: {
    long: 'serial-number',
    arg: '<arn>',
    type: 'string',
    help: 'MFA device ARN or hardware serial (default: mfa_serial in config, else discovered)',
  },
  code: {
    long: 'code',
    short: 'c',
    arg: '<code>',
    type: 'string',
    help: 'the 6-digit MFA code, or "-" to read one line from stdin',
  },
  codeCommand: {
    long: 'code-command',
    arg: '<command>',
    type: 'string',
    help: 'a shell command that prints the code (default: mfa_process in config), e.g. "ykman oath accounts code -s aws"',
  },
  duration: {
    long: 'duration',
    short: 'd',
    arg: '<time>',
    type: 'seconds',
    help: 'session length, 900–129600 s or e.g. 12h, 90m (default: duration_seconds in config, else 43200)',
  },
  maxMfaAge: {
    long: 'max-mfa-age',
    arg: '<time>',
    type: 'seconds',
    help: 'the MFA age your policy allows; a session is not usable past it',
    default: String(DEFAULT_MAX_MFA_AGE),
  },
  minRemaining: {
    long: 'min-remaining',
    arg: '<time>',
    type: 'seconds',
    help: 'refresh when less than this is left',
    default: `${DEFAULT_MIN_REMAINING / 60}m`,
  },
  region: {
    long: 'region',
    arg: '<region>',
    type: 'string',
    help: 'AWS region for STS (default: $AWS_REGION, config, else us-east-1)',
  },
  endpointUrl: {
    long: 'endpoint-url',
    arg: '<url>',
    type: 'string',
    help: "STS/IAM endpoint (default: the SDK's AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL handling)",
  },
  remember: {
    long: 'remember',
    type: 'negatable',
    help: 'do not save a discovered device as mfa_serial in ~/.aws/config',
  },
  timeout: {
    long: 'timeout',
    arg: '<time>',
    type: 'milliseconds',
    help: 'give up on AWS after this long',
    default: `${DEFAULT_TIMEOUT}s`,
  },
  inputTimeout: {
    long: 'input-timeout',
    arg: '<time>',
    type: 'milliseconds',
    help: 'give up waiting for the code on stdin or from --code-command/mfa_process (ended then, with its children)',
    default: `${DEFAULT_INPUT_TIMEOUT}s`,
  },
  debug: { long: 'debug', type: 'boolean', help: 'explain each step on stderr (secrets redacted)' },
  quiet: { long: 'quiet', short: 'q', type: 'boolean', help: 'print nothing on success' },
  json: { long: 'json', type: 'boolean', help: 'print the result as one JSON object' },
  force: { long: 'force', short: 'f', type: 'boolean', help: 'refresh even if the session is still valid' },
  store: {
    long: 'store',
    arg: '<kind>',
    type: 'string',
    help: 'where the long-term keys go: keychain (the OS credential store) or file (an encrypted file)',
  },
  yes: { long: 'yes', short: 'y', type: 'boolean', help: 'do not ask for confirmation (for scripts)' },
  credentialProcess: {
    long: 'credential-process',
    type: 'negatable',
    help: 'do not add credential_process to the config (then only aws-mfa-refresh reads the stored keys)',
  },
  ifInteractive: {
    long: 'if-interactive',
    type: 'boolean',
    help: 'only when a person is at a terminal: without one (ssh host cmd, bash -lc, cron) print nothing, exit 0',
  },
  envKeys: {
    long: 'env-keys',
    type: 'boolean',
    help: 'give a role profile to the command as plain environment keys (they stop working when the role session ends)',
  },
  serve: {
    long: 'serve',
    type: 'boolean',
    help: 'serve credentials to the command on a loopback endpoint (AWS container-credentials protocol), also for session profiles',
  },
  fix: { long: 'fix', type: 'boolean', help: 'rewrite the role profiles that need it to source from the MFA session' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** The flags of every command that may refresh (refresh, env, exec, credential-process), in help order. */
export const REFRESH_FLAGS = [
  'profile',
  'sourceProfile',
  'serialNumber',
  'code',
  'codeCommand',
  'duration',
  'maxMfaAge',
  'minRemaining',
  'region',
  'endpointUrl',
  'remember',
  'timeout',
  'inputTimeout',
  'debug',
] as const satisfies readonly FlagName[];

/**
 * What the flags become at the edge: the profile flags the resolver takes (durations in seconds, timeouts in ms),
 * and the rest; undefined when not given.
 */
export interface FlagValues extends ProfileFlags {
  remember?: boolean;
  debug?: boolean;
  quiet?: boolean;
  json?: boolean;
  force?: boolean;
  store?: string;
  yes?: boolean;
  credentialProcess?: boolean;
  ifInteractive?: boolean;
  envKeys?: boolean;
  serve?: boolean;
  fix?: boolean;
}

/** `-p, --profile <name>` as commander and help spell it. */
export function flagSyntax(spec: FlagSpec): string {
  const long = spec.type === 'negatable' ? `--no-${spec.long}` : `--${spec.long}`;
  return `${spec.short ? `-${spec.short}, ` : ''}${long}${spec.arg ? ` ${spec.arg}` : ''}`;
}
