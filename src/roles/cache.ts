/**
 * Role credentials kept between runs, so `credential_process` (called by every `aws` command)
 * costs no STS call while they are good. One file per role, session name, external id and source
 * profile, in $XDG_STATE_HOME/aws-mfa-refresh/role-sessions (0700 directory, 0600 files); an
 * entry made with another source session (S was refreshed since) is never used, and is replaced.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RoleCredentials } from '../aws/types.js';

export interface RoleCacheKey {
  roleArn: string;
  /** role_session_name as configured ('' when derived). */
  roleSessionName: string;
  externalId: string;
  sourceProfile: string;
  /** The source session's access key id: a refreshed source is another session. */
  sourceAccessKeyId: string;
}

interface Entry {
  key: RoleCacheKey;
  roleSessionName: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
  assumedRoleArn: string;
}

export interface CachedRole extends RoleCredentials {
  roleSessionName: string;
}

/** Used until this long before it expires (at most a quarter of its life, for short sessions). */
export const CACHE_MARGIN_MS = 5 * 60 * 1000;

export function roleCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'aws-mfa-refresh', 'role-sessions');
}

function fileOf(key: RoleCacheKey, env: NodeJS.ProcessEnv): string {
  const id = createHash('sha256')
    .update([key.roleArn, key.roleSessionName, key.externalId, key.sourceProfile].join('\0'))
    .digest('hex')
    .slice(0, 32);
  return join(roleCacheDir(env), `${id}.json`);
}

const sameKey = (a: RoleCacheKey, b: RoleCacheKey) =>
  (Object.keys(a) as (keyof RoleCacheKey)[]).every((k) => a[k] === b[k]);

export async function readCachedRole(
  key: RoleCacheKey,
  now: number,
  env: NodeJS.ProcessEnv,
): Promise<CachedRole | undefined> {
  let entry: Entry;
  try {
    entry = JSON.parse(await readFile(fileOf(key, env), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (!entry?.key || !sameKey(entry.key, key)) return undefined;
  const expiration = new Date(entry.expiration);
  if (Number.isNaN(expiration.getTime()) || expiration.getTime() - now <= CACHE_MARGIN_MS) return undefined;
  return {
    accessKeyId: entry.accessKeyId,
    secretAccessKey: entry.secretAccessKey,
    sessionToken: entry.sessionToken,
    expiration,
    assumedRoleArn: entry.assumedRoleArn,
    roleSessionName: entry.roleSessionName,
  };
}

export async function writeCachedRole(key: RoleCacheKey, role: CachedRole, env: NodeJS.ProcessEnv): Promise<void> {
  const file = fileOf(key, env);
  const entry: Entry = {
    key,
    roleSessionName: role.roleSessionName,
    accessKeyId: role.accessKeyId,
    secretAccessKey: role.secretAccessKey,
    sessionToken: role.sessionToken,
    expiration: role.expiration.toISOString(),
    assumedRoleArn: role.assumedRoleArn,
  };
  try {
    await mkdir(roleCacheDir(env), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(entry), { mode: 0o600 });
    await rename(temp, file);
  } catch {
    // A cache: a failed write costs one STS call next time, never the command.
  }
}
