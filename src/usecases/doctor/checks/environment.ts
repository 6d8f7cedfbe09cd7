/** 7. environment: no AWS keys or profile variables overriding the target profile. */
import { result, type CheckResult } from '../check.js';
import { currentPlatform, type Platform } from '../../../platform/platform.js';

const KEY_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
] as const;

/**
 * Keys in the environment beat every profile in the AWS CLI and SDKs; AWS_PROFILE and
 * AWS_DEFAULT_PROFILE choose the profile they use. Never prints a variable's value except the
 * profile names.
 */
export function checkEnvironment(
  env: NodeJS.ProcessEnv,
  names: { target?: string; source?: string },
  targetSessionKeyId?: string,
  platform: Platform = currentPlatform(),
): CheckResult {
  const { target, source } = names;
  const problems: { status: 'fail' | 'warn'; message: string; hint: string }[] = [];
  const keys = KEY_VARIABLES.filter((v) => env[v]);
  if (keys.length > 0) {
    const these = keys.join(', ');
    const verb = keys.length === 1 ? 'is' : 'are';
    if (targetSessionKeyId && env.AWS_ACCESS_KEY_ID === targetSessionKeyId) {
      problems.push({
        status: 'warn',
        message: `${these} ${verb} set in this shell, from the current session of profile "${target}": the AWS CLI and SDKs use ${keys.length === 1 ? 'it' : 'them'} before any profile, and ${keys.length === 1 ? 'it goes' : 'they go'} stale when that session is refreshed`,
        hint: `After each refresh run ${platform.envLoadLine(env)} again, or run: ${platform.unsetCommand(keys, env)}`,
      });
    } else {
      problems.push({
        status: 'fail',
        message: `${these} ${verb} set in this shell: the AWS CLI and SDKs use ${keys.length === 1 ? 'it' : 'them'} before any profile${target ? `, so profile "${target}" is ignored` : ''}`,
        hint: `Run: ${platform.unsetCommand(keys, env)}`,
      });
    }
  }
  const profileVar = env.AWS_PROFILE?.trim();
  const defaultVar = env.AWS_DEFAULT_PROFILE?.trim();
  if (profileVar && target && profileVar !== target) {
    const longTerm =
      profileVar === source ? ` (the long-term keys, to which an MFA policy denies almost everything)` : '';
    problems.push({
      status: 'warn',
      message: `AWS_PROFILE=${profileVar} but the target profile is "${target}": the AWS CLI and SDKs use "${profileVar}"${longTerm}`,
      hint: `Run: ${platform.exportCommand('AWS_PROFILE', target, env)}${profileVar === source ? '' : ` (or aws-mfa-refresh --profile ${profileVar} if that is the profile you mean)`}.`,
    });
  }
  if (defaultVar && defaultVar !== profileVar) problems.push(readersDisagree(profileVar, defaultVar, env, platform));
  // Windows: botocore reads %USERPROFILE%\.aws and ignores HOME (set by Git Bash, MSYS, Cygwin).
  if (
    platform.kind === 'win32' &&
    env.HOME &&
    env.USERPROFILE &&
    env.HOME.toLowerCase() !== env.USERPROFILE.toLowerCase()
  ) {
    problems.push({
      status: 'warn',
      message: `HOME (${env.HOME}) differs from USERPROFILE (${env.USERPROFILE}): the AWS CLI reads ~/.aws under USERPROFILE, and so does aws-mfa-refresh; tools that follow HOME read another ~/.aws`,
      hint: 'Keep one ~/.aws: unset HOME for AWS tools, or point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE at one place',
    });
  }
  if (problems.length === 0) {
    const profile = env.AWS_PROFILE?.trim() ? `AWS_PROFILE=${env.AWS_PROFILE.trim()}` : 'AWS_PROFILE unset';
    return result(
      'environment',
      'pass',
      `no AWS keys in the environment; ${profile}${target ? `, so tools use profile "${target}"` : ''}`,
    );
  }
  const status = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  return result(
    'environment',
    status,
    problems.map((p) => p.message).join('; '),
    problems.map((p) => p.hint.replace(/\.?$/, '.')).join(' '),
  );
}

/**
 * AWS_DEFAULT_PROFILE is read differently by each reader: the AWS CLI v2 (and this tool) take
 * AWS_PROFILE first, botocore (boto3, the AWS CLI v1) takes AWS_DEFAULT_PROFILE first, and the AWS
 * SDK for JavaScript ignores it. Name which tools end up in which profile.
 */
function readersDisagree(
  profileVar: string | undefined,
  defaultVar: string,
  env: NodeJS.ProcessEnv,
  platform: Platform,
): { status: 'warn'; message: string; hint: string } {
  const readers: [tool: string, profile: string][] = [
    ['the AWS CLI v2', profileVar || defaultVar],
    ['aws-mfa-refresh', profileVar || defaultVar],
    ['botocore (boto3)', defaultVar],
    ['the AWS CLI v1', defaultVar],
    ['the AWS SDK for JavaScript (which ignores AWS_DEFAULT_PROFILE)', profileVar || 'default'],
  ];
  const byProfile = new Map<string, string[]>();
  for (const [tool, profile] of readers) byProfile.set(profile, [...(byProfile.get(profile) ?? []), tool]);
  const list = (tools: string[]) => tools.join(', ').replace(/, ([^,]*)$/, ' and $1');
  const who = [...byProfile].map(([profile, tools]) => `profile "${profile}" for ${list(tools)}`).join('; ');
  const set = profileVar
    ? `AWS_PROFILE=${profileVar} and AWS_DEFAULT_PROFILE=${defaultVar}`
    : `AWS_DEFAULT_PROFILE=${defaultVar} without AWS_PROFILE`;
  return {
    status: 'warn',
    message: `${set}: tools disagree on the profile: ${who}`,
    hint: `Run: ${platform.sequence(
      [
        ...(profileVar ? [] : [platform.exportCommand('AWS_PROFILE', defaultVar, env)]),
        platform.unsetCommand(['AWS_DEFAULT_PROFILE'], env),
      ],
      env,
    )} (every tool reads AWS_PROFILE)`,
  };
}
