/**
 * Which flags the commands that run many times a day take, in help order, as data. commander
 * (options.ts) registers them for help and the other paths; the start-up parser (args.ts) reads the
 * same table, so a flag is declared once. Imports no commander: keep it that way.
 */
import { REFRESH_FLAGS, type FlagName, type FlagSpec } from './flags.js';
import { SHELL_FORMATS } from './shell-env.js';

/** An option of one command only; its value is read back by `key` (commander's camelCase name). */
export interface OwnFlag extends FlagSpec {
  key: string;
}

export type CommandFlag = FlagName | OwnFlag;

export interface CommandFlags {
  /** Shared flags (by name) and the command's own options, in help order. */
  flags: readonly CommandFlag[];
  /** This command's help for shared flags, replacing the general one. */
  help?: Partial<Record<FlagName, string>>;
  /** exec: `<command> [args...]` after the options; everything from the command on is its own. */
  passThrough?: boolean;
}

const QUIET_STDERR = { quiet: 'no messages on stderr' };

export const REFRESH_COMMAND: CommandFlags = { flags: [...REFRESH_FLAGS, 'force', 'quiet', 'json', 'ifInteractive'] };

export const STATUS_COMMAND: CommandFlags = {
  flags: [
    'profile',
    {
      key: 'all',
      long: 'all',
      short: 'a',
      type: 'boolean',
      help: 'every profile of the credentials file that holds a session',
    },
    'maxMfaAge',
    'minRemaining',
    'quiet',
    'json',
  ],
  help: {
    profile: 'profile to check (default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, else "default")',
    maxMfaAge: 'the MFA age your policy allows',
    minRemaining: 'usable means at least this much is left',
    quiet: 'print nothing; only the exit code tells',
    json: 'print the state as JSON',
  },
};

export const ENV_COMMAND: CommandFlags = {
  flags: [
    ...REFRESH_FLAGS,
    {
      key: 'format',
      long: 'format',
      arg: '<shell>',
      type: 'string',
      help: `one of ${SHELL_FORMATS.join(', ')} (default: from $SHELL, else powershell on Windows)`,
    },
    {
      key: 'refresh',
      long: 'refresh',
      type: 'boolean',
      help: 'refresh first when the session is not usable (prompting on the terminal, never on stdout)',
    },
    'quiet',
  ],
  help: QUIET_STDERR,
};

export const EXEC_COMMAND: CommandFlags = {
  flags: [...REFRESH_FLAGS, 'envKeys', 'serve', 'quiet'],
  help: QUIET_STDERR,
  passThrough: true,
};

export const CREDENTIAL_PROCESS_COMMAND: CommandFlags = { flags: REFRESH_FLAGS };
