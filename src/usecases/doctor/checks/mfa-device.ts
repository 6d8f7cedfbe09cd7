/** 5. mfa-device: the keys' user has a usable device, and mfa_serial is one of them. */
import type { AwsApi } from '../../../aws/client.js';
import { AwsFailure } from '../../../aws/errors.js';
import type { CallerIdentity } from '../../../aws/types.js';
import { listDevices } from '../../../aws/devices.js';
import { describeOrigin, type ProfileRequest } from '../../../config/resolve.js';
import { checkSerialNumber } from '../../../config/values.js';
import { fromError, plural, result, type CheckResult } from '../check.js';

export interface RememberedSerial {
  serial: string;
  /** e.g. `mfa_serial of profile "default"` */
  from: string;
  /** The profile whose config section holds it. */
  profile: string;
}

/** mfa_serial of the target in config, else of the source: what the refresh uses. */
export function rememberedSerial(req: ProfileRequest): RememberedSerial | undefined {
  const device = req.rememberedDevice;
  const serial = device?.value.trim();
  if (!device || !serial || device.origin.kind !== 'config') return undefined;
  return { serial, from: describeOrigin(device.origin), profile: device.origin.profile };
}

const CREATE_DEVICE_HINT =
  'Create and enable a virtual MFA device: IAM console → Users → Security credentials → Assign MFA device (or aws iam create-virtual-mfa-device + enable-mfa-device).';

export async function checkMfaDevice(
  aws: AwsApi,
  identity: CallerIdentity,
  remembered: RememberedSerial | undefined,
  configFile: string,
): Promise<CheckResult> {
  if (remembered) {
    try {
      checkSerialNumber(remembered.serial, remembered.from);
    } catch (error) {
      return fromError('mfa-device', error);
    }
  }
  let listing;
  try {
    listing = await listDevices(aws, { identity });
  } catch (error) {
    const base = fromError('mfa-device', error);
    if (remembered && error instanceof AwsFailure && error.reason === 'access-denied:ListMFADevices') {
      return result(
        'mfa-device',
        'warn',
        `cannot confirm ${remembered.serial} (${remembered.from}): these keys may not list MFA devices (iam:ListMFADevices is denied); the refresh uses it without listing`,
        "If a refresh says the device is not this user's, fix mfa_serial in ~/.aws/config or pass --serial-number ARN.",
      );
    }
    return base;
  }
  const { userName, all, usable } = listing;
  if (!userName) {
    return remembered
      ? result(
          'mfa-device',
          'warn',
          `the keys belong to ${identity.arn}, not to an IAM user, so the devices cannot be listed to confirm ${remembered.serial} (${remembered.from})`,
        )
      : result(
          'mfa-device',
          'fail',
          `the keys belong to ${identity.arn}, not to an IAM user, so they have no MFA devices to list`,
          'Give the device with --serial-number ARN, or set mfa_serial in ~/.aws/config.',
        );
  }
  const passkeys = all.length - usable.length;
  const ignored =
    passkeys > 0
      ? ` (${plural(passkeys, 'passkey')}/security key${passkeys === 1 ? '' : 's'} ignored: GetSessionToken cannot use them)`
      : '';
  if (usable.length === 0) {
    return result(
      'mfa-device',
      'fail',
      passkeys > 0
        ? `IAM user ${userName} has only security keys/passkeys (${plural(passkeys, 'device')}), which GetSessionToken cannot use`
        : `IAM user ${userName} has no MFA device`,
      CREATE_DEVICE_HINT,
    );
  }
  const list = usable.map((d) => d.serialNumber).join(', ');
  if (remembered) {
    if (usable.some((d) => d.serialNumber === remembered.serial)) {
      const which =
        usable.length === 1
          ? `${userName}'s usable MFA device`
          : `one of ${userName}'s ${usable.length} usable MFA devices`;
      return result('mfa-device', 'pass', `${remembered.serial} (${remembered.from}) is ${which}${ignored}`);
    }
    const passkey = all.some((d) => d.serialNumber === remembered.serial);
    return result(
      'mfa-device',
      'fail',
      passkey
        ? `${remembered.serial} (${remembered.from}) is a security key/passkey, which GetSessionToken cannot use; ${userName}'s usable devices: ${list}`
        : `${remembered.serial} (${remembered.from}) is not one of ${userName}'s MFA devices: ${list}`,
      `Set mfa_serial = ${usable[0]!.serialNumber} in [${remembered.profile === 'default' ? 'default' : `profile ${remembered.profile}`}] of ${configFile}, or remove mfa_serial so the next refresh discovers the device.`,
    );
  }
  if (usable.length === 1) {
    return result(
      'mfa-device',
      'pass',
      `${userName} has 1 usable MFA device: ${list}${ignored}; not remembered yet (the next refresh saves it as mfa_serial)`,
    );
  }
  return result(
    'mfa-device',
    'pass',
    `${userName} has ${usable.length} usable MFA devices: ${list}${ignored}; the next refresh asks which (or pass --serial-number)`,
  );
}
