/**
 * Remembers the last code used per device (as a salted hash, never the code) so that when AWS
 * rejects a code we can say "that one was already used" instead of "wrong code".
 * State: $XDG_STATE_HOME/aws-mfa-refresh/used-codes.json (default ~/.local/state; Windows: %LOCALAPPDATA%), mode 0600.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { currentPlatform } from '../platform/platform.js';

interface Entry {
  hash: string;
  usedAt: string;
}

export const TOTP_STEP_SECONDS = 30;

export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(currentPlatform().stateDir(env), 'used-codes.json');
}

function hashOf(serialNumber: string, code: string): string {
  return createHash('sha256').update(`aws-mfa-refresh\0${serialNumber}\0${code}`).digest('hex');
}

async function load(file: string): Promise<Record<string, Entry>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, Entry>;
  } catch {
    return {};
  }
}

export async function recordUsedCode(
  serialNumber: string,
  code: string,
  now = new Date(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const file = stateFile(env);
  try {
    const state = await load(file);
    state[serialNumber] = { hash: hashOf(serialNumber, code), usedAt: now.toISOString() };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(state), { mode: 0o600 });
    await rename(temp, file);
  } catch {
    // Only a nicer message depends on it; never fail a refresh over it.
  }
}

/** When this code is the one last used for the device: when it was used. */
export async function previousUse(
  serialNumber: string,
  code: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Date | undefined> {
  const entry = (await load(stateFile(env)))[serialNumber];
  return entry?.hash === hashOf(serialNumber, code) ? new Date(entry.usedAt) : undefined;
}

export function secondsToNextCode(now = Date.now()): number {
  return TOTP_STEP_SECONDS - (Math.floor(now / 1000) % TOTP_STEP_SECONDS);
}
