import type { Command } from 'commander';
import type { RefreshOptions, RefreshResult } from '../refresh.js';
import { formatDuration, formatLocalTime, formatTimestamp } from '../profiles/session.js';
import { makeDebug, paint, warn } from './output.js';

interface RefreshFlags extends RefreshOptions {
  quiet?: boolean;
  json?: boolean;
  debug?: boolean;
}

/** The flags of every command that may refresh (refresh itself, env --refresh, exec, credential-process). */
export function addRefreshOptions(command: Command): Command {
  return command
    .option('-p, --profile <name>', 'profile that receives the session (default: $AWS_PROFILE, else "default")')
    .option('-s, --source-profile <name>', 'profile holding the long-term keys (default: source_profile in config, else PROFILE-long-term)')
    .option('--serial-number <arn>', 'MFA device ARN or hardware serial (default: mfa_serial in config, else discovered)')
    .option('-c, --code <code>', 'the 6-digit MFA code, or "-" to read one line from stdin')
    .option('--code-command <command>', 'a shell command that prints the code (default: mfa_process in config), e.g. "ykman oath accounts code -s aws"')
    .option('-d, --duration <time>', 'session length, 900–129600 s or e.g. 12h, 90m (default: duration_seconds in config, else 43200)')
    .option('--max-mfa-age <time>', 'the MFA age your policy allows; a session is not usable past it', '43200')
    .option('--min-remaining <time>', 'refresh when less than this is left', '30m')
    .option('--region <region>', 'AWS region for STS (default: $AWS_REGION, config, else us-east-1)')
    .option('--endpoint-url <url>', "STS/IAM endpoint (default: the SDK's AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL handling)")
    .option('--no-remember', 'do not save a discovered device as mfa_serial in ~/.aws/config')
    .option('--timeout <time>', 'give up on AWS after this long', '10s')
    .option('--input-timeout <time>', 'give up waiting for the code on stdin after this long', '60s')
    .option('--debug', 'explain each step on stderr (secrets redacted)');
}

export function addRefreshCommand(program: Command): void {
  addRefreshOptions(
    program
      .command('refresh', { isDefault: true })
      .description('get an MFA session and write it into the target profile (the default command)'),
  )
    .option('-f, --force', 'refresh even if the session is still valid')
    .option('-q, --quiet', 'print nothing on success')
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh                         # morning refresh of [default] from [default-long-term]
  $ aws-mfa-refresh -p work --duration 8h   # another profile, shorter session
  $ echo 123456 | aws-mfa-refresh --code -  # code from a script
  $ alias awsmfa='aws-mfa-refresh -q'       # in ~/.bashrc or ~/.zshrc`,
    )
    .action(async (flags: RefreshFlags) => {
      const { refresh } = await import('../refresh.js');
      const result = await refresh(flags, { debug: makeDebug(Boolean(flags.debug)), warn: flags.quiet ? () => {} : warn });
      printResult(result, flags);
    });
}

function printResult(result: RefreshResult, flags: RefreshFlags): void {
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
