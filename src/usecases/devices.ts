/** `devices`: the source keys' MFA devices, and which one the config remembers. */
import { AwsFailure } from '../aws/errors.js';
import type { CallerIdentity, MfaDevice } from '../aws/types.js';
import { resolveProfile, type ProfileFlags } from '../config/resolve.js';
import { loadFiles, type Deps } from './deps.js';
import { sourceConnection } from './source-keys.js';

export interface DevicesResult {
  identity: CallerIdentity;
  /** Every device, passkeys included (they are shown as unusable). */
  devices: MfaDevice[];
  /** mfa_serial of the target, else of the source. */
  remembered?: string;
  configFile: string;
}

export async function listProfileDevices(
  flags: ProfileFlags,
  deps: Deps,
  debug: (line: string) => void,
): Promise<DevicesResult> {
  const files = await loadFiles(deps.env, deps.platform);
  const req = resolveProfile({ flags, env: deps.env, files });
  const conn = await sourceConnection(req, { progress: true });
  debug(req.describeConnection(conn));
  const remembered = req.rememberedDevice?.value;
  const aws = await deps.openAws(conn, debug);
  const { listDevices } = await import('../aws/devices.js');
  const { identity, all } = await listDevices(aws).catch((error: unknown) => {
    // The refresh's hint (name the device with --serial-number) does not apply here: `devices` has no such flag.
    if (error instanceof AwsFailure && error.reason === 'access-denied:ListMFADevices') {
      throw new AwsFailure(
        error.reason,
        error.call,
        error.message,
        error.exitCode,
        'Listing devices needs iam:ListMFADevices on your own user; a refresh does not when mfa_serial is set in ~/.aws/config.',
      );
    }
    throw error;
  });
  return { identity, devices: all, ...(remembered && { remembered }), configFile: files.paths.config };
}
