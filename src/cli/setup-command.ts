import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { DEFAULT_PROFILE, longTermProfileOf } from '../defaults.js';
import { VERSION } from '../version.js';
import { checkSerialNumber } from '../config/values.js';
import { dotfilesLine } from '../config/hints.js';
import { addFlags, flagValues } from './options.js';
import { makeDebug, paint } from './output.js';
import { terminalStreams, type PromptStreams } from '../mfa/terminal.js';
import { confirm } from './confirm.js';

const STORE_NAMES = { keychain: 'the OS keychain', file: 'the encrypted key file' } as const;

interface SetupFlags {
  longTermProfile?: string;
  yes?: boolean;
  device: boolean;
  keychain?: boolean;
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
  command.option('--keychain', 'last step: move the long-term keys into the OS keychain (same as --store keychain)');
  addFlags(command, ['store'], {
    store: 'last step: move the long-term keys into a key store: keychain or file (with --yes, only then)',
  });
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

      const plan = await planSetup(profile, longTermProfile, deps.env, deps.platform);
      if (plan.keyStore) {
        out(
          `The long-term keys of [${longTermProfile}] are already in the key store (${STORE_NAMES[plan.keyStore]}; keys import) and [${profile}] holds none: nothing to move.`,
        );
      } else if (plan.alreadyDone) {
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

      // Role profiles that source from this profile now work off its session: offer the same rewrite as roles --fix.
      const { planRoleFix, applyRoleFix } = await import('../usecases/roles.js');
      const rolePlan = await planRoleFix(deps.env, profile, deps.platform);
      if (rolePlan.fixes.length && (own.yes || streams)) {
        const { offerRoleFix } = await import('./roles-command.js');
        await offerRoleFix(rolePlan, { yes: Boolean(own.yes), human, apply: applyRoleFix });
      }

      const debug = makeDebug(Boolean(flags.debug));
      const device =
        serial ??
        (own.device && streams && (own.yes || (await confirm('Choose and remember your MFA device now?', streams)))
          ? await chooseSetupDevice({ ...flags, sourceProfile: longTermProfile }, streams, deps, debug)
          : undefined);
      if (device) {
        await updateConfigProfile(awsFilePaths(deps.env, deps.platform).config, profile, { mfa_serial: device }, deps);
        out(`${paint(human, 32, '✔')} Remembered ${device} as mfa_serial of profile "${profile}".`);
      } else if (own.device) {
        out('No MFA device chosen: aws-mfa-refresh will find it on the first refresh.');
      }

      // Keys already in a store are not offered a move again.
      const keyStore = plan.keyStore ?? (await offerKeyStore(longTermProfile, own, flags.store, streams, human));

      const { currentPlatform } = await import('../platform/platform.js');
      const rc = currentPlatform().rcFile(process.env.SHELL ?? '');
      const hook = await installShellHook(profile, deps.env);
      const line = hook ?? dotfilesLine(profile);
      out('');
      out(
        hook
          ? `Add this line to ${rc}: the shell hook refreshes at login in a terminal, and starts no process while the session is usable:`
          : `Add this line to ${rc} to refresh at login only when needed:`,
      );
      out(`  ${line}`);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ profile, longTermProfile, moved: !plan.alreadyDone, confirmed: true, mfaSerial: device ?? null, shellRc: rc, shellLine: line, ...(keyStore && { keyStore }) })}\n`,
        );
      }
    });
}

/**
 * The last step: the long-term keys into a key store. With --keychain or --store it happens (also
 * with --yes); otherwise a terminal is asked, default yes, only where a persistent keychain works.
 */
async function offerKeyStore(
  longTermProfile: string,
  own: SetupFlags,
  storeFlag: string | undefined,
  streams: PromptStreams | undefined,
  human: NodeJS.WriteStream,
): Promise<'keychain' | 'file' | undefined> {
  const out = (line = '') => human.write(`${line}\n`);
  if (storeFlag !== undefined && storeFlag !== 'keychain' && storeFlag !== 'file')
    throw new UserError(
      `--store ${JSON.stringify(storeFlag)} is not a key store.`,
      ExitCode.Usage,
      'Use --store keychain or --store file.',
    );
  const { openStore } = await import('../usecases/source-keys.js');
  let kind = (storeFlag as 'keychain' | 'file' | undefined) ?? (own.keychain ? 'keychain' : undefined);
  if (!kind) {
    if (own.yes || !streams) return undefined;
    const usable = await openStore('keychain', process.env).then(
      () => true,
      () => false,
    );
    if (!usable) {
      out('Tip: keep the long-term keys encrypted instead of in plaintext: aws-mfa-refresh keys import --store file');
      return undefined;
    }
    if (!(await confirm(`Move the long-term keys of [${longTermProfile}] into the OS keychain?`, streams)))
      return undefined;
    kind = 'keychain';
  }
  const { planImport, applyImport } = await import('../usecases/keys.js');
  const store = await openStore(kind, process.env);
  const plan = await planImport({ profile: longTermProfile, store, env: process.env, credentialProcess: true });
  await applyImport(plan, store, true);
  out(`${paint(human, 32, '✔')} The long-term keys of [${longTermProfile}] are now in ${store.location} only.`);
  return kind;
}

/**
 * The shell hook for the user's shell (bash, zsh, fish; PowerShell on Windows), installed under the
 * XDG data directory: its `source` line is the dotfiles line. Undefined for another shell, or when
 * the hook cannot be written: the caller prints the --if-interactive line instead.
 */
async function installShellHook(profile: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const name = (env.SHELL ?? '').split(/[\\/]/).pop() ?? '';
  const { currentPlatform } = await import('../platform/platform.js');
  const shell =
    name === 'bash' || name === 'zsh' || name === 'fish'
      ? name
      : !name && currentPlatform().kind === 'win32'
        ? 'powershell'
        : undefined;
  if (!shell) return undefined;
  const { installHook } = await import('../shell/install.js');
  try {
    const opts = profile === DEFAULT_PROFILE ? {} : { profile };
    return (await installHook(shell, opts, VERSION, env)).line;
  } catch {
    return undefined;
  }
}
