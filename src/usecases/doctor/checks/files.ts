/** 1. files: both AWS files found (the config file is optional), readable, well-formed, private. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../../errors.js';
import type { AwsFilePaths, Divergence } from '../../../profiles/aws-files.js';
import { IniDocument, IniParseError } from '../../../profiles/ini-document.js';
import { readFileText } from '../../../profiles/file-store.js';
import { displayPath, octal, shellQuote } from '../../../platform/paths.js';
import { result, type CheckResult } from '../check.js';
import { currentPlatform, type Platform } from '../../../platform/platform.js';

/**
 * Both files: found (the config file is optional), readable, well-formed, private.
 * `loadable` says whether the later checks can read them.
 */
export async function checkFiles(
  paths: AwsFilePaths,
  env: NodeJS.ProcessEnv,
  platform: Platform = currentPlatform(),
): Promise<{ result: CheckResult; loadable: boolean }> {
  const problems: { status: 'fail' | 'warn'; message: string; hint?: string }[] = [];
  const found: string[] = [];
  const files = [
    { role: 'credentials', path: paths.credentials, variable: 'AWS_SHARED_CREDENTIALS_FILE' },
    { role: 'config', path: paths.config, variable: 'AWS_CONFIG_FILE' },
  ] as const;
  let loadable = true;
  for (const { role, path, variable } of files) {
    const where = `${role} file ${displayPath(path, platform.home(env))}${env[variable] ? ` (${variable})` : ''}`;
    let text: string | undefined;
    try {
      text = await readFileText(path);
    } catch (error) {
      loadable = false;
      const e = error instanceof UserError ? error : undefined;
      problems.push({
        status: 'fail',
        message: e?.message ?? `Cannot read the ${where}: ${String(error)}.`,
        hint: e?.hint ?? 'Check the file and its directory.',
      });
      continue;
    }
    if (text === undefined) {
      if (role === 'credentials') {
        problems.push({
          status: 'warn',
          message: `no ${where}`,
          hint: `Your long-term keys belong there: aws configure --profile NAME-long-term creates it${env[variable] ? '' : ' (or point AWS_SHARED_CREDENTIALS_FILE at yours)'}.`,
        });
      } else {
        found.push(`no ${where} (optional)`);
      }
      continue;
    }
    try {
      IniDocument.parse(text, { file: path });
    } catch (error) {
      loadable = false;
      if (error instanceof IniParseError) {
        problems.push({
          status: 'fail',
          message: `the ${role} file does not parse: ${error.message}`,
          hint: error.hint,
        });
      } else {
        throw error;
      }
      continue;
    }
    let mode: number | undefined;
    try {
      mode = (await stat(path)).mode & 0o777;
    } catch {
      // read a moment ago: a race with a writer; the next run tells
    }
    if (mode !== undefined && platform.modesMeanPrivacy(resolve(path)) && (mode & 0o177) !== 0) {
      const who = [mode & 0o070 && 'your group', mode & 0o007 && 'everyone', mode & 0o100 && 'executable']
        .filter(Boolean)
        .join(', ');
      problems.push({
        status: 'warn',
        message: `the ${where} has mode ${octal(mode)}, wider than 0600 (${who})`,
        hint: `Run: chmod 600 ${shellQuote(resolve(path))}`,
      });
    }
    // Windows: modes mean nothing; the ACL says who may read the keys.
    const others = role === 'credentials' ? await platform.othersWhoCanRead(resolve(path), env) : undefined;
    if (others) {
      problems.push({
        status: 'warn',
        message: `the ${where} can be read by ${others.readers.join(', ')} (its ACL), not only by you`,
        hint: `Run: ${others.fix.join(' then: ')}`,
      });
    }
    found.push(`${where}${mode !== undefined && platform.modesMeanPrivacy(resolve(path)) ? ` (${octal(mode)})` : ''}`);
  }
  if (problems.length === 0) {
    return { result: result('files', 'pass', `${found.join(', ')}: readable, well-formed, private`), loadable };
  }
  const status = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  const hints = [...new Set(problems.map((p) => p.hint).filter(Boolean))];
  return {
    result: result('files', status, problems.map((p) => p.message.replace(/\.$/, '')).join('; '), hints.join(' ')),
    loadable,
  };
}

/**
 * Keys this tool uses that the JS SDK reads differently from the AWS CLI (botocore): the same lines a
 * refresh warns with, as a warning of the files check (a pass becomes a warning; a failure stays one).
 */
export function withDivergences(check: CheckResult, divergences: readonly Divergence[]): CheckResult {
  if (divergences.length === 0 || check.status === 'fail' || check.status === 'skip') return check;
  const lines = divergences.map(
    (d) =>
      `${d.key} of "${d.profile}" at ${displayPath(d.file)}:${d.line}: ${d.reason}; ${d.readers} read it differently`,
  );
  const hints = [...new Set([check.hint, ...divergences.map((d) => d.fix)].filter(Boolean))];
  const found =
    check.status === 'pass'
      ? check.message.replace(/: readable, well-formed, private$/, ': readable, well-formed')
      : check.message;
  return result('files', 'warn', [found, ...lines].join('; '), hints.join(' '));
}
