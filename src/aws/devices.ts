/** The one device discovery: who the keys belong to, and that IAM user's MFA devices. */
import type { AwsApi } from './client.js';
import type { CallerIdentity, MfaDevice } from './types.js';

export interface DeviceListing {
  identity: CallerIdentity;
  /** Undefined when the keys are not an IAM user's (a role, root): nothing was listed. */
  userName?: string;
  all: MfaDevice[];
  /** Those GetSessionToken can use (no passkeys / security keys). */
  usable: MfaDevice[];
}

/** `arn:aws:iam::123456789012:user/path/alice` → `alice`; undefined for roles and root. */
export function userNameFromArn(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::\d+:user\/(.+)$/.exec(arn);
  return m?.[1]?.split('/').pop() || undefined;
}

/** GetCallerIdentity (unless `identity` is known already), then ListMFADevices for an IAM user. */
export async function listDevices(
  aws: AwsApi,
  opts: { identity?: CallerIdentity; debug?: (line: string) => void } = {},
): Promise<DeviceListing> {
  const asked = opts.identity ?? aws.callerIdentity();
  aws.prepareIam?.(); // while the identity is asked: a user's devices are listed next
  const identity = await asked;
  const userName = userNameFromArn(identity.arn);
  opts.debug?.(`caller ${identity.arn}`);
  if (!userName) return { identity, all: [], usable: [] };
  const all = await aws.listMfaDevices(userName);
  const usable = all.filter((d) => d.kind !== 'passkey');
  opts.debug?.(`${all.length} MFA device(s) for ${userName}, ${usable.length} usable`);
  return { identity, userName, all, usable };
}
