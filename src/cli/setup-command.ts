import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { DEFAULT_TIMEOUT } from '../defaults.js';
import { checkSerialNumber, parseDurationSeconds } from './values.js';
import { makeDebug, paint } from './output.js';
import { Interrupted, isPromptAbort, terminalStreams, type PromptStreams } from '../mfa/terminal.js';

interface SetupFlags {
  profile?: string;
  longTermProfile?: string;
  yes?: boolean;
  serialNumber?: string;
  device: boolean;
  region?: string;
  endpointUrl?: string;
  timeout: string;
  debug?: boolean;
  json?: boolean;
}

export function addSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('first run: move long-term keys out of the profile that will hold sessions, then pick your MFA device')
    .option('-p, --profile <name>', 'the profile whose keys move and that will hold sessions (default: $AWS_PROFILE, else "default")')
    .option('-l, --long-term-profile <name>', 'where the long-term keys go (default: PROFILE-long-term)')
    .option('-y, --yes', 'do not ask for confirmation (for scripts)')
    .option('--serial-number <arn>', 'remember this MFA device instead of choosing one')
    .option('--no-device', 'skip choosing an MFA device')
    .option('--region <region>', 'AWS region for STS')
    .option('--endpoint-url <url>', 'STS/IAM endpoint')
    .option('--timeout <time>', 'give up on AWS after this long', `${DEFAULT_TIMEOUT}s`)
    .option('--debug', 'explain each step on stderr (secrets redacted)')
    .option('--json', 'print the outcome as one JSON object on stdout (the diff and questions go to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh setup                                  # interactive: shows the change, asks, then picks your device
  $ aws-mfa-refresh setup --yes --serial-number arn:aws:iam::123456789012:mfa/alice
  $ aws-mfa-refresh setup --profile work --long-term-profile work-keys --yes --no-device`,
    )
    .action(async (flags: SetupFlags) => {
      const { applySetup, planSetup } = await import('../setup.js');
      const { targetProfileName } = await import('../refresh.js');
      const { awsFilePaths } = await import('../profiles/aws-files.js');
      const { updateConfigProfile } = await import('../profiles/writers.js');
      const { lineDiff, maskSecrets } = await import('../profiles/diff.js');
      const profile = targetProfileName(flags.profile);
      const longTermProfile = (flags.longTermProfile ?? `${profile}-long-term`).trim();
      const serial = flags.serialNumber !== undefined ? checkSerialNumber(flags.serialNumber) : undefined;
      const streams = terminalStreams();
      // With --json, stdout carries only the result; the human text goes to stderr.
      const human = flags.json ? process.stderr : process.stdout;
      const out = (line = '') => human.write(`${line}\n`);

      const plan = await planSetup(profile, longTermProfile);
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
        if (!flags.yes) {
          if (!streams) throw new UserError('setup needs your confirmation, and there is no terminal to ask on.', ExitCode.InputNeeded, 'Run it in a terminal, or pass --yes.');
          if (!(await confirm('Write these changes?', streams))) {
            out('Nothing was written.');
            if (flags.json) process.stdout.write(`${JSON.stringify({ profile, longTermProfile, moved: false, confirmed: false, mfaSerial: null })}\n`);
            return;
          }
        }
        await applySetup(plan);
        out(`${paint(human, 32, '✔')} Moved the keys of [${profile}] to [${longTermProfile}].`);
      }

      const device = serial ?? (flags.device && streams && (flags.yes || (await confirm('Choose and remember your MFA device now?', streams))) ? await pickDevice(flags, profile, longTermProfile, streams) : undefined);
      if (device) {
        await updateConfigProfile(awsFilePaths().config, profile, { mfa_serial: device });
        out(`${paint(human, 32, '✔')} Remembered ${device} as mfa_serial of profile "${profile}".`);
      } else if (flags.device) {
        out('No MFA device chosen: aws-mfa-refresh will find it on the first refresh.');
      }

      const shell = (process.env.SHELL ?? '').split('/').pop();
      const rc = shell === 'zsh' ? '~/.zshrc' : shell === 'fish' ? '~/.config/fish/config.fish' : '~/.bashrc';
      const p = profile === 'default' ? '' : ` --profile ${profile}`;
      const line = `aws-mfa-refresh status -q${p} || aws-mfa-refresh${p}`;
      out('');
      out(`Add this line to ${rc} to refresh at login only when needed:`);
      out(`  ${line}`);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ profile, longTermProfile, moved: !plan.alreadyDone, confirmed: true, mfaSerial: device ?? null, shellRc: rc, shellLine: line })}\n`);
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

async function pickDevice(flags: SetupFlags, profile: string, sourceProfile: string, streams: PromptStreams): Promise<string> {
  const debug = makeDebug(Boolean(flags.debug));
  const { awsFilePaths, loadAwsFiles } = await import('../profiles/aws-files.js');
  const { sourceConnection } = await import('../refresh.js');
  const files = await loadAwsFiles(awsFilePaths());
  const timeoutMs = parseDurationSeconds(flags.timeout, '--timeout') * 1000;
  const { conn } = sourceConnection(files, { ...flags, profile, sourceProfile, timeoutMs }, { debug });
  const { openAws, userNameFromArn } = await import('../aws/client.js');
  const aws = await openAws(conn, debug);
  const identity = await aws.callerIdentity();
  const userName = userNameFromArn(identity.arn);
  const devices = userName ? (await aws.listMfaDevices(userName)).filter((d) => d.kind !== 'passkey') : [];
  if (devices.length === 0) {
    throw new UserError(`${identity.arn} has no MFA device usable with GetSessionToken.`, ExitCode.Credentials, 'Create and enable a virtual MFA device in the IAM console, then run setup again.');
  }
  if (devices.length === 1) return devices[0]!.serialNumber;
  const { chooseDevice } = await import('../mfa/prompts.js');
  return (await chooseDevice(devices, streams)).serialNumber;
}
