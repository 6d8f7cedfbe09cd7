/**
 * Issue 10, item 4: the files are read and written as botocore (the AWS CLI) reads them. Each test
 * refreshes through the built CLI against the emulator, then has Debian's botocore read both files:
 * the target holds our session, every other profile reads as before.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import type { Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

const run = promisify(execFile);
let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

type Raw = Record<string, Record<string, unknown>>;

/** botocore's raw reading of both files, and the credentials it resolves for `profile`. */
async function botocoreReads(s: Sandbox, profile: string): Promise<{ creds: Raw; config: Raw; token: string | null }> {
  const script = `
import json, os, sys, botocore.session
from botocore import configloader
cfg = sys.argv[2]
out = {'creds': configloader.raw_config_parse(sys.argv[1]), 'config': configloader.raw_config_parse(cfg) if os.path.isfile(cfg) else {}}
c = botocore.session.Session(profile=sys.argv[3]).get_credentials().get_frozen_credentials()
out['token'] = c.token
print(json.dumps(out))`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, s.credentials, s.config, profile], {
    env: {
      PATH: process.env.PATH,
      AWS_SHARED_CREDENTIALS_FILE: s.credentials,
      AWS_CONFIG_FILE: s.config,
      HOME: s.home,
    },
  });
  return JSON.parse(stdout);
}

const without = (raw: Raw, name: string) => Object.fromEntries(Object.entries(raw).filter(([k]) => k !== name));
const stsCalls = (accessKeyId: string) =>
  emulator.requests.filter((r) => r.action === 'GetSessionToken' && r.accessKeyId === accessKeyId).length;

async function refreshWork(s: Sandbox, serial: string, env: NodeJS.ProcessEnv = {}) {
  return s.run(['--profile', 'work', '--code', emulator.lastingCode(serial)], { env: { ...s.env, ...env } });
}

describe('files as botocore reads them (issue 10, item 4)', () => {
  it('a lone CR before [dev] keeps [dev]: its keys are not overwritten', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const creds = `${longTermSection('work-long-term', user)}[work]\nexpiration = 2020-01-01T00:00:00Z\r[dev]\naws_access_key_id = AKIADEV0000000000001\naws_secret_access_key = devSecret\n`;
    await s.writeCredentials(creds);
    await s.writeConfig('[profile work]\nregion = eu-west-1\r[profile dev]\nregion = us-east-2\n');
    const before = await botocoreReads(s, 'dev');
    const r = await refreshWork(s, user.devices![0]!.serialNumber);
    expect(r.code, r.stderr).toBe(0);
    const after = await botocoreReads(s, 'work');
    expect(without(after.creds, 'work')).toEqual(without(before.creds, 'work'));
    expect(after.creds.dev).toEqual({ aws_access_key_id: 'AKIADEV0000000000001', aws_secret_access_key: 'devSecret' });
    expect(without(after.config, 'profile work')).toEqual(without(before.config, 'profile work'));
    expect(after.token).toBe((after.creds.work as Record<string, string>).aws_session_token);
  });

  it('an existing MFA_SERIAL is updated, not duplicated, and `[profile "work"]` gets no second section', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('work-long-term', user));
    await s.writeConfig(
      '[profile "work"]\nregion = eu-west-1\nMFA_SERIAL = ' + serial + '\n[profile other]\nregion = x\n',
    );
    const before = await botocoreReads(s, 'work-long-term');
    const r = await refreshWork(s, serial);
    expect(r.code, r.stderr).toBe(0);
    const config = await s.readConfig();
    expect(config.match(/\[profile/g)).toHaveLength(2);
    expect(config.match(/mfa_serial/gi)).toHaveLength(1);
    const after = await botocoreReads(s, 'work');
    expect(after.config).toEqual(before.config); // still parses, same values (region kept)
  });

  it('[DEFAULT] aws_security_token: botocore reads our new token for the target', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(`[DEFAULT]\naws_security_token = STALE\n\n${longTermSection('work-long-term', user)}`);
    const r = await refreshWork(s, user.devices![0]!.serialNumber);
    expect(r.code, r.stderr).toBe(0);
    const after = await botocoreReads(s, 'work');
    const work = after.creds.work as Record<string, string>;
    expect(after.token).toBe(work.aws_session_token);
    expect(after.token).not.toBe('STALE');
  });

  for (const [name, text] of [
    [
      'key: value',
      (u: { accessKeyId: string; secretAccessKey: string }) =>
        `[work-long-term]\naws_access_key_id: ${u.accessKeyId}\naws_secret_access_key: ${u.secretAccessKey}\n`,
    ],
    [
      'CR-only line endings',
      (u: { accessKeyId: string; secretAccessKey: string }) => longTermSection('work-long-term', u, '\r'),
    ],
    [
      'an indented first header',
      (u: { accessKeyId: string; secretAccessKey: string }) => `  ${longTermSection('work-long-term', u)}`,
    ],
  ] as const) {
    it(`a file with ${name} refreshes, and botocore reads the result`, async () => {
      const s = await sandbox();
      const user = newUser(emulator);
      await s.writeCredentials(text(user));
      const before = await botocoreReads(s, 'work-long-term');
      const r = await refreshWork(s, user.devices![0]!.serialNumber);
      expect(r.code, r.stderr).toBe(0);
      const after = await botocoreReads(s, 'work');
      expect(without(after.creds, 'work')).toEqual(without(before.creds, 'work'));
      expect(after.token).toBe((after.creds.work as Record<string, string>).aws_session_token);
    });
  }

  it('an indented aws_session_token line is a continuation, not a session: the target is refreshed', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(
      `${longTermSection('work-long-term', user)}[work]\nregion = eu-west-1\n  aws_session_token = NOTASESSION\n`,
    );
    const r = await refreshWork(s, user.devices![0]!.serialNumber);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/refreshed/);
    const after = await botocoreReads(s, 'work');
    expect(after.token).toBe((after.creds.work as Record<string, string>).aws_session_token);
  });

  it('duplicate sections: refused with exit 8 naming both lines, before a code, the file untouched', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const text = `${longTermSection('work-long-term', user)}[work]\nregion = a\n[work]\nregion = b\n`;
    await s.writeCredentials(text);
    const r = await refreshWork(s, user.devices![0]!.serialNumber);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(
      /^aws-mfa-refresh: [^\n]*credentials:6: duplicate section \[work\], first at [^\n]*:4;[^\n]*\n$/,
    );
    expect(await s.readCredentials()).toBe(text);
    expect(stsCalls(user.accessKeyId)).toBe(0);
  });

  it('mfa_serial with a trailing comment is refused before a code (botocore keeps the comment in the value)', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('work-long-term', user));
    await s.writeConfig(`[profile work]\nmfa_serial = ${serial} # phone\n`);
    const r = await refreshWork(s, serial);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/config:2: the value of mfa_serial ends in a comment.*own line/);
    expect(stsCalls(user.accessKeyId)).toBe(0);
  });

  it('AWS_CONFIG_FILE=/dev/null: refreshed, nothing remembered, said once', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('work-long-term', user));
    const r = await refreshWork(s, user.devices![0]!.serialNumber, { AWS_CONFIG_FILE: '/dev/null' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/\/dev\/null is not a regular file/g)).toHaveLength(1);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a key the JS SDK reads differently: one warning line with the key, file:line, the SDKs and the fix', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('work-long-term', user));
    await s.writeConfig(`[profile work]\nregion = eu-west-1\nmfa_serial: ${serial}\n`);
    const r = await refreshWork(s, serial);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => /mfa_serial/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/mfa_serial at .*config:3: .*read it differently\. .*mfa_serial = /);
    const after = await botocoreReads(s, 'work');
    expect((after.config['profile work'] as Record<string, string>).mfa_serial).toBe(serial);
    // doctor warns the same in its files check.
    const d = await s.run(['doctor', '--profile', 'work', '--source-profile', 'work-long-term', '--json']);
    const files = (
      JSON.parse(d.stdout) as { checks: { id: string; status: string; message: string; hint?: string }[] }
    ).checks.find((c) => c.id === 'files')!;
    expect(files.status).toBe('warn');
    expect(files.message).toMatch(/mfa_serial of "work" at ~\/\.aws\/config:3: .*read it differently/);
    expect(files.hint).toMatch(/mfa_serial = /);
  });
});
