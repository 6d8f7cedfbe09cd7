/** The doctor's last guard: no secret value it came across reaches a message. */
import { mergedProfile, type AwsFiles } from '../../profiles/aws-files.js';
import type { Profile } from '../../profiles/session.js';
import type { CheckResult } from './check.js';

export function secretsOf(files: AwsFiles | undefined, env: NodeJS.ProcessEnv): string[] {
  const secrets = new Set<string>();
  const add = (v: string | undefined) => {
    if (v && v.trim().length >= 8) secrets.add(v.trim());
  };
  const profiles: Profile[] = files ? [...Object.values(files.credentials), ...Object.values(files.config)] : [];
  for (const p of profiles) {
    add(p.aws_secret_access_key);
    add(p.aws_session_token);
    add(p.aws_security_token);
  }
  add(env.AWS_SECRET_ACCESS_KEY);
  add(env.AWS_SESSION_TOKEN);
  add(env.AWS_SECURITY_TOKEN);
  if (files) for (const name of Object.keys(files.credentials)) add(mergedProfile(files, name)?.aws_secret_access_key);
  return [...secrets];
}

export function scrubSecrets(checks: CheckResult[], secrets: string[]): CheckResult[] {
  const scrub = (text: string) =>
    secrets.reduce((t, s) => t.split(s).join('[redacted]'), text.replace(/\s*\n\s*/g, ' '));
  return checks.map((c) => ({ ...c, message: scrub(c.message), ...(c.hint !== undefined && { hint: scrub(c.hint) }) }));
}
