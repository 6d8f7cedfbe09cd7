import type { Command } from 'commander';
import { ExitCode, QuietExit, UserError } from '../errors.js';
import type { RoleFixPlan, RoleRow } from '../usecases/roles.js';
import { terminalStreams } from '../mfa/terminal.js';
import { addFlags, flagValues } from './options.js';
import { paint } from './output.js';
import { confirm } from './confirm.js';

export function addRolesCommand(program: Command): void {
  const command = program
    .command('roles')
    .description(
      'list role profiles, their source chain and whether they work off the MFA session (offline; exit 0 when all do)',
    );
  addFlags(command, ['fix', 'yes', 'json'], {
    json: 'print the role profiles as a JSON array (with --fix: the outcome as one JSON object)',
  })
    .addHelpText(
      'after',
      `
A role profile works off the MFA session when its source_profile chain ends at the profile that
holds the session, without mfa_serial (the session already carries the MFA context) and with
duration_seconds of at most 3600 (AWS's limit for roles assumed with session credentials).

Examples:
  $ aws-mfa-refresh roles
  $ aws-mfa-refresh roles --fix          # shows the change to ~/.aws/config and asks
  $ aws-mfa-refresh roles --fix --yes    # for scripts`,
    )
    .action(async () => {
      const flags = flagValues(command);
      const { planRoleFix, applyRoleFix } = await import('../usecases/roles.js');
      const plan = await planRoleFix(process.env);
      if (!flags.fix) {
        if (flags.json) process.stdout.write(`${JSON.stringify(plan.rows.map(rowJson))}\n`);
        else printRows(plan.rows);
        if (!plan.rows.every((r) => r.works)) throw new QuietExit();
        return;
      }
      const human = flags.json ? process.stderr : process.stdout;
      const applied = await offerRoleFix(plan, { yes: Boolean(flags.yes), human, apply: applyRoleFix });
      const left = (applied ? (await planRoleFix(process.env)).rows : plan.rows).filter((r) => !r.works);
      for (const r of left)
        human.write(`${paint(human, 31, '✖')} ${r.profile}: ${r.problems.map((p) => p.message).join('; ')}\n`);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ fixed: applied ? plan.fixes.map((f) => f.profile) : [], confirmed: applied, remaining: left.map(rowJson) })}\n`,
        );
      }
      if (left.length) throw new QuietExit();
    });
}

/** Shows the diff of the config file, asks (unless yes), writes. True when written. */
export async function offerRoleFix(
  plan: RoleFixPlan,
  opts: { yes: boolean; human: NodeJS.WriteStream; apply: (plan: RoleFixPlan) => Promise<void> },
): Promise<boolean> {
  const out = (line = '') => opts.human.write(`${line}\n`);
  if (plan.fixes.length === 0) {
    out('No role profile needs a rewrite.');
    return false;
  }
  const { lineDiff } = await import('../profiles/diff.js');
  out(`Role profiles to source from the MFA session (${plan.fixes.map((f) => f.profile).join(', ')}):`);
  out(paint(opts.human, 1, plan.configFile));
  out(lineDiff(plan.before, plan.after));
  if (!opts.yes) {
    const streams = terminalStreams();
    if (!streams)
      throw new UserError(
        'roles --fix needs your confirmation, and there is no terminal to ask on.',
        ExitCode.InputNeeded,
        'Run it in a terminal, or pass --yes.',
      );
    if (!(await confirm('Write these changes?', streams))) {
      out('Nothing was written.');
      return false;
    }
  }
  await opts.apply(plan);
  out(
    `${paint(opts.human, 32, '✔')} Rewrote ${plan.fixes.map((f) => `"${f.profile}"`).join(', ')} in ${plan.configFile}.`,
  );
  return true;
}

function rowJson(r: RoleRow) {
  return {
    profile: r.profile,
    roleArn: r.roleArn,
    chain: r.chain,
    sourceProfile: r.source ?? null,
    sourceKind: r.sourceKind ?? null,
    sessionProfile: r.sessionProfile ?? null,
    credentialSource: r.credentialSource ?? null,
    works: r.works,
    problems: r.problems,
  };
}

function describeSource(r: RoleRow): string {
  if (r.credentialSource) return `credential_source ${r.credentialSource}`;
  const kind =
    r.sourceKind === 'session' || r.sourceKind === 'none'
      ? 'MFA session'
      : r.sourceKind === 'long-term-keys'
        ? 'long-term keys'
        : r.sourceKind;
  return `${r.chain.join(' → ')}${kind ? ` (${kind})` : ''}`;
}

function printRows(rows: RoleRow[]): void {
  const out = process.stdout;
  if (rows.length === 0) {
    out.write('No role profiles (role_arn with source_profile) in the AWS config.\n');
    return;
  }
  for (const r of rows) {
    const mark = r.works ? paint(out, 32, '✔') : paint(out, 31, '✖');
    out.write(`${mark} ${r.profile}  ${r.roleArn}  ${describeSource(r)}\n`);
    for (const p of r.problems) out.write(`    ${p.message}\n`);
  }
  const broken = rows.filter((r) => !r.works);
  if (broken.length) {
    const fixable = broken.some((r) => r.sessionProfile);
    out.write(
      `${broken.length} of ${rows.length} role profiles do not work off the MFA session as they stand${fixable ? '; run aws-mfa-refresh roles --fix' : ''}.\n`,
    );
  }
}
