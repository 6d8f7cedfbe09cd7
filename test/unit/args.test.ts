/**
 * The start-up parser (src/cli/args.ts) against commander itself: for every command line it accepts,
 * the commander program (main.ts) must parse the same flags, options and arguments; what it declines
 * goes to commander, which then gives the help or the usage error.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { FAST_COMMANDS, parseFast, type FastCommand } from '../../src/cli/args.js';
import { buildProgram } from '../../src/cli/main.js';
import { parsedArgs, type ParsedArgs } from '../../src/cli/options.js';

/** What commander's action for that command would run with (the action itself is replaced). */
async function viaCommander(argv: string[]): Promise<{ command: string; parsed: ParsedArgs }> {
  const program = buildProgram();
  let seen: { command: string; parsed: ParsedArgs } | undefined;
  for (const sub of program.commands) {
    const name = sub.name() as FastCommand;
    if (!(name in FAST_COMMANDS)) continue;
    sub.action(function (this: Command) {
      seen = { command: name, parsed: parsedArgs(this, FAST_COMMANDS[name]) };
    });
  }
  await program.parseAsync(argv, { from: 'user' });
  if (!seen) throw new Error(`commander ran no fast command for ${argv.join(' ')}`);
  return seen;
}

const ACCEPTED: string[][] = [
  [],
  ['-q', '--code', '123456'],
  ['--code=123456', '-pwork', '--no-remember', '--duration', '8h', '--timeout', '5s'],
  ['-p', 'status'], // a value that looks like a command is still the value
  ['--code', '-'], // a value that looks like an option too
  ['refresh', '--force', '--json', '-s', 'keys', '--serial-number', 'arn:aws:iam::1:mfa/x'],
  ['status'],
  ['status', '-a', '--json', '--max-mfa-age', '1h', '--min-remaining=10m', '-q'],
  ['status', '--profile', 'work', '--profile', 'other'], // the last one wins
  ['env', '--format', 'fish', '--refresh', '-q', '--input-timeout', '30s'],
  ['env', '--format=dotenv'],
  ['credential-process', '--profile', 'work', '--debug'],
  ['exec', '--', 'aws', 's3', 'ls', '--profile', 'x'],
  ['exec', '-p', 'work', 'terraform', 'plan', '--', '-x'],
  ['exec', '-q', 'sh', '-c', 'exit 3'],
];

const DECLINED: string[][] = [
  ['--help'],
  ['status', '-h'],
  ['status', '--unknown'],
  ['status', 'extra'],
  ['status', '-qa'], // combined short flags: commander's job
  ['status', '--quiet=yes'],
  ['status', '--profile'], // missing value
  ['env', '--', 'x'],
  ['exec'],
  ['exec', '--'],
  ['devices'],
  ['help', 'status'],
  ['--version'],
];

describe('start-up parser', () => {
  it.each(ACCEPTED.map((a) => [a.join(' ') || '(nothing)', a]))('reads %s as commander does', async (_, argv) => {
    const fast = parseFast(argv);
    expect(fast).toBeDefined();
    const commander = await viaCommander(argv);
    expect(fast!.command).toBe(commander.command);
    expect(fast!.parsed()).toEqual(commander.parsed);
  });

  it.each(DECLINED.map((a) => [a.join(' '), a]))('leaves %s to commander', (_, argv) => {
    expect(parseFast(argv)).toBeUndefined();
  });

  it('gives a bad duration the same usage error as commander, when the command runs', async () => {
    const fast = parseFast(['status', '--max-mfa-age', 'soon'])!;
    expect(() => fast.parsed()).toThrow(/--max-mfa-age "soon" is not a duration/);
    await expect(viaCommander(['status', '--max-mfa-age', 'soon'])).rejects.toThrow(/--max-mfa-age "soon"/);
  });
});
