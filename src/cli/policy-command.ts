/**
 * `aws-mfa-refresh policy`: prints the managed policy that makes MFA mandatory for a group of IAM
 * users, the policy this tool exists for. Offline; no AWS SDK. The implementation (src/policy/) is
 * imported on use, like the other commands'.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_MAX_MFA_AGE } from '../defaults.js';
import { DEFAULT_NAME, FORMATS, type Format } from '../policy/options.js';
import { PROGRAM } from './output.js';
import { parseDurationSeconds } from '../config/values.js';

interface PolicyFlags {
  maxAge: string;
  allow: string[];
  selfOnly?: boolean;
  format: Format;
  name: string;
  description?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addPolicyCommand(program: Command): void {
  program
    .command('policy')
    .description('print the IAM policy that denies all but MFA self-service without a recent MFA sign-in (offline)')
    .option(
      '--max-age <time>',
      'deny once the MFA sign-in is older than this (seconds, or 12h); use the same value as --max-mfa-age of refresh and status',
      String(DEFAULT_MAX_MFA_AGE),
    )
    .option(
      '--allow <action>',
      'also let callers without MFA use this action, e.g. iam:ListAccessKeys (repeatable)',
      collect,
      [],
    )
    .option(
      '--self-only',
      "also grant MFA and password self-service, each user on their own user and device only (AWS's example)",
    )
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('json'))
    .option('--name <name>', 'CloudFormation logical id and policy name; Terraform resource name', DEFAULT_NAME)
    .option('--description <text>', 'policy description (CloudFormation and Terraform)')
    .addHelpText(
      'after',
      `
The policy denies every action except those a user needs to set up MFA and change their password
when the request has no MFA (long-term access keys) or the MFA sign-in is older than --max-age.
It grants nothing by itself (with --self-only it grants the self-service): attach it next to the
users' usual permissions, e.g. to their group.

Examples:
  $ aws-mfa-refresh policy > mfa-policy.json
  $ aws iam create-policy --policy-name MfaEnforcement --policy-document file://mfa-policy.json
  $ aws-mfa-refresh policy --self-only --max-age 8h --format cloudformation-yaml > mfa.yaml
  $ aws-mfa-refresh policy --format terraform --name MfaEnforcement > mfa.tf
  $ aws-mfa-refresh policy --allow iam:ListAccessKeys --allow iam:GetAccountSummary`,
    )
    .action(async (flags: PolicyFlags) => {
      const [{ RISKY_EXEMPTIONS }, { buildPolicy, checkMaxAge }, { defaultDescription, render }] = await Promise.all([
        import('../policy/actions.js'),
        import('../policy/document.js'),
        import('../policy/render.js'),
      ]);
      const maxAge = checkMaxAge(parseDurationSeconds(flags.maxAge, '--max-age'));
      const document = buildPolicy({ maxAge, allow: flags.allow, selfOnly: Boolean(flags.selfOnly) });
      for (const action of new Set(document.Statement.flatMap((s) => s.NotAction ?? []))) {
        const risk = RISKY_EXEMPTIONS.get(action);
        if (risk) process.stderr.write(`${PROGRAM}: warning: --allow ${action} ${risk}.\n`);
      }
      const description = flags.description ?? defaultDescription(maxAge);
      process.stdout.write(render(document, flags.format, { name: flags.name, description }));
    });
}
