import type { Command } from 'commander';
import { QuietExit } from '../errors.js';
import type { ProfileSession } from '../profiles/session-state.js';
import { formatDuration, formatLocalTime, formatTimestamp } from '../profiles/session.js';
import { STATUS_COMMAND } from './command-flags.js';
import { addCommandFlags, parsedArgs, type ParsedArgs } from './options.js';
import { paint, writeResult } from './output.js';

export function addStatusCommand(program: Command): void {
  const command = addCommandFlags(
    program
      .command('status')
      .description('say whether a profile holds a usable MFA session (offline; exit 0 usable, 1 not)'),
    STATUS_COMMAND,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh status
  $ aws-mfa-refresh status -q && echo usable
  $ aws-mfa-refresh status --all --json`,
    )
    .action(() => runStatus(parsedArgs(command, STATUS_COMMAND)));
}

export async function runStatus({ flags, own }: ParsedArgs): Promise<void> {
  const { judge, sessionProfiles, describeState } = await import('../profiles/session-state.js');
  const { resolveProfile } = await import('../config/resolve.js');
  const { loadFiles } = await import('../usecases/deps.js');
  const env = process.env;
  const files = await loadFiles(env);
  const req = resolveProfile({ flags, env, files });
  const names = own.all ? sessionProfiles(files) : [req.target.value];
  const now = Date.now();
  const states = names.map((name) =>
    judge(name, files.credentials[name], req.maxMfaAge.value, req.minRemaining.value, now),
  );
  const { recordStatus } = await import('../shell/record.js');
  await Promise.all(
    states.map((s) =>
      recordStatus(
        s.profile,
        s.session && {
          ...s.session,
          minRemainingSeconds: req.minRemaining.value,
          credentialsFile: files.paths.credentials,
        },
      ),
    ),
  );
  // Role profiles under the session they are assumed with (--all).
  const { roleChain, roleProfiles } = await import('../roles/chain.js');
  const roles = own.all ? roleProfiles(files).map((name) => roleChain(files, name)) : [];
  const rolesOf = (profile: string) => roles.filter((r) => r.sessionProfile === profile);
  if (flags.json) {
    const rows = states.map((s) => ({
      ...toJson(s),
      ...(own.all && {
        roles: rolesOf(s.profile).map((r) => ({
          profile: r.profile,
          roleArn: r.roleArn,
          works: r.problems.length === 0,
        })),
      }),
    }));
    writeResult(`${JSON.stringify(own.all ? rows : rows[0])}\n`);
  } else if (!flags.quiet) {
    const lines = states.length === 0 ? ['No profile holds an MFA session.'] : [];
    for (const s of states) {
      lines.push(describe(s, describeState));
      for (const r of rolesOf(s.profile)) {
        const problem = r.problems.length ? ` (${r.problems[0]!.message}; see aws-mfa-refresh roles)` : '';
        lines.push(`    role ${r.profile}: ${r.roleArn}${problem}`);
      }
    }
    writeResult(`${lines.join('\n')}\n`);
  }
  const ok = states.length > 0 && states.every((s) => s.state === 'usable');
  if (!ok) throw new QuietExit(); // the lines above said it
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
  const out = 1; // stdout
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
