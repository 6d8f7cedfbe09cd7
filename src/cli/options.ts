/** The commander side of the flag table: registers flags and reads them back as typed values. */
import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { checkEndpointUrl, checkRegion, parseDurationSeconds } from '../config/values.js';
import { FLAGS, flagSyntax, type FlagName, type FlagValues } from './flags.js';

/** Adds the named flags, in order; `help` replaces a flag's help text for this command. */
export function addFlags(
  command: Command,
  names: readonly FlagName[],
  help: Partial<Record<FlagName, string>> = {},
): Command {
  for (const name of names) {
    const spec = FLAGS[name];
    const text = help[name] ?? spec.help;
    if ('default' in spec) command.option(flagSyntax(spec), text, spec.default);
    else command.option(flagSyntax(spec), text);
  }
  return command;
}

/**
 * The shared flags the user gave, typed: durations in seconds, timeouts in milliseconds. A flag left
 * at its default is undefined here, so the resolver applies the default and says it did.
 */
export function flagValues(command: Command): FlagValues {
  const raw = command.opts<Record<string, unknown>>();
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    const value = raw[name];
    if (value === undefined || command.getOptionValueSource(name) === 'default') continue;
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
