import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { longTermProfileOf } from '../defaults.js';
import { checkSerialNumber } from '../config/values.js';
import { dotfilesLine } from '../config/hints.js';
import { addFlags, flagValues } from './options.js';
import { makeDebug, paint } from './output.js';
import { Interrupted, isPromptAbort, terminalStreams, type PromptStreams } from '../mfa/terminal.js';

interface SetupFlags {
  longTermProfile?: string;
  yes?: boolean;
  device: boolean;
}

export function addSetupCommand(program: Command): void {
  const command = program
    .command('setup')
    .description(
      'first run: move long-term keys out of the profile that will hold sessions, then pick your MFA device',
    );
  addFlags(command, ['profile'], {
    profile:
      'the profile whose keys move and that will hold sessions (default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, else "default")',
  })
    .option('-l, --long-term-profile <name>', 'where the long-term keys go (default: PROFILE-long-term)')
    .option('-y, --yes', 'do not ask for confirmation (for scripts)');
  addFlags(command, ['serialNumber'], { serialNumber: 'remember this MFA device instead of choosing one' }).option(
    '--no-device',
    'skip choosing an MFA device',
  );
  addFlags(command, ['region', 'endpointUrl', 'timeout', 'debug', 'json'], {
    region: 'AWS region for STS',
    endpointUrl: 'STS/IAM endpoint',
    json: 'print the outcome as one JSON object on stdout (the diff and questions go to stderr)',
  })
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh setup                                  # interactive: shows the change, asks, then picks your device
  $ aws-mfa-refresh setup --yes --serial-number arn:aws:iam::123456789012:mfa/alice
  $ aws-mfa-refresh setup --profile work --long-term-profile work-keys --yes --no-device`,
    )
    .action(async (own: SetupFlags) => {
      const flags = flagValues(command);
      const { applySetup, planSetup, chooseSetupDevice } = await import('../usecases/setup.js');
      const { resolveProfile } = await import('../config/resolve.js');
      const { systemDeps } = await import('../usecases/deps.js');
      const { awsFilePaths } = await import('../profiles/aws-files.js');
      const { updateConfigProfile } = await import('../profiles/writers.js');
      const { lineDiff, maskSecrets } = await import('../profiles/diff.js');
      const deps = systemDeps();
      const profile = resolveProfile({ flags, env: deps.env }).target.value;
      const longTermProfile = (own.longTermProfile ?? longTermProfileOf(profile)).trim();
      const serial = flags.serialNumber !== undefined ? checkSerialNumber(flags.serialNumber) : undefined;
      const streams = terminalStreams();
      // With --json, stdout carries only the result; the human text goes to stderr.
      const human = flags.json ? process.stderr : process.stdout;
      const out = (line = '') => human.write(`${line}\n`);

      const plan = await planSetup(profile, longTermProfile, deps.env);
      if (plan.alreadyDone) {
        out(`Long-term keys are already in [${longTermProfile}] and [${profile}] holds none: nothing to move.`);
      } else {
        out(`The long-term keys of [${profile}] move to [${longTermProfile}]:`);
        out(paint(human, 1, plan.credentialsFile));
        out(lineDiff(plan.credentialsBefore, plan.credentialsAfter, { show: maskSecrets }));
        if (plan.configAfter !== plan.configBefore) {
          out(paint(human, 1, plan.configFile));
          out(lineDiff(plan.configBefore, plan.configAfter));
        }
        if (!own.yes) {
          if (!streams)
            throw new UserError(
              'setup needs your confirmation, and there is no terminal to ask on.',
              ExitCode.InputNeeded,
              'Run it in a terminal, or pass --yes.',
            );
          if (!(await confirm('Write these changes?', streams))) {
            out('Nothing was written.');
            if (flags.json)
              process.stdout.write(
                `${JSON.stringify({ profile, longTermProfile, moved: false, confirmed: false, mfaSerial: null })}\n`,
              );
            return;
          }
        }
        await applySetup(plan);
        out(`${paint(human, 32, '✔')} Moved the keys of [${profile}] to [${longTermProfile}].`);
      }

      const debug = makeDebug(Boolean(flags.debug));
      const device =
        serial ??
        (own.device && streams && (own.yes || (await confirm('Choose and remember your MFA device now?', streams)))
          ? await chooseSetupDevice({ ...flags, sourceProfile: longTermProfile }, streams, deps, debug)
          : undefined);
      if (device) {
        await updateConfigProfile(awsFilePaths(deps.env).config, profile, { mfa_serial: device });
        out(`${paint(human, 32, '✔')} Remembered ${device} as mfa_serial of profile "${profile}".`);
      } else if (own.device) {
        out('No MFA device chosen: aws-mfa-refresh will find it on the first refresh.');
      }

      const { currentPlatform } = await import('../platform/platform.js');
      const rc = currentPlatform().rcFile(process.env.SHELL ?? '');
      const line = dotfilesLine(profile);
      out('');
      out(`Add this line to ${rc} to refresh at login only when needed:`);
      out(`  ${line}`);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ profile, longTermProfile, moved: !plan.alreadyDone, confirmed: true, mfaSerial: device ?? null, shellRc: rc, shellLine: line })}\n`,
        );
      }
    });
}

async function confirm(message: string, streams: PromptStreams): Promise<boolean> {
  const { default: ask } = await import('@inquirer/confirm');
  try {
    return await ask({ message, default: true }, streams);
  } catch (error) {
    if (isPromptAbort(error)) throw new Interrupted();
    throw error;
  }
}
