/**
 * `roles`: every role profile, its source chain and whether it works off the MFA session as it
 * stands; `roles --fix` and `setup`: the rewrite that makes it so, planned then applied.
 */
import { ExitCode, UserError } from '../errors.js';
import { awsFilePaths, loadAwsFiles, type AwsFiles } from '../profiles/aws-files.js';
import { readFileText, updateFile } from '../profiles/file-store.js';
import type { Platform } from '../platform/platform.js';
import { roleChain, roleProfiles, type RoleChain } from '../roles/chain.js';
import { applyFixes, plannedFixes, type RoleFix } from '../roles/fix.js';

export interface RoleRow extends RoleChain {
  works: boolean;
}

export function roleRows(files: AwsFiles): RoleRow[] {
  return roleProfiles(files).map((name) => {
    const chain = roleChain(files, name);
    return { ...chain, works: chain.problems.length === 0 };
  });
}

export interface RoleFixPlan {
  configFile: string;
  /** The OS's rules the store follows when the plan is applied (default: this machine's). */
  platform?: Platform;
  before: string;
  after: string;
  fixes: RoleFix[];
  rows: RoleRow[];
}

/** `only`: just the roles that source from this session profile (setup). */
export async function planRoleFix(env: NodeJS.ProcessEnv, only?: string, platform?: Platform): Promise<RoleFixPlan> {
  const paths = awsFilePaths(env, platform);
  const files = await loadAwsFiles(paths);
  const before = (await readFileText(paths.config)) ?? '';
  const rows = roleRows(files);
  const fixes = plannedFixes(files, rows, only);
  const after = fixes.length ? applyFixes(before, paths.config, fixes) : before;
  return { configFile: paths.config, before, after, fixes, rows, ...(platform && { platform }) };
}

/** Writes the plan; the file must still be what was shown. */
export async function applyRoleFix(plan: RoleFixPlan): Promise<void> {
  if (plan.after === plan.before) return;
  await updateFile(
    plan.configFile,
    (current) => {
      if ((current ?? '') !== plan.before) {
        throw new UserError(
          `${plan.configFile} changed while roles --fix was running; nothing was written.`,
          ExitCode.Unexpected,
          'Run aws-mfa-refresh roles --fix again.',
        );
      }
      return plan.after;
    },
    { platform: plan.platform },
  );
}
