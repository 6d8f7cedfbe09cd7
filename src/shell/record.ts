/**
 * What commands call after they wrote or judged a session: one call each, so the call sites stay one line.
 */
import { readdirSync } from 'node:fs';
import { currentPlatform } from '../platform/platform.js';
import { VERSION } from '../version.js';
import { removeStamp, stampMargin, writeStamp } from './stamp.js';

export interface SessionSeen {
  profile: string;
  usableUntil: Date;
  expiration: Date;
  /** When the session was issued, if known: its length bounds the margin. */
  issued?: Date;
  /** The min-remaining the command judged with, in seconds. */
  minRemainingSeconds: number;
  credentialsFile: string;
}

function stampOf(s: SessionSeen) {
  const sessionSeconds = s.issued ? (s.expiration.getTime() - s.issued.getTime()) / 1000 : undefined;
  return {
    profile: s.profile,
    usableUntil: s.usableUntil,
    marginSeconds: stampMargin(s.minRemainingSeconds, sessionSeconds),
    credentialsFile: s.credentialsFile,
  };
}

/** After a refresh (or a refresh that found the session still valid): the stamp, and hooks older than the tool. */
export async function recordRefresh(s: SessionSeen): Promise<void> {
  await Promise.all([writeStamp(stampOf(s)), hooksInstalled() && rewriteOlderHooks()]);
}

/** Whether the hooks' directory holds a hook: most refreshes then need not load the hook templates. */
function hooksInstalled(): boolean {
  try {
    return readdirSync(currentPlatform().dataDir(process.env)).some((name) => name.startsWith('hook.'));
  } catch {
    return false;
  }
}

async function rewriteOlderHooks(): Promise<void> {
  const { refreshInstalledHooks } = await import('./install.js');
  await refreshInstalledHooks(VERSION);
}

/** After `status` judged a profile: its stamp, or none when it holds no dated session. */
export async function recordStatus(profile: string, s: Omit<SessionSeen, 'profile'> | undefined): Promise<void> {
  await (s ? writeStamp(stampOf({ ...s, profile })) : removeStamp(profile));
}
