/** The commander side of the flag table: registers flags and reads them back as typed values. */
import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { checkEndpointUrl, checkRegion, parseDurationSeconds } from '../config/values.js';
import type { CommandFlags } from './command-flags.js';
import { FLAGS, flagSyntax, type FlagName, type FlagSpec, type FlagValues } from './flags.js';

/** What a command runs with, however its arguments were parsed (commander or args.ts). */
export interface ParsedArgs {
  flags: FlagValues;
  /** The command's own options (command-flags.ts), by key. */
  own: Record<string, string | boolean | undefined>;
  /** Positional arguments (exec: the command and its arguments). */
  args: string[];
}

function addOption(command: Command, spec: FlagSpec, text: string): void {
  if (spec.default !== undefined) command.option(flagSyntax(spec), text, spec.default);
  else command.option(flagSyntax(spec), text);
}

/** Adds the named flags, in order; `help` replaces a flag's help text for this command. */
export function addFlags(
  command: Command,
  names: readonly FlagName[],
  help: Partial<Record<FlagName, string>> = {},
): Command {
  for (const name of names) addOption(command, FLAGS[name], help[name] ?? FLAGS[name].help);
  return command;
}

/** Adds a command's shared flags and own options from its table (command-flags.ts). */
export function addCommandFlags(command: Command, spec: CommandFlags): Command {
  for (const flag of spec.flags) {
    if (typeof flag === 'string') addOption(command, FLAGS[flag], spec.help?.[flag] ?? FLAGS[flag].help);
    else addOption(command, flag, flag.help);
  }
  if (spec.passThrough) command.passThroughOptions();
  return command;
}

/** The arguments commander parsed for a command registered with addCommandFlags. */
export function parsedArgs(command: Command, spec: CommandFlags): ParsedArgs {
  const raw = command.opts<Record<string, string | boolean | undefined>>();
  const own: ParsedArgs['own'] = {};
  for (const flag of spec.flags) if (typeof flag !== 'string') own[flag.key] = raw[flag.key];
  return { flags: flagValues(command), own, args: command.args };
}

/**
 * The shared flags the user gave, typed: durations in seconds, timeouts in milliseconds. A flag left
 * at its default is undefined here, so the resolver applies the default and says it did.
 */
export function flagValues(command: Command): FlagValues {
  const raw = command.opts<Record<string, unknown>>();
  const given: Record<string, unknown> = {};
  for (const name of Object.keys(FLAGS)) {
    if (raw[name] !== undefined && command.getOptionValueSource(name) !== 'default') given[name] = raw[name];
  }
  return typedFlags(given);
}

/** Raw flag values (strings and booleans, by flag name) as typed values. */
export function typedFlags(raw: Record<string, unknown>): FlagValues {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(FLAGS) as [FlagName, FlagSpec][]) {
    const value = raw[name];
    if (value === undefined) continue;
    if (spec.type === 'seconds' || spec.type === 'milliseconds') {
      const seconds = parseDurationSeconds(String(value), `--${spec.long}`);
      if (spec.type === 'milliseconds' && seconds <= 0)
        throw new UserError(`--${spec.long} must be more than 0.`, ExitCode.Usage, `Example: --${spec.long} 30s.`);
      out[name] = spec.type === 'seconds' ? seconds : seconds * 1000;
    } else if (name === 'region' || name === 'endpointUrl') {
      // Checked here too, so a bad value fails every command, even one that has nothing to do.
      out[name] = name === 'region' ? checkRegion(String(value)) : checkEndpointUrl(String(value));
    } else {
      out[name] = value;
    }
  }
  return out as FlagValues;
}
