/** Commands that hand a session to something else: env, exec, credential-process. */
import type { Command } from 'commander';
import { ExitCode, QuietExit, UserError } from '../errors.js';
import { formatTimestamp } from '../profiles/session.js';
import type { HandedOut } from '../usecases/hand-out.js';
import { refreshCommand } from '../config/hints.js';
import type { FlagValues } from './flags.js';
import { CREDENTIAL_PROCESS_COMMAND, ENV_COMMAND, EXEC_COMMAND } from './command-flags.js';
import { addCommandFlags, parsedArgs, type ParsedArgs } from './options.js';
import { isTerminal, makeDebug, notice, warn, writeResult } from './output.js';
import { SHELL_FORMATS, defaultFormat, renderEnv, type ShellFormat } from './shell-env.js';
import type { PromptStreams } from '../mfa/terminal.js';

/** Refreshes for a command whose stdout belongs to someone else: all talk goes to stderr. */
function refresher(flags: FlagValues, promptStreams?: () => PromptStreams | undefined) {
  return async () => {
    const { refresh } = await import('../usecases/refresh.js');
    const { systemDeps } = await import('../usecases/deps.js');
    const result = await refresh(
      { flags, force: false, remember: flags.remember, quiet: flags.quiet },
      {
        debug: makeDebug(Boolean(flags.debug)),
        warn: flags.quiet ? () => {} : warn,
        notice,
        ...(promptStreams && { promptStreams }),
      },
      systemDeps(),
    );
    if (result.refreshed && !flags.quiet) process.stderr.write(`✔ Profile "${result.profile}" refreshed.\n`);
  };
}

/**
 * A refresh for env and exec: on stdin/stderr when both are a terminal, else on the controlling
 * terminal (stdin piped in a terminal), leaving stdin alone: exec's child reads it.
 */
function refresherOnTerminal(flags: FlagValues) {
  return async (profile: string) => {
    const own = { ...flags, profile };
    if (isTerminal(0) && isTerminal(2)) return refresher(own)();
    const { controllingTerminal, closeTerminal } = await import('../mfa/terminal.js');
    const tty = await controllingTerminal();
    try {
      await refresher(own, () => tty)();
    } finally {
      closeTerminal(tty);
    }
  };
}

async function handOutFor(flags: FlagValues, refresh: boolean, runRefresh: (profile: string) => Promise<unknown>) {
  const { handOut } = await import('../usecases/hand-out.js');
  const { systemDeps } = await import('../usecases/deps.js');
  return handOut({ flags, refresh, debug: makeDebug(Boolean(flags.debug)) }, runRefresh, systemDeps());
}

function sessionVariables(c: HandedOut): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    AWS_SESSION_TOKEN: c.sessionToken,
    AWS_CREDENTIAL_EXPIRATION: formatTimestamp(c.expiration),
  };
}

export function addEnvCommand(program: Command): void {
  const command = addCommandFlags(
    program.command('env').description('print the session as environment variables, for eval "$(aws-mfa-refresh env)"'),
    ENV_COMMAND,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(aws-mfa-refresh env)"                       # bash, zsh
  $ aws-mfa-refresh env --format fish | source          # fish
  $ aws-mfa-refresh env --format powershell | Invoke-Expression
  > for /f "delims=" %i in ('aws-mfa-refresh env --format cmd') do @%i   # cmd.exe
  $ aws-mfa-refresh env --refresh --format dotenv > .env`,
    )
    .action(() => runEnv(parsedArgs(command, ENV_COMMAND)));
}

export async function runEnv({ flags, own }: ParsedArgs): Promise<void> {
  const format = (own.format ?? defaultFormat()) as ShellFormat;
  if (!SHELL_FORMATS.includes(format)) {
    throw new UserError(
      `--format ${own.format} is not one of ${SHELL_FORMATS.join(', ')}.`,
      ExitCode.Usage,
      'Example: --format fish.',
    );
  }
  const handed = await handOutFor(flags, Boolean(own.refresh), refresherOnTerminal(flags));
  writeResult(
    renderEnv(format, sessionVariables(handed), format === 'json' || format === 'dotenv' ? [] : ['AWS_PROFILE']),
  );
}

export function addExecCommand(program: Command): void {
  const command = addCommandFlags(
    program
      .command('exec')
      .description('run a command with the session in its environment, refreshing first when needed')
      .argument('<command>', 'the command to run')
      .argument('[args...]', 'its arguments'),
    EXEC_COMMAND,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh exec -- aws s3 ls
  $ aws-mfa-refresh exec --profile work -- terraform plan
  $ aws-mfa-refresh exec --profile work-admin -- terraform apply   # a role: renewed for as long as it runs

For a session profile the command gets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
and AWS_CREDENTIAL_EXPIRATION. For a role profile (or with --serve) it gets
AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN instead: a loopback
endpoint of this process that answers with fresh credentials, so the AWS CLI and SDKs renew role
sessions (at most 1 h) by themselves; AWS_SHARED_CREDENTIALS_FILE is pointed at an empty file so
keys in ~/.aws/credentials cannot shadow it. --env-keys gives plain keys instead. AWS_PROFILE is
removed. Its exit code is ours. In a terminal, Ctrl+C reaches the command from the terminal itself
(once); SIGTERM and SIGHUP are passed on. When stdin is piped, a code is asked on the terminal and the
command keeps the pipe.`,
    )
    .action(() => runExec(parsedArgs(command, EXEC_COMMAND)));
}

export async function runExec({ flags, args: [child, ...args] }: ParsedArgs): Promise<void> {
  const run = refresherOnTerminal(flags);
  const handed = await handOutFor(flags, true, run);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_SECURITY_TOKEN',
    'AWS_CREDENTIAL_EXPIRATION',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  ])
    delete env[name];
  // Without AWS_PROFILE the command would not find the profile's region: pass it on.
  if (handed.region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
    env.AWS_REGION = handed.region;
    env.AWS_DEFAULT_REGION = handed.region;
  }
  const serve = !flags.envKeys && (flags.serve || handed.role !== undefined);
  let server: import('../roles/credentials-server.js').CredentialsServer | undefined;
  if (serve) {
    const { serveCredentials } = await import('../roles/credentials-server.js');
    const { devNull } = await import('node:os');
    server = await serveCredentials(
      () => handOutFor(flags, false, run),
      (error) => {
        if (!flags.quiet) warn(`cannot renew the credentials of the command: ${(error as Error)?.message ?? error}`);
      },
    );
    Object.assign(env, server.env, { AWS_SHARED_CREDENTIALS_FILE: devNull });
  } else {
    Object.assign(env, sessionVariables(handed));
  }
  const { runChild } = await import('./run-child.js');
  try {
    const code = await runChild(child!, args, env);
    throw new QuietExit(code); // the child's exit code is ours
  } finally {
    await server?.close();
  }
}

export function addCredentialProcessCommand(program: Command): void {
  const command = addCommandFlags(
    program
      .command('credential-process')
      .description(
        'print the session as credential_process JSON, refreshing on the terminal (/dev/tty, CONIN$) when needed',
      ),
    CREDENTIAL_PROCESS_COMMAND,
  )
    .addHelpText(
      'after',
      `
Use it from ~/.aws/config so every SDK and the AWS CLI pick the session up:

  [profile work]
  credential_process = aws-mfa-refresh credential-process --profile work-session
  credential_process = cmd /c aws-mfa-refresh credential-process --profile work-session   (Windows)

The session is kept in [work-session] of ~/.aws/credentials. When it must be refreshed the code
is asked on the controlling terminal, never on stdout or stderr (the SDK captures those).`,
    )
    .action(() => runCredentialProcess(parsedArgs(command, CREDENTIAL_PROCESS_COMMAND)));
}

export async function runCredentialProcess({ flags }: ParsedArgs): Promise<void> {
  let tty: PromptStreams | undefined;
  try {
    const handed = await handOutFor(flags, true, async (profile) => {
      const { controllingTerminal } = await import('../mfa/terminal.js');
      tty = await controllingTerminal();
      if (!tty && flags.code === undefined) {
        throw new UserError(
          'The MFA session needs a refresh and there is no terminal (/dev/tty) to ask for the code on.',
          ExitCode.InputNeeded,
          `Run ${flags.profile ? `aws-mfa-refresh --profile ${flags.profile}` : refreshCommand('default')} in a terminal first.`,
        );
      }
      const streams = tty;
      await refresher({ ...flags, profile, quiet: true }, () => streams)();
    });
    const vars = sessionVariables(handed);
    writeResult(
      `${JSON.stringify({
        Version: 1,
        AccessKeyId: vars.AWS_ACCESS_KEY_ID,
        SecretAccessKey: vars.AWS_SECRET_ACCESS_KEY,
        SessionToken: vars.AWS_SESSION_TOKEN,
        Expiration: vars.AWS_CREDENTIAL_EXPIRATION,
      })}\n`,
    );
  } finally {
    const t = tty as PromptStreams | undefined;
    (t?.input as { destroy?: () => void } | undefined)?.destroy?.();
    (t?.output as { destroy?: () => void } | undefined)?.destroy?.();
  }
}
