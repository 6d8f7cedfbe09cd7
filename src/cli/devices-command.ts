import type { Command } from 'commander';
import { DEFAULT_TIMEOUT } from '../defaults.js';
import { parseDurationSeconds } from './values.js';
import { makeDebug, paint } from './output.js';

interface DevicesFlags {
  profile?: string;
  sourceProfile?: string;
  region?: string;
  endpointUrl?: string;
  timeout: string;
  json?: boolean;
  debug?: boolean;
}

export function addDevicesCommand(program: Command): void {
  program
    .command('devices')
    .description("list the caller's MFA devices, marking the one remembered in ~/.aws/config")
    .option('-p, --profile <name>', 'target profile whose remembered device is marked (default: $AWS_PROFILE, else "default")')
    .option('-s, --source-profile <name>', 'profile holding the long-term keys (default: source_profile in config, else PROFILE-long-term)')
    .option('--region <region>', 'AWS region for STS')
    .option('--endpoint-url <url>', 'STS/IAM endpoint')
    .option('--timeout <time>', 'give up on AWS after this long', `${DEFAULT_TIMEOUT}s`)
    .option('--json', 'print the devices as JSON')
    .option('--debug', 'explain each step on stderr (secrets redacted)')
    .addHelpText('after', '\nExamples:\n  $ aws-mfa-refresh devices\n  $ aws-mfa-refresh devices --source-profile alice-keys --json')
    .action(async (flags: DevicesFlags) => {
      const debug = makeDebug(Boolean(flags.debug));
      const { awsFilePaths, loadAwsFiles } = await import('../profiles/aws-files.js');
      const { sourceConnection, sourceProfileName, targetProfileName } = await import('../refresh.js');
      const files = await loadAwsFiles(awsFilePaths());
      const profile = targetProfileName(flags.profile);
      const sourceProfile = sourceProfileName(files, profile, flags.sourceProfile);
      const timeoutMs = parseDurationSeconds(flags.timeout, '--timeout') * 1000;
      const { conn, sourceConfig } = sourceConnection(files, { ...flags, profile, sourceProfile, timeoutMs }, { debug });
      const remembered = files.config[profile]?.mfa_serial ?? sourceConfig.mfa_serial;
      const { openAws, userNameFromArn } = await import('../aws/client.js');
      const aws = await openAws(conn, debug);
      const identity = await aws.callerIdentity();
      const userName = userNameFromArn(identity.arn);
      const devices = userName ? await aws.listMfaDevices(userName) : [];
      if (flags.json) {
        const rows = devices.map((d) => ({
          serialNumber: d.serialNumber,
          type: d.kind,
          enableDate: d.enableDate?.toISOString() ?? null,
          remembered: d.serialNumber === remembered,
        }));
        process.stdout.write(`${JSON.stringify({ user: identity.arn, devices: rows })}\n`);
        return;
      }
      if (devices.length === 0) {
        process.stdout.write(`${identity.arn} has no MFA device.\n`);
        return;
      }
      for (const d of devices) {
        const mark = d.serialNumber === remembered ? paint(process.stdout, 32, '*') : ' ';
        const enabled = d.enableDate ? `  enabled ${d.enableDate.toISOString().slice(0, 10)}` : '';
        process.stdout.write(`${mark} ${d.serialNumber}  ${d.kind}${enabled}${d.kind === 'passkey' ? '  (cannot be used with GetSessionToken)' : ''}\n`);
      }
      if (remembered) process.stdout.write(`(* = mfa_serial remembered in ${files.paths.config})\n`);
    });
}
