import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import type { ProfileSession } from '../session-state.js';
import { DEFAULT_MAX_MFA_AGE, DEFAULT_MIN_REMAINING } from '../defaults.js';
import { parseDurationSeconds } from './values.js';
import { formatDuration, formatLocalTime, formatTimestamp } from '../profiles/session.js';
import { paint } from './output.js';

interface StatusFlags {
  profile?: string;
  all?: boolean;
  json?: boolean;
  quiet?: boolean;
  maxMfaAge: string;
  minRemaining: string;
}

export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('say whether a profile holds a usable MFA session (offline; exit 0 usable, 1 not)')
    .option('-p, --profile <name>', 'profile to check (default: $AWS_PROFILE, else "default")')
    .option('-a, --all', 'every profile of the credentials file that holds a session')
    .option('--max-mfa-age <time>', 'the MFA age your policy allows', String(DEFAULT_MAX_MFA_AGE))
    .option('--min-remaining <time>', 'usable means at least this much is left', `${DEFAULT_MIN_REMAINING / 60}m`)
    .option('-q, --quiet', 'print nothing; only the exit code tells')
    .option('--json', 'print the state as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh status
  $ aws-mfa-refresh status -q || aws-mfa-refresh   # the dotfiles line: refresh only when needed
  $ aws-mfa-refresh status --all --json`,
    )
    .action(async (flags: StatusFlags) => {
      const maxMfaAge = parseDurationSeconds(flags.maxMfaAge, '--max-mfa-age');
      const minRemaining = parseDurationSeconds(flags.minRemaining, '--min-remaining');
      const { judge, loadFiles, sessionProfiles, describeState } = await import('../session-state.js');
      const { targetProfileName } = await import('../refresh.js');
      const files = await loadFiles();
      const names = flags.all ? sessionProfiles(files) : [targetProfileName(flags.profile)];
      const states = names.map((name) => judge(name, files.credentials[name], maxMfaAge, minRemaining));
      const { recordStatus } = await import('../shell/record.js');
      await Promise.all(states.map((s) => recordStatus(s.profile, s.session && { ...s.session, minRemainingSeconds: minRemaining, credentialsFile: files.paths.credentials })));
      if (flags.json) {
        const rows = states.map(toJson);
        process.stdout.write(`${JSON.stringify(flags.all ? rows : rows[0])}\n`);
      } else if (!flags.quiet) {
        if (states.length === 0) process.stdout.write('No profile holds an MFA session.\n');
        for (const s of states) process.stdout.write(`${describe(s, describeState)}\n`);
      }
      const ok = states.length > 0 && states.every((s) => s.state === 'usable');
      if (!ok) throw new UserError('', ExitCode.Unexpected); // silent: the lines above said it
    });
}

function toJson(s: ProfileSession) {
  return {
    profile: s.profile,
    state: s.state,
    usable: s.state === 'usable',
    expiration: s.session ? formatTimestamp(s.session.expiration) : null,
    usableUntil: s.session ? formatTimestamp(s.session.usableUntil) : null,
    remainingSeconds: s.session ? Math.max(0, Math.floor((s.session.usableUntil.getTime() - Date.now()) / 1000)) : 0,
    limitedByMfaAge: s.session?.limitedByMfaAge ?? false,
    device: s.session?.device ?? null,
  };
}

function describe(s: ProfileSession, describeState: (s: ProfileSession) => string): string {
  const out = process.stdout;
  const device = s.session?.device ? `, device ${s.session.device}` : '';
  switch (s.state) {
    case 'usable': {
      const why = s.session!.limitedByMfaAge ? ' (MFA age limit)' : '';
      return `${paint(out, 32, '✔')} ${s.profile}: usable until ${formatLocalTime(s.session!.usableUntil)}${why} (${formatDuration(s.session!.usableUntil.getTime() - Date.now())} left)${device}`;
    }
    case 'expiring':
      return `${paint(out, 33, '!')} ${s.profile}: usable until ${formatLocalTime(s.session!.usableUntil)}, only ${formatDuration(s.session!.usableUntil.getTime() - Date.now())} left${device}`;
    default:
      return `${paint(out, 31, '✖')} ${describeState(s)}`;
  }
}
