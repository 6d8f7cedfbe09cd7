/**
 * The target's kind (a profile whose credentials come from elsewhere cannot hold a session), where
 * the JS SDK reads it as another kind than the AWS CLI, and profiles whose credential_process runs
 * this tool's session `credential-process` for that same profile (it would read its own output).
 */
import type { AwsFiles } from '../../../profiles/aws-files.js';
import { KIND_LABEL, classifyProfile, whatProvides, writeBlockingKind } from '../../../profiles/kinds.js';
import { profileNames } from '../../../roles/chain.js';
import { result, type CheckResult } from '../check.js';

/** The profile a `credential_process` command line asks this tool's session credential-process for, if it does. */
export function selfServedProfile(commandLine: string): string | undefined {
  const words = commandLine.trim().split(/\s+/);
  const at = words.findIndex(
    (w, i) => /(^|\/)aws-mfa-refresh(\.c?js)?$/.test(w) && words[i + 1] === 'credential-process',
  );
  if (at < 0) return undefined;
  const rest = words.slice(at + 2);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '--profile' || w === '-p') return rest[i + 1];
    const m = /^--profile=(.+)$/.exec(w);
    if (m) return m[1];
  }
  return 'default';
}

export function checkKinds(files: AwsFiles, target: string): CheckResult {
  const loops = profileNames(files).filter((name) => {
    const process = classifyProfile(files, name).values.credential_process;
    return process !== undefined && selfServedProfile(process) === name;
  });
  if (loops.length) {
    const name = loops[0]!;
    return result(
      'kinds',
      'fail',
      `profile "${name}" runs aws-mfa-refresh credential-process for itself: it would read its own output, and once a session is in [${name}] the AWS CLI uses those keys and never runs the process again`,
      `Name a separate profile: credential_process = aws-mfa-refresh credential-process --profile ${name}-session, and let [${name}-session] hold the session.`,
    );
  }
  const c = classifyProfile(files, target);
  const blocking = writeBlockingKind(files, target);
  if (blocking && blocking !== 'role') {
    return result(
      'kinds',
      'fail',
      `profile "${target}" is ${KIND_LABEL[blocking]}: ${whatProvides(c, blocking)}`,
      'Choose a profile that holds an MFA session with --profile.',
    );
  }
  const differ = profileNames(files)
    .map((name) => classifyProfile(files, name))
    .filter((p) => p.jsKind);
  if (differ.length) {
    return result(
      'kinds',
      'warn',
      differ
        .map((p) => `the AWS CLI reads "${p.profile}" as ${KIND_LABEL[p.kind]}, the JS SDK as ${KIND_LABEL[p.jsKind!]}`)
        .join('; '),
      'Keep one kind of credentials per profile.',
    );
  }
  const by =
    c.sessionBy === 'us'
      ? ' (written by aws-mfa-refresh)'
      : c.sessionBy === 'aws-mfa-role'
        ? ' (a role session written by aws-mfa --assume-role: a refresh needs --force)'
        : c.sessionBy === 'other'
          ? ' (written by another tool)'
          : '';
  return result(
    'kinds',
    c.sessionBy === 'aws-mfa-role' ? 'warn' : 'pass',
    `profile "${target}" is ${blocking === 'role' ? 'a role profile' : KIND_LABEL[c.kind]}${by}`,
  );
}
