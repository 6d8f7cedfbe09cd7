import type { Command } from 'commander';
import { QuietExit } from '../errors.js';
import { addFlags, flagValues } from './options.js';
import { makeDebug, paint } from './output.js';

export function addDoctorCommand(program: Command): void {
  const command = program
    .command('doctor')
    .description(
      'check the setup: files, profiles, keys, clock, MFA device, session, environment, Node.js (exit 0 when nothing fails)',
    );
  addFlags(command, ['profile', 'sourceProfile', 'maxMfaAge', 'timeout', 'region', 'endpointUrl', 'json', 'debug'], {
    profile: 'target profile that holds sessions (default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, else "default")',
    maxMfaAge: 'the MFA age your policy allows',
    region: 'AWS region for STS',
    endpointUrl: 'STS/IAM endpoint',
    json: 'print { ok, checks: [{ id, status, message, hint? }] } instead of lines',
  })
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
    .action(async () => {
      const flags = flagValues(command);
      const { runDoctor } = await import('../usecases/doctor/run.js');
      const { formatReport, reportJson } = await import('../usecases/doctor/report.js');
      const { systemDeps } = await import('../usecases/deps.js');
      const report = await runDoctor({ flags, debug: makeDebug(Boolean(flags.debug)) }, systemDeps());
      process.stdout.write(
        flags.json ? reportJson(report) : formatReport(report, (code, text) => paint(process.stdout, code, text)),
      );
      if (!report.ok) throw new QuietExit(); // the lines above said it
    });
}
