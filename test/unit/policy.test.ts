/**
 * `aws-mfa-refresh policy`: the document, its renderers, the action checks, and the command itself
 * (run through addPolicyCommand on a fresh commander program, since main.ts registers it separately).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import fc from 'fast-check';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { addPolicyCommand } from '../../src/cli/policy-command.js';
import { addRefreshOptions } from '../../src/cli/refresh-command.js';
import { addStatusCommand } from '../../src/cli/status-command.js';
import { parseDurationSeconds } from '../../src/config/values.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { DEFAULT_MAX_MFA_AGE } from '../../src/defaults.js';
import {
  actionDocUrl,
  checkAction,
  closest,
  DEFAULT_ACTIONS,
  DEFAULT_EXEMPT_ACTIONS,
  editDistance,
  exemptActions,
  KNOWN_ACTIONS,
  PERMISSIONLESS_ACTIONS,
  SERVICE_PREFIXES,
} from '../../src/policy/actions.js';
import { buildPolicy, DEFAULT_MAX_AGE, type PolicyDocument, type Statement } from '../../src/policy/document.js';
import { escapeHclTemplate, hclString, toYaml, yamlString } from '../../src/policy/render.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = readFileSync(join(REPO, 'test/fixtures/policy/default.json'), 'utf8');

interface Run {
  stdout: string;
  stderr: string;
}

/** Runs `policy ARGS` on a fresh program; stdout and stderr are captured, errors are thrown. */
async function run(...args: string[]): Promise<Run> {
  const program = new Command('aws-mfa-refresh').exitOverride().configureOutput({ writeErr: () => {} });
  addPolicyCommand(program);
  program.exitOverride();
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeErr: () => {} });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['policy', ...args], { from: 'user' });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout: stdout.join(''), stderr: stderr.join('') };
}

async function runError(...args: string[]): Promise<UserError> {
  const error = await run(...args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

const policyOf = async (...args: string[]) => JSON.parse((await run(...args)).stdout) as PolicyDocument;
const deny = (doc: PolicyDocument) => doc.Statement.filter((s) => s.Effect === 'Deny');
const sorted = (list: readonly string[]) => [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

afterEach(() => vi.restoreAllMocks());

describe('default policy (json)', () => {
  it('prints exactly the fixture, ending in one newline', async () => {
    const { stdout, stderr } = await run();
    expect(stdout).toBe(FIXTURE);
    expect(stdout.endsWith('}\n')).toBe(true);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual(JSON.parse(FIXTURE));
  });

  it('is two Deny statements on everything but the MFA self-service, without MFA and with stale MFA', async () => {
    const doc = await policyOf();
    expect(doc.Version).toBe('2012-10-17');
    expect(doc.Statement.map((s) => [s.Sid, s.Effect, s.Resource])).toEqual([
      ['DenyAllExceptMfaSetupWithoutMfa', 'Deny', '*'],
      ['DenyAllExceptMfaSetupWithStaleMfa', 'Deny', '*'],
    ]);
    expect(doc.Statement[0]!.Condition).toEqual({ Null: { 'aws:MultiFactorAuthAge': 'true' } });
    expect(doc.Statement[1]!.Condition).toEqual({ NumericGreaterThan: { 'aws:MultiFactorAuthAge': '43200' } });
    for (const s of doc.Statement) {
      expect(s.Action).toBeUndefined();
      expect(s.NotAction).toEqual(doc.Statement[0]!.NotAction);
    }
    const notAction = doc.Statement[0]!.NotAction!;
    expect(notAction).toEqual(sorted(notAction));
    expect(new Set(notAction).size).toBe(notAction.length);
    for (const required of [
      'iam:ChangePassword',
      'iam:CreateVirtualMFADevice',
      'iam:EnableMFADevice',
      'iam:GetUser',
      'iam:ListMFADevices',
      'iam:ListUsers',
      'iam:ListVirtualMFADevices',
      'iam:ResyncMFADevice',
      'iam:GetAccountPasswordPolicy',
      'sts:GetSessionToken',
    ]) {
      expect(notAction).toContain(required);
    }
    // Never exempt: they would let a caller without MFA remove the MFA device.
    expect(notAction).not.toContain('iam:DeactivateMFADevice');
    expect(notAction).not.toContain('iam:DeleteVirtualMFADevice');
    // Cannot be denied, so listing it would only mislead.
    expect(notAction).not.toContain('sts:GetCallerIdentity');
  });

  it('uses the same MFA age default as refresh and status (--max-mfa-age)', () => {
    expect(DEFAULT_MAX_AGE).toBe(DEFAULT_MAX_MFA_AGE);
    expect(DEFAULT_MAX_AGE).toBe(43200);
    const program = new Command('aws-mfa-refresh');
    addStatusCommand(program);
    const flagDefaults = [addRefreshOptions(new Command('refresh')), program.commands[0]!].map((command) => {
      const option = command.options.find((o) => o.long === '--max-mfa-age')!;
      return parseDurationSeconds(String(option.defaultValue), '--max-mfa-age');
    });
    expect(flagDefaults).toEqual([DEFAULT_MAX_AGE, DEFAULT_MAX_AGE]);
  });
});

describe('--max-age', () => {
  it('3600 changes only the NumericGreaterThan value', async () => {
    const expected = JSON.parse(FIXTURE) as PolicyDocument;
    expected.Statement[1]!.Condition!.NumericGreaterThan!['aws:MultiFactorAuthAge'] = '3600';
    const doc = await policyOf('--max-age', '3600');
    expect(doc).toEqual(expected);
    expect(doc).not.toEqual(JSON.parse(FIXTURE));
  });

  it('accepts the 12h style', async () => {
    expect(await policyOf('--max-age', '1h')).toEqual(await policyOf('--max-age', '3600'));
    expect((await run('--max-age', '12h')).stdout).toBe(FIXTURE);
    const doc = await policyOf('--max-age', '1h30m');
    expect(doc.Statement[1]!.Condition).toEqual({ NumericGreaterThan: { 'aws:MultiFactorAuthAge': '5400' } });
  });

  it.each(['0', '0s', '-5', '1.5', 'soon', '', '99999999999999999999'])(
    'rejects %j as a usage error',
    async (value) => {
      const error = await runError('--max-age', value);
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toContain('--max-age');
    },
  );
});

describe('--allow', () => {
  it('adds actions to both Deny statements, sorted and without duplicates', async () => {
    const doc = await policyOf(
      '--allow',
      's3:ListAllMyBuckets',
      '--allow',
      'iam:ListAccessKeys',
      '--allow',
      'iam:ListAccessKeys',
      '--allow',
      'iam:GetUser',
      '--allow',
      'iam:List*',
    );
    const expected = sorted([...DEFAULT_ACTIONS, 'iam:ListAccessKeys', 'iam:List*', 's3:ListAllMyBuckets']);
    for (const s of deny(doc)) expect(s.NotAction).toEqual(expected);
    expect(doc.Statement).toHaveLength(2);
  });

  it('prints the same policy whatever the order of the flags', async () => {
    const a = await run('--allow', 'iam:ListAccessKeys', '--allow', 'ec2:DescribeRegions');
    const b = await run('--allow', 'ec2:DescribeRegions', '--allow', 'iam:ListAccessKeys');
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(FIXTURE);
  });

  it.each([
    ['iam:GetUsr', 'iam:GetUser'],
    ['iam:listmfadevices', 'iam:ListMFADevices'],
    ['iam:ListVirtualMfaDevices', 'iam:ListVirtualMFADevices'],
    ['IAM:GetUser', 'iam:GetUser'],
    ['sts:GetSesionToken', 'sts:GetSessionToken'],
    ['iam:CreateAccesKey', 'iam:CreateAccessKey'],
    ['s4:GetObject', 's3:GetObject'],
    ['ec2:describeInstances', 'ec2:DescribeInstances'],
    ['iam:Lsit*', 'iam:List*'],
    ['iam:list*', 'iam:List*'],
  ])('rejects %s and suggests %s', async (wrong, right) => {
    const error = await runError('--allow', wrong);
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message).toContain(wrong);
    expect(error.hint).toContain(`Did you mean ${right}?`);
  });

  it.each(['GetUser', '*', 'iam:*', 's3:*', 'iam:Get User', 'iam:GetUser:x', 'iam:', ':GetUser', 'iam:ZzzTopAction'])(
    'rejects %j',
    async (wrong) => {
      const error = await runError('--allow', wrong);
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toContain(JSON.stringify(wrong));
    },
  );

  it('warns, on stderr, about exempting the actions that remove an MFA device', async () => {
    const { stdout, stderr } = await run('--allow', 'iam:DeleteVirtualMFADevice');
    expect(JSON.parse(stdout).Statement[0].NotAction).toContain('iam:DeleteVirtualMFADevice');
    expect(stderr).toMatch(/^aws-mfa-refresh: warning: --allow iam:DeleteVirtualMFADevice .+\.\n$/);
    expect((await run('--allow', 'iam:ListAccessKeys')).stderr).toBe('');
  });
});

describe('--self-only', () => {
  const USER = 'arn:aws:iam::*:user/${aws:username}';
  const MFA = 'arn:aws:iam::*:mfa/${aws:username}';

  it("grants the self-service on the caller's own user and device only", async () => {
    const doc = await policyOf('--self-only');
    const allow = doc.Statement.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual<Statement[]>([
      {
        Sid: 'AllowViewAccountInfo',
        Effect: 'Allow',
        Action: ['iam:GetAccountPasswordPolicy', 'iam:ListUsers', 'iam:ListVirtualMFADevices'],
        Resource: '*',
      },
      {
        Sid: 'AllowManageOwnVirtualMFADevice',
        Effect: 'Allow',
        Action: ['iam:CreateVirtualMFADevice', 'iam:DeleteVirtualMFADevice'],
        Resource: MFA,
      },
      {
        Sid: 'AllowManageOwnUserMFAAndPassword',
        Effect: 'Allow',
        Action: [
          'iam:ChangePassword',
          'iam:DeactivateMFADevice',
          'iam:EnableMFADevice',
          'iam:GetMFADevice',
          'iam:GetUser',
          'iam:ListMFADevices',
          'iam:ResyncMFADevice',
        ],
        Resource: USER,
      },
      {
        Sid: 'AllowManageOwnAccessKeys',
        Effect: 'Allow',
        Action: [
          'iam:CreateAccessKey',
          'iam:DeleteAccessKey',
          'iam:GetAccessKeyLastUsed',
          'iam:ListAccessKeys',
          'iam:UpdateAccessKey',
        ],
        Resource: USER,
      },
    ]);
    expect(doc.Statement.map((s) => s.Effect)).toEqual(['Allow', 'Allow', 'Allow', 'Allow', 'Deny', 'Deny']);
  });

  it('keeps the Deny statements exactly as without it', async () => {
    expect(deny(await policyOf('--self-only'))).toEqual(JSON.parse(FIXTURE).Statement);
    expect(deny(await policyOf('--self-only', '--max-age', '600'))).toEqual(deny(await policyOf('--max-age', '600')));
  });

  it('grants outside NotAction only the actions that remove MFA or manage access keys, so they need fresh MFA', async () => {
    const doc = await policyOf('--self-only');
    const notAction = new Set(doc.Statement.at(-1)!.NotAction);
    const granted = doc.Statement.flatMap((s) => s.Action ?? []);
    expect(granted.filter((a) => !notAction.has(a)).sort()).toEqual([
      'iam:CreateAccessKey',
      'iam:DeactivateMFADevice',
      'iam:DeleteAccessKey',
      'iam:DeleteVirtualMFADevice',
      'iam:GetAccessKeyLastUsed',
      'iam:ListAccessKeys',
      'iam:UpdateAccessKey',
    ]);
    for (const action of granted) expect(checkAction(action)).toBe(action);
  });
});

describe('--format cloudformation-yaml / cloudformation-json', () => {
  it.each([[[]], [['--self-only']], [['--self-only', '--allow', 'iam:List*', '--max-age', '2h']]])(
    'YAML parses to the CloudFormation JSON, around the JSON policy (%j)',
    async (extra) => {
      const yamlText = (await run('--format', 'cloudformation-yaml', ...extra)).stdout;
      const jsonText = (await run('--format', 'cloudformation-json', ...extra)).stdout;
      const policy = await policyOf(...extra);
      const template = JSON.parse(jsonText);
      expect(parseYaml(yamlText)).toEqual(template);
      // A YAML 1.1 reader (yes/no/on/off booleans, dates) reads the same.
      expect(parseYaml(yamlText, { version: '1.1' })).toEqual(template);
      expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
      expect(Object.keys(template.Resources)).toEqual(['MfaEnforcement']);
      const resource = template.Resources.MfaEnforcement;
      expect(resource.Type).toBe('AWS::IAM::ManagedPolicy');
      expect(resource.Properties.ManagedPolicyName).toBe('MfaEnforcement');
      expect(resource.Properties.Description).toMatch(/aws-mfa-refresh policy/);
      expect(resource.Properties.PolicyDocument).toEqual(policy);
      expect(yamlText.endsWith('\n') && !yamlText.endsWith('\n\n')).toBe(true);
      expect(jsonText.endsWith('}\n')).toBe(true);
    },
  );

  it('quotes the strings YAML would read as something else', async () => {
    const yamlText = (await run('--format', 'cloudformation-yaml', '--self-only')).stdout;
    expect(yamlText).toContain('AWSTemplateFormatVersion: "2010-09-09"');
    expect(yamlText).toContain('Version: "2012-10-17"');
    expect(yamlText).toContain('"aws:MultiFactorAuthAge": "43200"');
    expect(yamlText).toContain('"aws:MultiFactorAuthAge": "true"');
    expect(yamlText).toContain('Resource: "*"');
    expect(yamlText).toContain('Resource: "arn:aws:iam::*:mfa/${aws:username}"');
    expect(yamlText).toContain('Type: "AWS::IAM::ManagedPolicy"');
    expect(yamlText).toContain('  MfaEnforcement:\n    Type:');
  });

  it('uses --name and --description', async () => {
    const description = 'MFA: "required" ${aws:username} #1 - yes';
    const template = parseYaml(
      (await run('--format', 'cloudformation-yaml', '--name', 'TeamMfa', '--description', description)).stdout,
    );
    expect(Object.keys(template.Resources)).toEqual(['TeamMfa']);
    expect(template.Resources.TeamMfa.Properties).toMatchObject({
      ManagedPolicyName: 'TeamMfa',
      Description: description,
    });
  });

  it('the default description names the MFA age', async () => {
    const template = JSON.parse((await run('--format', 'cloudformation-json', '--max-age', '90m')).stdout);
    expect(template.Resources.MfaEnforcement.Properties.Description).toContain('5400 seconds');
  });

  it.each(['my-policy', '1Policy', 'has space', '', 'x'.repeat(129)])('rejects --name %j', async (name) => {
    const error = await runError('--format', 'cloudformation-yaml', '--name', name);
    expect(error.exitCode).toBe(ExitCode.Usage);
  });

  it.each(['x'.repeat(1001), 'two\nlines'])(
    'rejects a --description that IAM or one line cannot hold',
    async (text) => {
      expect((await runError('--format', 'terraform', '--description', text)).exitCode).toBe(ExitCode.Usage);
    },
  );
});

describe('YAML writer', () => {
  const tricky = [
    '43200',
    '0x1F',
    '1e3',
    '-1',
    '.5',
    '.inf',
    '.NaN',
    'true',
    'True',
    'yes',
    'No',
    'on',
    'OFF',
    'y',
    'n',
    'null',
    'Null',
    '~',
    '',
    ' ',
    ' lead',
    'trail ',
    '*',
    '*alias',
    '&anchor',
    '!tag',
    '%dir',
    '@at',
    '`tick',
    '|',
    '>',
    '?',
    ':',
    '-',
    '- x',
    '#c',
    'a #b',
    'a: b',
    'a:b',
    '{a}',
    '[b]',
    ',',
    '${aws:username}',
    '2012-10-17',
    '2010-09-09T00:00:00Z',
    '12:30',
    '1_000',
    'multi\nline',
    'tab\there',
    'quote"s',
    "apos'",
    'back\\slash',
    'é ü 日本',
    '\u0085',
    '\u007f',
    '\u0000',
    '\u2028',
    'Deny',
    'AWS::IAM::ManagedPolicy',
    '<<',
  ];

  it('round-trips tricky strings, as values and as keys, through YAML 1.2 and 1.1 readers', () => {
    const value = {
      list: tricky,
      map: Object.fromEntries(tricky.map((s, i) => [s, i % 2 ? s : [s]])),
      empty: [],
      none: {},
      n: 5,
    };
    const text = toYaml(value);
    expect(parseYaml(text)).toEqual(value);
    expect(parseYaml(text, { version: '1.1' })).toEqual(value);
    // Only YAML's printable set appears raw (the spec excludes C0 but tab/LF, DEL and C1 but NEL; NEL is a line break in 1.1).
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('round-trips any nesting of strings, integers, booleans and nulls', () => {
    const leaf = fc.oneof(
      fc.string({ unit: 'binary-ascii' }),
      fc.string({ unit: 'grapheme' }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('tree'), { maxLength: 4 }),
      object: fc.dictionary(fc.string({ unit: 'binary-ascii' }), tie('tree'), { maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        expect(parseYaml(toYaml(value as never))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves only plain words unquoted', () => {
    expect(yamlString('Deny')).toBe('Deny');
    expect(yamlString('MfaEnforcement')).toBe('MfaEnforcement');
    expect(yamlString('yes')).toBe('"yes"');
    expect(yamlString('43200')).toBe('"43200"');
    expect(yamlString('${aws:username}')).toBe('"${aws:username}"');
  });
});

describe('--format terraform', () => {
  /** The JSON inside `policy = jsonencode(...)`, with HCL's `$${` / `%%{` escapes undone. */
  function payload(hcl: string): unknown {
    const match = /\n {2}policy {6}= jsonencode\((\{[\s\S]*\})\)\n\}\n$/.exec(hcl);
    expect(match).not.toBeNull();
    return JSON.parse(match![1]!.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{'));
  }

  it.each([[[]], [['--self-only']], [['--self-only', '--allow', 'iam:List*', '--max-age', '15m']]])(
    'prints an aws_iam_policy resource whose jsonencode payload is the policy (%j)',
    async (extra) => {
      const hcl = (await run('--format', 'terraform', ...extra)).stdout;
      expect(
        hcl.startsWith(
          'resource "aws_iam_policy" "MfaEnforcement" {\n  name        = "MfaEnforcement"\n  description = "',
        ),
      ).toBe(true);
      expect(payload(hcl)).toEqual(await policyOf(...extra));
      // No live interpolation or template directive is left.
      expect(hcl).not.toMatch(/(?<!\$)\$\{/);
      expect(hcl).not.toMatch(/(?<!%)%\{/);
      // Brackets balance (outside strings nothing else is emitted).
      const code = hcl.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      for (const [open, close] of [
        ['{', '}'],
        ['[', ']'],
        ['(', ')'],
      ] as const) {
        expect(code.split(open).length).toBe(code.split(close).length);
      }
    },
  );

  it('escapes ${ in the self-only resources as $${', async () => {
    const hcl = (await run('--format', 'terraform', '--self-only')).stdout;
    expect(hcl).toContain('"Resource": "arn:aws:iam::*:user/$${aws:username}"');
    expect(hcl).toContain('"Resource": "arn:aws:iam::*:mfa/$${aws:username}"');
  });

  it('uses --name and escapes --description for HCL', async () => {
    const hcl = (
      await run('--format', 'terraform', '--name', 'TeamMfa', '--description', 'Use ${var} and %{if} "quoted" \\ here')
    ).stdout;
    expect(hcl).toContain('resource "aws_iam_policy" "TeamMfa" {\n  name        = "TeamMfa"\n');
    expect(hcl).toContain('  description = "Use $${var} and %%{if} \\"quoted\\" \\\\ here"\n');
  });

  it('HCL string and template escapes', () => {
    expect(escapeHclTemplate('a ${b} $${c} %{d} $x %y')).toBe('a $${b} $$${c} %%{d} $x %y');
    expect(hclString('tab\tnew\nline\r"q"\\')).toBe('"tab\\tnew\\nline\\r\\"q\\"\\\\"');
    expect(hclString('\u0001')).toBe('"\\u0001"');
  });
});

describe('command line', () => {
  it('rejects an unknown --format', async () => {
    const error = await run('--format', 'xml').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).code).toBe('commander.invalidArgument');
  });

  it('--help lists the options, the --max-mfa-age rule and examples', async () => {
    const error = await run('--help').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as CommanderError).code).toBe('commander.helpDisplayed');
    const program = new Command('aws-mfa-refresh');
    addPolicyCommand(program);
    const policy = program.commands.find((c) => c.name() === 'policy')!;
    let help = '';
    policy.configureOutput({ writeOut: (s) => (help += s) }).exitOverride();
    expect(() => policy.parse(['--help'], { from: 'user' })).toThrow(CommanderError);
    for (const flag of ['--max-age', '--allow', '--self-only', '--format', '--name', '--description'])
      expect(help).toContain(flag);
    expect(help).toContain('--max-mfa-age');
    expect(help).toContain('cloudformation-yaml');
    expect(help).toContain('$ aws-mfa-refresh policy');
  });

  it('reaches neither the AWS SDK nor inquirer', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.')) visit(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
        else packages.add(fileName);
      }
    };
    visit(join(REPO, 'src/cli/policy-command.ts'));
    expect([...seen].some((f) => f.endsWith('src/policy/render.ts'))).toBe(true);
    expect(packages.has('commander')).toBe(true);
    expect([...packages].filter((p) => /^@aws-sdk\/|^@smithy\/|inquirer/.test(p))).toEqual([]);
  });
});

describe('actions', () => {
  it('every default, known and permission-less action passes its own check', () => {
    for (const action of [...DEFAULT_ACTIONS, ...PERMISSIONLESS_ACTIONS.map((a) => a.action)])
      expect(checkAction(action)).toBe(action);
    for (const [service, names] of Object.entries(KNOWN_ACTIONS)) {
      expect(names.length).toBeGreaterThan(10);
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(checkAction(`${service}:${name}`)).toBe(`${service}:${name}`);
    }
    expect(DEFAULT_ACTIONS).toEqual(sorted(DEFAULT_ACTIONS));
    expect(exemptActions()).toEqual(DEFAULT_ACTIONS);
  });

  it('every default is documented with a link', () => {
    for (const { action, doc, why } of DEFAULT_EXEMPT_ACTIONS) {
      expect(doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/(IAM|STS)\/latest\/APIReference\/API_\w+\.html$/);
      expect(doc).toContain(action.split(':')[1]);
      expect(why.length).toBeGreaterThan(20);
    }
    expect(actionDocUrl('iam:GetUser')).toBe('https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html');
    expect(actionDocUrl('sts:GetCallerIdentity')).toBe(
      'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html',
    );
    expect(actionDocUrl('iam:PassRole')).toMatch(/list_awsidentityandaccessmanagementiam\.html$/);
    expect(actionDocUrl('sts:TagSession')).toMatch(/list_awssecuritytokenservice\.html$/);
  });

  it("the README's policy section explains every default and the permission-less actions", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const doc = readme.slice(readme.indexOf('## The MFA policy'), readme.indexOf('## Safety with your keys'));
    for (const action of [...DEFAULT_ACTIONS, 'sts:GetCallerIdentity']) expect(doc).toContain(`\`${action}\``);
    expect(doc).toContain('No permissions are required');
  });

  it('knows the usual service prefixes', () => {
    for (const prefix of ['iam', 'sts', 's3', 'ec2', 'kms', 'execute-api', 'rds-db', 'sso'])
      expect(SERVICE_PREFIXES.has(prefix)).toBe(true);
    expect(SERVICE_PREFIXES.has('s4')).toBe(false);
  });

  it('refuses a policy IAM would not store', () => {
    const everything = KNOWN_ACTIONS.iam.map((a) => `iam:${a}`);
    expect(() => buildPolicy({ allow: everything })).toThrow(/at most 6144/);
  });

  it('edit distance and suggestions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('GetUsr', KNOWN_ACTIONS.iam)).toBe('GetUser');
    expect(closest('Completely', ['GetUser', 'ListUsers'])).toBeUndefined();
  });
});
