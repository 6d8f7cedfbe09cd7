/**
 * `keys rotate` through the built CLI against the emulator, the key in the encrypted file store:
 * the happy path with IAM's propagation delay, the two-keys refusal, and a failure at each step
 * leaving the user a working key (and saying which).
 */
import { CreateAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli } from './pty.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));
afterEach(() => emulator.setFaults({}));

const PASSPHRASE = 'rotate test passphrase';
const env = { AWS_MFA_REFRESH_PASSPHRASE: PASSPHRASE };
const mask = (id: string) => `${id.slice(0, 4)}…${id.slice(-4)}`;

async function imported(): Promise<{ s: Sandbox; user: ReturnType<typeof newUser>; serial: string }> {
  const s = await sandbox();
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  await s.writeCredentials(longTermSection('default-long-term', user));
  await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
  const r = await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return { s, user, serial };
}

/** The key the store hands to the AWS CLI. */
async function storedKey(s: Sandbox): Promise<{ AccessKeyId: string; SecretAccessKey: string }> {
  const r = await s.run(['keys', 'credential-process', '--profile', 'default-long-term'], { env, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const ids = (userName: string) => emulator.accessKeys(userName).map((k) => k.accessKeyId);

/** `keys rotate` of the stored key, with a code that lasts while the CLI starts. */
const rotate = (s: Sandbox, serial: string, timeoutMs = 120_000) =>
  s.run(['keys', 'rotate', '--profile', 'default-long-term', '--code', emulator.lastingCode(serial)], {
    env,
    timeoutMs,
  });

describe('keys rotate', () => {
  it('creates, verifies (retrying while IAM propagates), stores, then deletes the old key; refresh uses the new key', async () => {
    const { s, user, serial } = await imported();
    emulator.setFaults({ keyPropagationRequests: 2 });
    const r = await rotate(s, serial);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const now = await storedKey(s);
    expect(now.AccessKeyId).not.toBe(user.accessKeyId);
    expect(ids(user.userName)).toEqual([now.AccessKeyId]);
    expect(r.stdout).toContain(`Created key ${mask(now.AccessKeyId)}`);
    expect(r.stdout).toContain('AWS accepts the new key (after 3 attempts)');
    expect(r.stdout).toContain(`the old key ${mask(user.accessKeyId)} is deleted`);
    for (const text of [r.stdout, r.stderr, await s.readCredentials(), await s.readConfig()]) {
      expect(text).not.toContain(now.SecretAccessKey);
      expect(text).not.toContain(user.secretAccessKey);
    }
    emulator.setFaults({});
    const refreshed = await s.run(['--force', '--code', emulator.lastingCode(serial)], { env, timeoutMs: 60_000 });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(emulator.countRequests('GetSessionToken', { status: 200, accessKeyId: now.AccessKeyId })).toBe(1);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_session_token).toBeTruthy();
  }, 240_000);

  it('in a terminal: asks the passphrase of the key file once, then the code', async () => {
    const { s, user, serial } = await imported();
    const term = spawnCli(['keys', 'rotate', '--profile', 'default-long-term'], { ...s.env, TERM: 'xterm-256color' });
    await term.waitFor('Passphrase for', 30_000);
    term.type(`${PASSPHRASE}${KEY.enter}`);
    await term.waitFor('MFA code', 30_000);
    term.type(`${emulator.lastingCode(serial)}${KEY.enter}`);
    expect((await term.exit).exitCode, term.screen()).toBe(0);
    expect(term.screen().match(/✔ Passphrase for/g), 'passphrases answered').toHaveLength(1);
    expect(term.screen()).not.toContain(PASSPHRASE);
    expect(ids(user.userName)).toEqual([(await storedKey(s)).AccessKeyId]);
  }, 240_000);

  it('two keys already: says so and changes nothing', async () => {
    const { s, user } = await imported();
    const iam = new IAMClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    });
    const second = (await iam.send(new CreateAccessKeyCommand({ UserName: user.userName }))).AccessKey!.AccessKeyId!;
    const serial = user.devices![0]!.serialNumber;
    const r = await rotate(s, serial);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/already has two access keys .*Nothing was changed\. Delete the key you no longer use/);
    expect(r.stderr).toContain(second);
    expect(ids(user.userName)).toEqual([user.accessKeyId, second]);
    expect((await storedKey(s)).AccessKeyId).toBe(user.accessKeyId);
  }, 240_000);

  it('CreateAccessKey fails: the old key is unchanged and the message says so', async () => {
    const { s, user, serial } = await imported();
    emulator.setFaults({ failActions: { CreateAccessKey: {} } });
    const r = await rotate(s, serial);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/Creating the new key failed: .*iam:CreateAccessKey/);
    expect(r.stderr).toContain(`Your key ${mask(user.accessKeyId)} is unchanged and still works.`);
    expect(ids(user.userName)).toEqual([user.accessKeyId]);
    expect(await storedKey(s)).toEqual({
      Version: 1,
      AccessKeyId: user.accessKeyId,
      SecretAccessKey: user.secretAccessKey,
    });
  }, 240_000);

  it('the new key never works (propagation past the retries): it is deleted again, the old key stays', async () => {
    const { s, user, serial } = await imported();
    emulator.setFaults({ keyPropagationRequests: 1000 });
    const r = await rotate(s, serial, 180_000);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/Checking the new key with sts:GetCallerIdentity \(10 attempts\) failed/);
    expect(r.stderr).toMatch(/Your key .* is unchanged and still works; the new key .* was deleted again\./);
    expect(ids(user.userName)).toEqual([user.accessKeyId]);
    expect((await storedKey(s)).AccessKeyId).toBe(user.accessKeyId);
  }, 240_000);

  it('DeleteAccessKey of the old key fails: the new key is stored and works, the old one is named for deletion', async () => {
    const { s, user, serial } = await imported();
    emulator.setFaults({ failActions: { DeleteAccessKey: {} } });
    const r = await rotate(s, serial);
    expect(r.code).toBe(5);
    const now = await storedKey(s);
    expect(now.AccessKeyId).not.toBe(user.accessKeyId);
    expect(ids(user.userName)).toEqual([user.accessKeyId, now.AccessKeyId]);
    expect(r.stderr).toContain(`Deleting the old key ${mask(user.accessKeyId)} failed`);
    expect(r.stderr).toContain(`The new key ${mask(now.AccessKeyId)} is in`);
    expect(r.stderr).toContain(`--access-key-id ${user.accessKeyId}`);
    emulator.setFaults({});
    const refreshed = await s.run(['--force', '--code', emulator.lastingCode(serial)], { env, timeoutMs: 60_000 });
    expect(refreshed.code, refreshed.stderr).toBe(0);
  }, 240_000);

  it('plaintext keys: the credentials file gets the new key in place', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(`[x]\nregion = a\n${longTermSection('default-long-term', user)}region = b\n`);
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    const r = await s.run(['keys', 'rotate', '--code', emulator.lastingCode(serial)], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const [fresh] = ids(user.userName);
    expect(fresh).not.toBe(user.accessKeyId);
    const text = await s.readCredentials();
    expect(
      text.startsWith(`[x]\nregion = a\n[default-long-term]\naws_access_key_id = ${fresh}\naws_secret_access_key = `),
    ).toBe(true);
    expect(sectionOf(text, 'default-long-term')?.region).toBe('b');
  }, 240_000);
});
