/** `aws-mfa-refresh keys …`: the long-term keys in the OS keychain or an encrypted file (issue 13). */
import type { Command } from 'commander';
import { ExitCode, UserError } from '../errors.js';
import { addFlags, flagValues } from './options.js';
import { paint, warn } from './output.js';
import { terminalStreams } from '../mfa/terminal.js';
import { confirm as confirmOnTerminal } from './confirm.js';
import type { FlagValues } from './flags.js';

const SRC_HELP = 'the profile holding the long-term keys (default: the source profile of $AWS_PROFILE or "default")';

export function addKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('keep the long-term keys in the OS keychain or an encrypted file instead of ~/.aws/credentials');
  const sub = (name: string, description: string) => {
    const c = keys.command(name).description(description);
    c.exitOverride().configureOutput({ writeErr: () => {} });
    return c;
  };

  const importCmd = sub('import', 'move the long-term keys of a profile out of ~/.aws/credentials into a key store');
  addFlags(importCmd, ['profile', 'store', 'credentialProcess', 'yes', 'json', 'debug'], {
    profile: SRC_HELP,
    store: 'keychain (the OS credential store; default) or file (an encrypted file)',
  })
    .addHelpText(
      'after',
      `
Examples:
  $ aws-mfa-refresh keys import                       # shows the change, asks, moves the keys into the keychain
  $ aws-mfa-refresh keys import --profile work-long-term --store file --yes
The file store asks its passphrase on the terminal, or reads AWS_MFA_REFRESH_PASSPHRASE (see the README for the risk).`,
    )
    .action(() => run(importCmd, runImport));

  const list = sub(
    'list',
    'list the stored keys (profile, store, masked key id, when stored); no secret, no passphrase',
  );
  addFlags(list, ['json']).action(() => run(list, runList));

  const exportCmd = sub('export', 'put the stored long-term keys back into ~/.aws/credentials (plaintext)');
  addFlags(exportCmd, ['profile', 'store', 'yes', 'json', 'debug'], { profile: SRC_HELP }).action(() =>
    run(exportCmd, runExport),
  );

  const remove = sub('remove', 'delete the stored keys of a profile (warns when that is the only copy)');
  addFlags(remove, ['profile', 'store', 'yes', 'json', 'debug'], { profile: SRC_HELP }).action(() =>
    run(remove, runRemove),
  );

  const cp = sub('credential-process', 'print the stored long-term keys as credential_process JSON (for the AWS CLI)');
  addFlags(cp, ['profile'], { profile: SRC_HELP })
    .addHelpText(
      'after',
      '\nIn ~/.aws/config (keys import writes it):\n  credential_process = aws-mfa-refresh keys credential-process --profile work-long-term',
    )
    .action(() => run(cp, runCredentialProcess));

  const rotate = sub(
    'rotate',
    'replace the long-term key with a new one: fresh MFA session, create, verify, store, delete the old',
  );
  addFlags(
    rotate,
    ['profile', 'serialNumber', 'code', 'codeCommand', 'region', 'endpointUrl', 'timeout', 'json', 'debug'],
    {
      profile: SRC_HELP,
    },
  )
    .addHelpText(
      'after',
      `
The session profile whose source_profile is SRC (else SRC without -long-term) gets a fresh MFA session first.
Needs iam:ListAccessKeys, iam:CreateAccessKey and iam:DeleteAccessKey on your own user: policy --self-only.`,
    )
    .action(() => run(rotate, async (flags) => (await import('./keys-rotate.js')).runRotate(flags)));
}

async function run(command: Command, action: (flags: FlagValues) => Promise<void>): Promise<void> {
  await action(flagValues(command));
}

function storeKind(value: string | undefined): 'keychain' | 'file' | undefined {
  if (value === undefined || value === 'keychain' || value === 'file') return value;
  throw new UserError(
    `--store ${JSON.stringify(value)} is not a key store.`,
    ExitCode.Usage,
    'Use --store keychain or --store file.',
  );
}

/** Human text goes to stderr when stdout carries JSON. */
function human(flags: FlagValues): (line?: string) => void {
  const stream = flags.json ? process.stderr : process.stdout;
  return (line = '') => stream.write(`${line}\n`);
}

async function confirm(message: string, byDefault: boolean, flags: FlagValues, what: string): Promise<boolean> {
  if (flags.yes) return true;
  const streams = terminalStreams();
  if (!streams)
    throw new UserError(
      `${what} needs your confirmation, and there is no terminal to ask on.`,
      ExitCode.InputNeeded,
      'Run it in a terminal, or pass --yes.',
    );
  return confirmOnTerminal(message, streams, byDefault);
}

async function runImport(flags: FlagValues): Promise<void> {
  const { keysProfile, planImport, applyImport } = await import('../usecases/keys.js');
  const { openStore } = await import('../usecases/source-keys.js');
  const { lineDiff, maskSecrets } = await import('../profiles/diff.js');
  const { maskKeyId } = await import('../keys/key-store.js');
  const env = process.env;
  const out = human(flags);
  const profile = await keysProfile(flags.profile, env);
  const kind = storeKind(flags.store) ?? 'keychain';
  const credentialProcess = flags.credentialProcess !== false;
  if (kind === 'file' && !env.AWS_MFA_REFRESH_PASSPHRASE && !terminalStreams()) {
    const { needInput } = await import('../mfa/terminal.js');
    throw needInput('The key file needs a passphrase', 'Run in a terminal, or set AWS_MFA_REFRESH_PASSPHRASE.');
  }
  const store = await openStore(kind, env);
  const plan = await planImport({ profile, store, env, credentialProcess });
  const show = (line: string) =>
    maskSecrets(line).replace(/^(\s*aws_access_key_id\s*=\s*)(\S+)/i, (_, k: string, id: string) => k + maskKeyId(id));
  if (plan.action === 'resume') out(`The keys of [${profile}] are already in ${store.location}; finishing the import:`);
  else out(`The long-term keys of [${profile}] move to ${store.location}:`);
  for (const [file, before, after] of [
    [plan.paths.credentials, plan.credentialsBefore, plan.credentialsAfter],
    [plan.paths.config, plan.configBefore, plan.configAfter],
  ] as const) {
    if (before === after) continue;
    out(paint(process.stdout, 1, file));
    out(lineDiff(before, after, { show }));
  }
  if (!(await confirm('Move the keys?', true, flags, 'keys import'))) {
    out('Nothing was changed.');
    if (flags.json) process.stdout.write(`${JSON.stringify({ profile, store: kind, imported: false })}\n`);
    return;
  }
  await applyImport(plan, store, credentialProcess);
  out(
    `${paint(process.stdout, 32, '✔')} Key ${maskKeyId(plan.accessKeyId)} of [${profile}] is now in ${store.location} only.`,
  );
  if (credentialProcess)
    out(
      `  The AWS CLI and SDKs read it through credential_process in [${profile === 'default' ? 'default' : `profile ${profile}`}] of ${plan.paths.config}.`,
    );
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ profile, store: kind, location: store.location, accessKeyId: maskKeyId(plan.accessKeyId), imported: true, credentialProcess })}\n`,
    );
}

async function runList(flags: FlagValues): Promise<void> {
  const { listKeys } = await import('../usecases/keys.js');
  const rows = await listKeys(process.env);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ keys: rows })}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('No stored keys. Move them out of ~/.aws/credentials with `aws-mfa-refresh keys import`.\n');
    return;
  }
  const table = [
    ['PROFILE', 'STORE', 'KEY', 'STORED', 'CREDENTIALS FILE'],
    ...rows.map((r) => [r.profile, r.store, r.accessKeyId, r.createdAt.replace(/\.\d+Z$/, 'Z'), r.credentialsFile]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    process.stdout.write(
      `${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`,
    );
}

async function runExport(flags: FlagValues): Promise<void> {
  const { keysProfile, storeOf } = await import('../usecases/keys.js');
  const { exportKeys } = await import('../keys/transfer.js');
  const { awsFilePaths } = await import('../profiles/aws-files.js');
  const { maskKeyId } = await import('../keys/key-store.js');
  const env = process.env;
  const out = human(flags);
  const profile = await keysProfile(flags.profile, env);
  const store = await storeOf(profile, env, storeKind(flags.store));
  const paths = awsFilePaths(env);
  // Read first: a wrong passphrase or a missing entry fails before the warning and the question.
  const { keyRef } = await import('../keys/transfer.js');
  if (!(await store.get(keyRef(profile, paths))))
    throw new UserError(
      `${store.location} holds no keys for profile "${profile}" of ${paths.credentials}.`,
      ExitCode.Credentials,
      'See `aws-mfa-refresh keys list`.',
    );
  warn(
    `this writes the long-term keys of [${profile}] back into ${paths.credentials} in plaintext, and removes them from ${store.location}.`,
  );
  if (!(await confirm('Export the keys?', false, flags, 'keys export'))) {
    out('Nothing was changed.');
    if (flags.json) process.stdout.write(`${JSON.stringify({ profile, exported: false })}\n`);
    return;
  }
  const result = await exportKeys({ store, profile, files: paths });
  out(
    `${paint(process.stdout, 32, '✔')} Key ${maskKeyId(result.accessKeyId)} of [${profile}] is back in ${paths.credentials}${result.exact ? ' (the original lines, byte for byte)' : ''}.`,
  );
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ profile, store: store.kind, accessKeyId: maskKeyId(result.accessKeyId), exported: true, exact: result.exact })}\n`,
    );
}

async function runRemove(flags: FlagValues): Promise<void> {
  const { keysProfile, storeOf, planRemove, applyRemove } = await import('../usecases/keys.js');
  const { maskKeyId } = await import('../keys/key-store.js');
  const env = process.env;
  const out = human(flags);
  const profile = await keysProfile(flags.profile, env);
  const store = await storeOf(profile, env, storeKind(flags.store));
  const plan = await planRemove(profile, store, env);
  const id = maskKeyId(plan.accessKeyId);
  if (plan.onlyCopy)
    warn(
      `${store.location} holds the only copy of key ${id} of [${profile}]: once removed, it is gone (create a new key in IAM, or run \`aws-mfa-refresh keys export\` instead).`,
    );
  if (
    !(await confirm(`Remove key ${id} of [${profile}] from ${store.location}?`, !plan.onlyCopy, flags, 'keys remove'))
  ) {
    out('Nothing was changed.');
    if (flags.json) process.stdout.write(`${JSON.stringify({ profile, removed: false })}\n`);
    return;
  }
  const { configChanged } = await applyRemove(plan, store);
  out(
    `${paint(process.stdout, 32, '✔')} Removed key ${id} of [${profile}] from ${store.location}${configChanged ? ' and its credential_process line' : ''}.`,
  );
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ profile, store: store.kind, accessKeyId: id, removed: true, onlyCopy: plan.onlyCopy })}\n`,
    );
}

async function runCredentialProcess(flags: FlagValues): Promise<void> {
  const { keysProfile, credentialProcessJson } = await import('../usecases/keys.js');
  const { controllingTerminal } = await import('../mfa/terminal.js');
  const env = process.env;
  const profile = await keysProfile(flags.profile, env);
  // stdout and stderr belong to the SDK that runs us: a passphrase is asked on the terminal itself.
  process.stdout.write(await credentialProcessJson(profile, env, controllingTerminal));
}
