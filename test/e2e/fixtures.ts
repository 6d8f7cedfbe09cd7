import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { randomSeed, startEmulator, type Emulator, type UserSpec } from '../emulator/index.js';
import { makeSandbox, type Sandbox } from './harness.js';

let counter = 0;

/** A fresh IAM user with `devices` virtual MFA devices, so tests never share TOTP codes. */
export function newUser(
  emulator: Emulator,
  devices = 1,
  overrides: Partial<UserSpec> = {},
): Required<Pick<UserSpec, 'userName' | 'accessKeyId' | 'secretAccessKey' | 'accountId'>> & UserSpec {
  counter += 1;
  const n = `${process.pid}${counter}`.padStart(8, '0').slice(-8);
  const userName = `user${n}`;
  const user = {
    userName,
    accountId: '123456789012',
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    devices: Array.from({ length: devices }, (_, i) => ({
      serialNumber: `arn:aws:iam::123456789012:mfa/${userName}-${i === 0 ? 'phone' : `device${i}`}`,
      seed: randomSeed(),
      enableDate: new Date(Date.UTC(2025, 2, 2 + i)),
    })),
    ...overrides,
  };
  emulator.addUser(user);
  return user;
}

export function longTermSection(
  name: string,
  user: { accessKeyId: string; secretAccessKey: string },
  eol = '\n',
): string {
  return `[${name}]${eol}aws_access_key_id = ${user.accessKeyId}${eol}aws_secret_access_key = ${user.secretAccessKey}${eol}`;
}

/**
 * One emulator for a test file, started before its tests and closed after them, and scratch
 * HOMEs that are removed afterwards. `onStart` receives the emulator (tests keep a `let emulator`).
 */
export function emulatorSuite(onStart: (emulator: Emulator) => void): { sandbox(): Promise<Sandbox> } {
  let emulator: Emulator | undefined;
  const sandboxes: Sandbox[] = [];
  beforeAll(async () => {
    emulator = await startEmulator();
    onStart(emulator);
  });
  afterAll(async () => {
    await Promise.all(sandboxes.map((s) => s.cleanup()));
    await emulator?.close();
  });
  return {
    async sandbox() {
      const s = await makeSandbox(emulator!.url);
      sandboxes.push(s);
      return s;
    },
  };
}
