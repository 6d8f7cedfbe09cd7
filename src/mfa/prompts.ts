/** Inquirer prompts, loaded only when a person has to be asked something. */
import type { MfaDevice } from '../aws/types.js';
import { normaliseCode } from '../config/values.js';
import { formatLocalDate } from '../profiles/session.js';
import { Interrupted, isPromptAbort, type PromptStreams } from './terminal.js';

export function describeDevice(device: MfaDevice): string {
  const enabled = device.enableDate ? `, enabled ${formatLocalDate(device.enableDate)}` : '';
  return `${device.serialNumber}   (${device.kind}${enabled})`;
}

export function deviceLabel(serialNumber: string): string {
  return serialNumber.replace(/^arn:[^:]+:iam::\d+:mfa\//, '');
}

export async function chooseDevice(devices: MfaDevice[], streams: PromptStreams): Promise<MfaDevice> {
  const { default: select } = await import('@inquirer/select');
  try {
    return await select(
      {
        message: 'Choose an MFA device',
        choices: devices.map((d) => ({ name: describeDevice(d), value: d, short: d.serialNumber })),
      },
      streams,
    );
  } catch (error) {
    if (isPromptAbort(error)) throw new Interrupted();
    throw error;
  }
}

export async function askCode(serialNumber: string, streams: PromptStreams): Promise<string> {
  const { default: input } = await import('@inquirer/input');
  try {
    const answer = await input(
      {
        message: `MFA code for ${deviceLabel(serialNumber)}:`,
        validate: (value) => (normaliseCode(value) ? true : 'Enter the 6 digits your device shows.'),
      },
      streams,
    );
    return normaliseCode(answer)!;
  } catch (error) {
    if (isPromptAbort(error)) throw new Interrupted();
    throw error;
  }
}
