/** 6. session: whether the target's session is usable, and until when. */
import type { AwsFiles } from '../../../profiles/aws-files.js';
import { formatDuration, formatLocalTime } from '../../../profiles/session.js';
import { judge } from '../../../profiles/session-state.js';
import { refreshCommand } from '../../../config/hints.js';
import { result, type CheckResult, type CheckStatus } from '../check.js';

export function checkSession(
  files: AwsFiles,
  target: string,
  limits: { maxMfaAgeSeconds: number; minRemainingSeconds: number },
  now: number,
): CheckResult {
  const { maxMfaAgeSeconds } = limits;
  const judged = judge(target, files.credentials[target], maxMfaAgeSeconds, limits.minRemainingSeconds, now);
  const run = refreshCommand(target);
  switch (judged.state) {
    case 'long-term':
      return result('session', 'skip', `profile "${target}" holds long-term keys, not a session (see profiles)`);
    case 'missing': {
      const values = files.credentials[target];
      return values?.aws_session_token || values?.aws_security_token
        ? result(
            'session',
            'warn',
            `profile "${target}" holds a session token without an expiration this tool can read, so it cannot tell how long it lasts`,
            `Run: ${run} --force`,
          )
        : result('session', 'warn', `profile "${target}" holds no MFA session yet`, `Run: ${run}`);
    }
  }
  const s = judged.session!;
  const limit = s.limitedByMfaAge
    ? ` (MFA age limit ${formatDuration(maxMfaAgeSeconds * 1000)}; it expires ${formatLocalTime(s.expiration)})`
    : '';
  const parts: string[] = [];
  const hints: string[] = [];
  let status: CheckStatus = 'pass';
  if (judged.state === 'expired') {
    status = 'warn';
    const why = s.limitedByMfaAge
      ? `its MFA sign-in is older than ${formatDuration(maxMfaAgeSeconds * 1000)}`
      : 'it expired';
    parts.push(
      `the session of profile "${target}" is no longer usable since ${formatLocalTime(s.usableUntil, new Date(now))} (${why})`,
    );
    hints.push(`Run: ${run}`);
  } else {
    const left = formatDuration(s.usableUntil.getTime() - now);
    parts.push(
      `the session of profile "${target}" is usable until ${formatLocalTime(s.usableUntil, new Date(now))}${limit}, ${left} left${judged.state === 'expiring' ? ' (the next refresh renews it)' : ''}${s.device ? `, device ${s.device}` : ''}`,
    );
  }
  if (s.issued) {
    const lengthMs = s.expiration.getTime() - s.issued.getTime();
    if (lengthMs > maxMfaAgeSeconds * 1000) {
      status = 'warn';
      parts.push(
        `it lasts ${formatDuration(lengthMs)}, longer than the MFA age limit (--max-mfa-age ${maxMfaAgeSeconds} s): policies that deny when aws:MultiFactorAuthAge > ${maxMfaAgeSeconds} make it useless after ${formatDuration(maxMfaAgeSeconds * 1000)}`,
      );
      const configDuration = files.config[target]?.duration_seconds;
      hints.push(
        `Ask for at most ${formatDuration(maxMfaAgeSeconds * 1000).replace(' 0m', '')}: ${run} --force --duration ${maxMfaAgeSeconds}${configDuration ? `, and lower duration_seconds (${configDuration}) of profile "${target}" in the config file` : ''}.`,
      );
    }
  }
  return result('session', status, parts.join('; '), hints.length > 0 ? hints.join(' ') : undefined);
}
