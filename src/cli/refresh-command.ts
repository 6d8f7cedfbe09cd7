import type { Command } from 'commander';
import type { RefreshResult } from '../usecases/refresh.js';
import type { RoleSession } from '../usecases/role-session.js';
import { formatDuration, formatLocalTime, formatTimestamp } from '../profiles/session.js';
import { REFRESH_COMMAND } from './command-flags.js';
import { REFRESH_FLAGS } from './flags.js';
import { addCommandFlags, addFlags, parsedArgs, type ParsedArgs } from './options.js';
import { makeDebug, notice, paint, warn } from './output.js';
import { dotfilesLine } from '../config/hints.js';
import { terminalStreams } from '../mfa/terminal.js';

interface PrintFlags {
  quiet?: boolean;
  json?: boolean;
}

/** The flags of every command that may refresh (refresh itself, env --refresh, exec, credential-process). */
export function addRefreshOptions(command: Command): Command {
  return addFlags(command, REFRESH_FLAGS);
}

export function addRefreshCommand(program: Command): void {
  const command = addCommandFlags(
    program
      .command('refresh', { isDefault: true })
      .description('get an MFA session and write it into the target profile (the default command)'),
    REFRESH_COMMAND,
  );
  command
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh                         # morning refresh of [default] from [default-long-term]
  $ aws-mfa-refresh -p work --duration 8h   # another profile, shorter session
  $ echo 123456 | aws-mfa-refresh --code -  # code from a script
  $ alias awsmfa='aws-mfa-refresh -q'       # in ~/.bashrc or ~/.zshrc
  $ ${dotfilesLine()}   # in ~/.bashrc: refresh at login, never in ssh host cmd or cron`,
    )
    .action(() => runRefresh(parsedArgs(command, REFRESH_COMMAND)));
}

export async function runRefresh({ flags }: ParsedArgs): Promise<void> {
  // Nobody to ask: do nothing, read nothing, say nothing (the dotfiles line runs in every shell).
  if (flags.ifInteractive && !terminalStreams()) return;
  const { refresh } = await import('../usecases/refresh.js');
  const { systemDeps } = await import('../usecases/deps.js');
  const { targetKind, refreshRole } = await import('../usecases/role-session.js');
  const opts = { flags, force: flags.force, remember: flags.remember, quiet: flags.quiet };
  const io = { debug: makeDebug(Boolean(flags.debug)), warn: flags.quiet ? () => {} : warn, notice };
  const deps = systemDeps();
  const { files, role } = await targetKind(flags, deps.env);
  if (role) printRole(await refreshRole(opts, io, deps), flags);
  else printResult(await refresh({ ...opts, files }, io, deps), flags);
}

function printRole(role: RoleSession, flags: PrintFlags): void {
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        profile: role.profile,
        roleArn: role.roleArn,
        sourceProfile: role.sourceProfile,
        refreshed: role.source.refreshed,
        usableUntil: formatTimestamp(role.source.usableUntil),
        roleWorks: true,
        roleExpiration: formatTimestamp(role.credentials.expiration),
      })}\n`,
    );
    return;
  }
  if (flags.quiet) return;
  const until = formatLocalTime(role.source.usableUntil);
  const left = formatDuration(role.source.usableUntil.getTime() - Date.now());
  const tick = paint(process.stdout, 32, '✔');
  const source = role.source.refreshed
    ? `Profile "${role.sourceProfile}" refreshed: valid until ${until} (${left})`
    : `Profile "${role.sourceProfile}" is still valid until ${until} (${left} left)`;
  process.stdout.write(`${tick} ${source}; role "${role.profile}" (${role.roleArn}) works.\n`);
}

function printResult(result: RefreshResult, flags: PrintFlags): void {
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        profile: result.profile,
        sourceProfile: result.sourceProfile,
        refreshed: result.refreshed,
        expiration: formatTimestamp(result.expiration),
        usableUntil: formatTimestamp(result.usableUntil),
        serialNumber: result.serialNumber ?? null,
      })}\n`,
    );
    return;
  }
  if (flags.quiet) return;
  const left = formatDuration(result.usableUntil.getTime() - Date.now());
  const until = formatLocalTime(result.usableUntil);
  const tick = paint(process.stdout, 32, '✔');
  process.stdout.write(
    result.refreshed
      ? `${tick} Profile "${result.profile}" refreshed: valid until ${until} (${left}).\n`
      : `${tick} Profile "${result.profile}" is still valid until ${until} (${left} left); not refreshed (--force to refresh anyway).\n`,
  );
}
