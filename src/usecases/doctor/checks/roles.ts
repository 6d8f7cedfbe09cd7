/** The role profiles: each works off the MFA session as it stands (the problems `roles` lists). */
import type { AwsFiles } from '../../../profiles/aws-files.js';
import { roleChain, roleProfiles } from '../../../roles/chain.js';
import { plural, result, type CheckResult } from '../check.js';

export function checkRoles(files: AwsFiles): CheckResult {
  const names = roleProfiles(files);
  if (names.length === 0) return result('roles', 'pass', 'no role profiles');
  const broken = names.map((name) => roleChain(files, name)).filter((c) => c.problems.length > 0);
  if (broken.length === 0)
    return result('roles', 'pass', `${plural(names.length, 'role profile')}, all work off the MFA session`);
  const fixable = broken.some((c) => c.sessionProfile);
  return result(
    'roles',
    'warn',
    broken.map((c) => `${c.profile}: ${c.problems.map((p) => p.message).join('; ')}`).join('. '),
    fixable
      ? 'Run: aws-mfa-refresh roles --fix (it shows the change to ~/.aws/config and asks).'
      : 'Fix source_profile of these profiles in ~/.aws/config; aws-mfa-refresh roles shows each chain.',
  );
}
