import type { Command } from 'commander';
import { addFlags, flagValues } from './options.js';
import { makeDebug, paint } from './output.js';
import { formatLocalDate } from '../profiles/session.js';

export function addDevicesCommand(program: Command): void {
  const command = program
    .command('devices')
    .description("list the caller's MFA devices, marking the one remembered in ~/.aws/config");
  addFlags(command, ['profile', 'sourceProfile', 'region', 'endpointUrl', 'timeout', 'json', 'debug'], {
    profile:
      'target profile whose remembered device is marked (default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, else "default")',
    region: 'AWS region for STS',
    endpointUrl: 'STS/IAM endpoint',
    json: 'print the devices as JSON',
  })
    .addHelpText(
      'after',
      '\nExamples:\n  $ aws-mfa-refresh devices\n  $ aws-mfa-refresh devices --source-profile alice-keys --json',
    )
    .action(async () => {
      const flags = flagValues(command);
      const { listProfileDevices } = await import('../usecases/devices.js');
      const { systemDeps } = await import('../usecases/deps.js');
      const { identity, devices, remembered, configFile } = await listProfileDevices(
        flags,
        systemDeps(),
        makeDebug(Boolean(flags.debug)),
      );
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
        const enabled = d.enableDate ? `  enabled ${formatLocalDate(d.enableDate)}` : '';
        process.stdout.write(
          `${mark} ${d.serialNumber}  ${d.kind}${enabled}${d.kind === 'passkey' ? '  (cannot be used with GetSessionToken)' : ''}\n`,
        );
      }
      if (remembered) process.stdout.write(`(* = mfa_serial remembered in ${configFile})\n`);
    });
}
