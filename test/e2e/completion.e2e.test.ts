import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, symlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CLI, makeSandbox, runProcess, type Sandbox } from './harness.js';

let s: Sandbox;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  s = await makeSandbox();
  await s.writeCredentials('[alpha-long-term]\naws_access_key_id = AKIA1\naws_secret_access_key = x\n');
  await s.writeConfig('[profile beta]\nregion = eu-west-1\n[default]\nregion = us-east-1\n');
  const bin = join(s.home, 'bin');
  await mkdir(bin);
  await symlink(CLI, join(bin, 'aws-mfa-refresh'));
  env = { ...s.env, PATH: `${bin}${delimiter}${process.env.PATH}` };
});
afterAll(() => s.cleanup());

function shell(cmd: string, args: string[]) {
  return runProcess(cmd, args, { env, stdin: 'open' });
}

describe('completion scripts', () => {
  it('bash: loads without error and completes commands, flags, profile names and formats', async () => {
    const r = await shell('bash', [
      '-c',
      `set -e; source <(aws-mfa-refresh completion bash)
complete -p aws-mfa-refresh
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _aws_mfa_refresh; echo "$*=> \${COMPREPLY[*]}"; }
t aws-mfa-refresh st
t aws-mfa-refresh --profile ""
t aws-mfa-refresh status --al
t aws-mfa-refresh env --format f
t aws-mfa-refresh --for
t aws-mfa-refresh policy --format cloud
t aws-mfa-refresh keys ""
t aws-mfa-refresh keys --profile x rot
t aws-mfa-refresh keys rotate --code-
t aws-mfa-refresh keys import --st
t aws-mfa-refresh status ""`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('complete -F _aws_mfa_refresh aws-mfa-refresh');
    expect(r.stdout).toContain('aws-mfa-refresh st=> status');
    expect(r.stdout).toContain('aws-mfa-refresh --profile => alpha-long-term beta default');
    expect(r.stdout).toContain('aws-mfa-refresh status --al=> --all');
    expect(r.stdout).toContain('aws-mfa-refresh env --format f=> fish');
    expect(r.stdout).toContain('aws-mfa-refresh --for=> --force');
    expect(r.stdout).toContain('aws-mfa-refresh policy --format cloud=> cloudformation-yaml cloudformation-json');
    expect(r.stdout).toContain('aws-mfa-refresh keys => import list export remove credential-process rotate');
    expect(r.stdout).toContain('aws-mfa-refresh keys --profile x rot=> rotate');
    expect(r.stdout).toContain('aws-mfa-refresh keys rotate --code-=> --code-command');
    expect(r.stdout).toContain('aws-mfa-refresh keys import --st=> --store');
    expect(r.stdout).toContain('aws-mfa-refresh status => --profile'); // a command without subcommands: its flags
  });

  it('zsh: loads after compinit without error and defines the completion function', async () => {
    const r = await shell('zsh', [
      '-f',
      '-c',
      'autoload -U compinit && compinit -u && source <(aws-mfa-refresh completion zsh) && whence -w _aws_mfa_refresh && echo ${_comps[aws-mfa-refresh]}',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('_aws_mfa_refresh: function\n_aws_mfa_refresh\n');
  });

  it('fish: completes profile names, formats, and the keys subcommands then their flags', async () => {
    const r = await shell('fish', [
      '--no-config',
      '-c',
      [
        'aws-mfa-refresh completion fish | source',
        ...['--profile ', 'env --format p', 'policy --format t', 'keys ', 'keys rotate --code-'].map(
          (line) => `complete -C "aws-mfa-refresh ${line}"`,
        ),
      ].join('; '),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'alpha-long-term',
      'beta',
      'default',
      'powershell',
      'terraform',
      'credential-process',
      'export',
      'import',
      'list',
      'remove',
      'rotate',
      '--code-command',
    ]);
  });

  it('rejects an unknown shell with exit 2', async () => {
    const r = await s.run(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/completion needs a shell: bash, zsh, fish/);
  });
});
