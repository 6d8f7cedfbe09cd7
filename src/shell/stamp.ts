/**
 * The session stamp: a one-line file per profile that lets a shell hook decide "session usable?"
 * with builtins only, without starting Node.
 *
 * File: $XDG_STATE_HOME/aws-mfa-refresh/stamps/<profile> (default ~/.local/state/...), mode 0600.
 * Line: `1 OK_UNTIL USABLE_UNTIL CREDENTIALS_MTIME CREDENTIALS_FILE`
 *   1                  format version (a hook that reads another version falls back to `status -q`)
 *   OK_UNTIL           epoch seconds until which no refresh is needed: usable-until minus the safety margin
 *   USABLE_UNTIL       epoch seconds when the session stops working (for the prompt's "3h12m left")
 *   CREDENTIALS_MTIME  whole seconds, of the credentials file as this stamp saw it (zsh and fish compare it)
 *   CREDENTIALS_FILE   the path the stamp speaks for, as the hook computes it (last: it may hold spaces)
 * A stamp is current while the credentials file is not newer than the stamp file itself: every shell's
 * `test A -nt B` builtin compares the two mtimes (to the nanosecond on Linux), so any later write of the
 * credentials file, by us or anyone, sends the hook to `aws-mfa-refresh status -q`, which re-stamps.
 * Nothing secret is in it. Stamps are a cache: every failure to write one is ignored.
 *
 * Next to them, skip/<profile>: an empty file the hook itself creates (a builtin redirection) when the
 * refresh said the profile takes no session from us (exit 5 or 7); until an AWS file is newer than it,
 * the hook leaves that profile alone. The tool only makes sure the directory exists, and clears the
 * marker when it stamps the profile.
 */
// Synchronous calls: a stamp is a few bytes, and `status` then never starts libuv's thread pool.
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const STAMP_FORMAT = 1;
/** The tool's default safety margin: refresh when less than this is left. */
export const MAX_MARGIN_SECONDS = 30 * 60;

function stateDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'aws-mfa-refresh');
}

export function stampsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'stamps');
}

export function skipDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'skip');
}

/** Both directories, so the hook can write its marker without starting mkdir. */
function makeDirs(env: NodeJS.ProcessEnv): void {
  mkdirSync(stampsDir(env), { recursive: true, mode: 0o700 });
  mkdirSync(skipDir(env), { recursive: true, mode: 0o700 });
}

function unlinkIfThere(file: string): void {
  try {
    // Asked first: a failed unlink costs an exception, and the file is nearly always absent.
    if (statSync(file, { throwIfNoEntry: false })) unlinkSync(file);
  } catch {
    // not there, or not ours to remove: either way nothing to do
  }
}

/** Profile names the hooks can turn into a file name with builtins (no `/`, not `.` or `..`). */
export function stampableProfile(profile: string): boolean {
  return profile.length > 0 && !/[/\\\n\0]/.test(profile) && profile !== '.' && profile !== '..';
}

export function stampFile(profile: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return stampableProfile(profile) ? join(stampsDir(env), profile) : undefined;
}

/**
 * The margin the stamp keeps before usable-until: the tool's min-remaining, but never more than a
 * quarter of the session (a 1 h session is not "due" after 30 min).
 */
export function stampMargin(minRemainingSeconds = MAX_MARGIN_SECONDS, sessionSeconds?: number): number {
  const quarter = sessionSeconds && sessionSeconds > 0 ? Math.floor(sessionSeconds / 4) : Infinity;
  return Math.max(0, Math.min(minRemainingSeconds, quarter));
}

export interface StampInput {
  profile: string;
  usableUntil: Date;
  /** Seconds before usableUntil from which a refresh is due (see stampMargin). */
  marginSeconds: number;
  /** The credentials file as the hook names it (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials). */
  credentialsFile: string;
  env?: NodeJS.ProcessEnv;
}

export interface Stamp {
  okUntil: number;
  usableUntil: number;
  credentialsMtime: number;
  credentialsFile: string;
}

export function formatStamp(s: Stamp): string {
  return `${STAMP_FORMAT} ${s.okUntil} ${s.usableUntil} ${s.credentialsMtime} ${s.credentialsFile}\n`;
}

export function parseStamp(text: string): Stamp | undefined {
  const m = /^1 (\d+) (\d+) (\d+) ([^\n]+)\n?$/.exec(text);
  if (!m) return undefined;
  return { okUntil: Number(m[1]), usableUntil: Number(m[2]), credentialsMtime: Number(m[3]), credentialsFile: m[4]! };
}

/** Writes (atomically) the stamp of a profile whose session was just written or judged. Returns the file, or undefined. */
export async function writeStamp(input: StampInput): Promise<string | undefined> {
  const env = input.env ?? process.env;
  const file = stampFile(input.profile, env);
  if (!file || /[\n\0]/.test(input.credentialsFile)) return undefined;
  try {
    // Read after the credentials were written, so the stamp file (written next) is the newer one.
    const credentials = statSync(input.credentialsFile, { bigint: true });
    const existing = statSync(file, { bigint: true, throwIfNoEntry: false });
    const until = Math.floor(input.usableUntil.getTime() / 1000);
    const text = formatStamp({
      okUntil: Math.max(0, until - Math.ceil(input.marginSeconds)),
      usableUntil: Math.max(0, until),
      credentialsMtime: Number(credentials.mtimeNs / 1_000_000_000n),
      credentialsFile: input.credentialsFile,
    });
    unlinkIfThere(join(skipDir(env), input.profile));
    // `status` runs often: a stamp that says the same and is not older than the credentials file
    // (the hook's `-nt` test) is left as it is.
    if (existing && existing.mtimeNs >= credentials.mtimeNs && readFileSync(file, 'utf8') === text) return file;
    makeDirs(env);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, file);
    return file;
  } catch {
    return undefined;
  }
}

/** Removes a profile's stamp (its session is gone): the hook then asks `status -q`. */
export async function removeStamp(profile: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = stampFile(profile, env);
  if (!file) return;
  unlinkIfThere(file);
  try {
    makeDirs(env);
  } catch {
    // a cache: see above
  }
}

export async function readStamp(profile: string, env: NodeJS.ProcessEnv = process.env): Promise<Stamp | undefined> {
  const file = stampFile(profile, env);
  if (!file) return undefined;
  try {
    return parseStamp(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
