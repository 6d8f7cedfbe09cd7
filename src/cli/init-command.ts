import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { VERSION } from '../version.js';
import { parseDurationSeconds } from '../config/values.js';

interface InitFlags {
  install?: boolean;
  profile?: string;
  wrapAws?: boolean;
  warnWithin: string;
}

const SHELL_NAMES = 'bash, zsh, fish or powershell';

export function addInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'print (or --install) the shell hook: refresh at shell start when needed, no process while the session is usable',
    )
    .argument('[shell]', 'bash | zsh | fish | powershell')
    .option(
      '--install',
      'write the hook to ~/.local/share/aws-mfa-refresh/hook.SHELL (Windows: %LOCALAPPDATA%\\aws-mfa-refresh) and print the line for your rc file',
    )
    .option(
      '-p, --profile <name>',
      'the profile to keep fresh (default: $AWS_PROFILE when the hook runs, else "default")',
    )
    .option('--wrap-aws', 'also define an `aws` function that refreshes first when needed')
    .option('--warn-within <time>', 'a one-line notice at the prompt when less than this is left', '15m')
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh init bash --install >> ~/.bashrc     # appends: source ~/.local/share/aws-mfa-refresh/hook.bash
  $ aws-mfa-refresh init zsh --install --wrap-aws        # prints the line for ~/.zshrc
  $ aws-mfa-refresh init fish | less                     # read the hook first
Prompt: PS1='\${AWS_MFA_PROMPT:+[$AWS_MFA_PROMPT] }\\$ ' (bash), RPROMPT='\${AWS_MFA_PROMPT}' with prompt_subst (zsh).`,
    )
    .action(async (shell: string | undefined, flags: InitFlags) => {
      const { isHookShell, hookScript } = await import('../shell/hook.js');
      if (!shell || !isHookShell(shell)) {
        const what = shell ? `"${shell}" is not a shell init knows` : 'init needs a shell';
        throw new UserError(
          `${what}: ${SHELL_NAMES}.`,
          ExitCode.Usage,
          'Example: aws-mfa-refresh init bash --install.',
        );
      }
      if (flags.profile !== undefined) {
        const { resolveProfile } = await import('../config/resolve.js');
        void resolveProfile({ flags: { profile: flags.profile }, env: {} }).target; // the same name rules as every --profile
      }
      const opts = {
        ...(flags.profile !== undefined && { profile: flags.profile.trim() }),
        wrapAws: Boolean(flags.wrapAws),
        warnWithinSeconds: parseDurationSeconds(flags.warnWithin, '--warn-within'),
      };
      if (!flags.install) {
        process.stdout.write(hookScript(shell, opts, VERSION));
        return;
      }
      const { installHook, rcFileOf } = await import('../shell/install.js');
      let installed;
      try {
        installed = await installHook(shell, opts, VERSION);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        throw new UserError(
          `Cannot write the hook${e.path ? ` ${e.path}` : ''}: ${e.code ?? e.message}.`,
          ExitCode.NotWritable,
          'Set XDG_DATA_HOME to a writable directory, or print the hook without --install.',
        );
      }
      process.stderr.write(
        `Wrote ${installed.file}. Add this line to ${rcFileOf(shell)} (later versions of aws-mfa-refresh keep the hook up to date):\n`,
      );
      process.stdout.write(`${installed.line}\n`);
    });
}
