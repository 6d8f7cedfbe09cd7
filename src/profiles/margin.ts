/**
 * The safety margin: how much must be left for a session to count as usable. One rule for every
 * judge (refresh, status, env, exec, credential-process, doctor, the shell hook's stamp):
 * min(--min-remaining, a quarter of the session's life), so a short session the tool just wrote is
 * usable by the tool's own rule (a 15 min session is not "due" at once under a 30 min margin).
 */

/**
 * The margin in seconds. `lifeSeconds`: how long the session is usable in all, from mfa_issued to its
 * usable-until (the expiration, or the MFA age limit when earlier); unknown (a session written by
 * another tool, without mfa_issued): the minimum remaining alone.
 */
export function marginSeconds(minRemainingSeconds: number, lifeSeconds?: number): number {
  const quarter = lifeSeconds !== undefined && lifeSeconds > 0 ? Math.floor(lifeSeconds / 4) : Infinity;
  return Math.max(0, Math.min(minRemainingSeconds, quarter));
}

/** The margin for a session as read from the credentials file. */
export function sessionMarginSeconds(
  minRemainingSeconds: number,
  session: { issued?: Date | undefined; usableUntil: Date },
): number {
  const life = session.issued ? (session.usableUntil.getTime() - session.issued.getTime()) / 1000 : undefined;
  return marginSeconds(minRemainingSeconds, life);
}
