/**
 * The start-up parser: the commands that run many times a day (status, env, exec,
 * credential-process, and the refresh itself) are parsed here from the flag tables, without loading
 * commander. It accepts only what it is sure commander would read the same way; anything else (help,
 * an unknown option, combined short flags, a missing value, stray arguments) returns undefined and
 * commander parses the whole command line, so every message and error stays commander's.
 */
import {
  CREDENTIAL_PROCESS_COMMAND,
  ENV_COMMAND,
  EXEC_COMMAND,
  REFRESH_COMMAND,
  STATUS_COMMAND,
  type CommandFlags,
} from './command-flags.js';
import { FLAGS, type FlagSpec } from './flags.js';
import { typedFlags, type ParsedArgs } from './options.js';

export const FAST_COMMANDS = {
  refresh: REFRESH_COMMAND,
  status: STATUS_COMMAND,
  env: ENV_COMMAND,
  exec: EXEC_COMMAND,
  'credential-process': CREDENTIAL_PROCESS_COMMAND,
} as const satisfies Record<string, CommandFlags>;

export type FastCommand = keyof typeof FAST_COMMANDS;

/** What a flag sets: the shared flag's name or the own option's key. */
interface Target {
  key: string;
  shared: boolean;
  spec: FlagSpec;
}

function lookup(spec: CommandFlags): { long: Map<string, Target>; short: Map<string, Target> } {
  const long = new Map<string, Target>();
  const short = new Map<string, Target>();
  for (const flag of spec.flags) {
    const target: Target =
      typeof flag === 'string'
        ? { key: flag, shared: true, spec: FLAGS[flag] }
        : { key: flag.key, shared: false, spec: flag };
    long.set(target.spec.type === 'negatable' ? `no-${target.spec.long}` : target.spec.long, target);
    if (target.spec.short) short.set(target.spec.short, target);
  }
  return { long, short };
}

/** `argv` without node and the script; undefined: let commander parse it. */
export function parseFast(argv: readonly string[]): { command: FastCommand; parsed: () => ParsedArgs } | undefined {
  const first = argv[0];
  // No command name, or options first: the default command (refresh).
  const command: string = first === undefined || first.startsWith('-') ? 'refresh' : first;
  if (!Object.hasOwn(FAST_COMMANDS, command)) return undefined;
  const spec = FAST_COMMANDS[command as FastCommand];
  const { long, short } = lookup(spec);
  const rest = argv.slice(command === first ? 1 : 0);
  const shared: Record<string, unknown> = {};
  const own: ParsedArgs['own'] = {};
  let args: string[] | undefined;
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    let target: Target | undefined;
    let value: string | undefined;
    if (token === '--') {
      if (!spec.passThrough) return undefined;
      args = rest.slice(i + 1);
      break;
    } else if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      target = long.get(eq < 0 ? token.slice(2) : token.slice(2, eq));
      if (eq >= 0) value = token.slice(eq + 1);
    } else if (token.startsWith('-') && token.length > 1) {
      target = short.get(token[1]!);
      // -pwork is -p work; -qf (two boolean flags) is left to commander.
      if (token.length > 2) value = target?.spec.arg ? token.slice(2) : '';
    } else {
      if (!spec.passThrough) return undefined;
      args = rest.slice(i);
      break;
    }
    if (!target) return undefined; // help, version, or an option this command does not have
    if (target.spec.arg) {
      value ??= rest[++i]; // a required value is the next word, whatever it looks like (as commander reads it)
      if (value === undefined) return undefined;
    } else if (value !== undefined) {
      return undefined; // --quiet=yes
    }
    const set: string | boolean = target.spec.arg ? value! : target.spec.type !== 'negatable';
    if (target.shared) shared[target.key] = set;
    else own[target.key] = set;
  }
  if (spec.passThrough && !args?.length) return undefined; // exec without a command: commander says so
  // Typed values can fail (a bad --duration): that is the command's error, raised when it runs.
  return { command: command as FastCommand, parsed: () => ({ flags: typedFlags(shared), own, args: args ?? [] }) };
}
