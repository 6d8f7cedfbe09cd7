import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { DEFAULT_MAX_MFA_AGE, DEFAULT_TIMEOUT } from '../defaults.js';
import { parseDurationSeconds } from './values.js';
import { makeDebug, paint } from './output.js';

interface DoctorFlags {
  profile?: string;
  sourceProfile?: string;
  maxMfaAge: string;
  timeout: string;
  region?: string;
  endpointUrl?: string;
  json?: boolean;
  debug?: boolean;
}

export function addDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the setup: files, profiles, keys, clock, MFA device, session, environment, Node.js (exit 0 when nothing fails)')
    .option('-p, --profile <name>', 'target profile that holds sessions (default: $AWS_PROFILE, else "default")')
    .option('-s, --source-profile <name>', 'profile holding the long-term keys (default: source_profile in config, else PROFILE-long-term)')
    .option('--max-mfa-age <time>', 'the MFA age your policy allows', String(DEFAULT_MAX_MFA_AGE))
    .option('--timeout <time>', 'give up on AWS after this long', `${DEFAULT_TIMEOUT}s`)
    .option('--region <region>', 'AWS region for STS')
    .option('--endpoint-url <url>', 'STS/IAM endpoint')
    .option('--json', 'print { ok, checks: [{ id, status, message, hint? }] } instead of lines')
    .option('--debug', 'explain each step on stderr (secrets redacted)')
    .addHelpText(
      'after',
      `
Checks, in order: files (found, readable, well-formed, mode 0600), profiles (source holds long-term
keys, target does not), keys (STS accepts them), clock (against AWS's), mfa-device (usable, and
mfa_serial is one of them), session (usable until when), environment (no AWS_ACCESS_KEY_ID etc.
overriding the profile), node (>= 20). ✔ pass, ! warning, ✖ fail, - skipped; exit 1 when one fails.

Examples:
  $ aws-mfa-refresh doctor
  $ aws-mfa-refresh doctor --profile work --source-profile alice-keys
  $ aws-mfa-refresh doctor --json | jq '.checks[] | select(.status != "pass")'`,
    )
    .action(async (flags: DoctorFlags) => {
      const maxMfaAgeSeconds = parseDurationSeconds(flags.maxMfaAge, '--max-mfa-age');
      const timeoutMs = parseDurationSeconds(flags.timeout, '--timeout') * 1000;
      const { runDoctor } = await import('../doctor/checks.js');
      const { formatReport, reportJson } = await import('../doctor/report.js');
      const report = await runDoctor({
        maxMfaAgeSeconds,
        timeoutMs,
        debug: makeDebug(Boolean(flags.debug)),
        ...(flags.profile !== undefined && { profile: flags.profile }),
        ...(flags.sourceProfile !== undefined && { sourceProfile: flags.sourceProfile }),
        ...(flags.region !== undefined && { region: flags.region }),
        ...(flags.endpointUrl !== undefined && { endpointUrl: flags.endpointUrl }),
      });
      process.stdout.write(flags.json ? reportJson(report) : formatReport(report, (code, text) => paint(process.stdout, code, text)));
      if (!report.ok) throw new UserError('', ExitCode.Unexpected); // silent: the lines above said it
    });
}
