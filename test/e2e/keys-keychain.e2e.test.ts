/**
 * `keys import|list|export|remove|credential-process` with the keychain store, through the built
 * CLI, against a real Secret Service (GNOME Keyring on a private session bus) and the emulator.
 */
import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { CLI, sectionOf, type Sandbox } from './harness.js';
import { KEY, spawnCli } from './pty.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { allFiles } from './keys-support.js';
import { secretServiceMissing, startBus, type SessionBus } from '../support/secret-service.js';

const missing = secretServiceMissing();
const exec = promisify(execFile);

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

describe.skipIf(missing !== undefined)(
  `keys with the keychain (GNOME Keyring)${missing ? ` skipped: ${missing}` : ''}`,
  () => {
    let bus: SessionBus;
    let s: Sandbox;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      bus = await startBus();
      s = await sandbox();
      const bin = join(s.home, 'bin');
      await mkdir(bin);
      await symlink(CLI, join(bin, 'aws-mfa-refresh'));
      env = {
        DBUS_SESSION_BUS_ADDRESS: bus.address,
        XDG_RUNTIME_DIR: bus.env.XDG_RUNTIME_DIR,
        PATH: `${bin}:${process.env.PATH}`,
      };
    }, 60_000);
    afterAll(async () => {
      await bus?.stop();
    });

    it('import → the secret is gone from HOME, secret-tool finds the entry, refresh and the AWS CLI work, export restores the file byte for byte', async () => {
      const user = newUser(emulator);
      const serial = user.devices![0]!.serialNumber;
      const credentials = `# my keys\n[other]\nregion = x\n\n${longTermSection('default-long-term', user)}output = json\n`;
      const config = `[default]\nmfa_serial = ${serial}\nregion = us-east-1\n`;
      await s.writeCredentials(credentials);
      await s.writeConfig(config);

      const imported = await s.run(['keys', 'import', '--yes'], { env, timeoutMs: 60_000 });
      expect(imported.stderr, bus.state()).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain('move to the Secret Service keyring');
      expect(imported.stdout).toContain('aws_secret_access_key = (hidden)');
      expect(imported.stdout).not.toContain(user.secretAccessKey);
      expect(imported.stdout).not.toContain(user.accessKeyId);

      for (const f of await allFiles(s.home)) expect(f.text, f.path).not.toContain(user.secretAccessKey);
      expect(sectionOf(await s.readCredentials(), 'default-long-term')).toEqual({ output: 'json' });
      expect(sectionOf(await s.readConfig(), 'profile default-long-term')).toEqual({
        credential_process: 'aws-mfa-refresh keys credential-process --profile default-long-term',
      });
      expect((await bus.searchEntries()).some((l) => l.startsWith('attribute.username = default-long-term@'))).toBe(
        true,
      );

      const list = await s.run(['keys', 'list', '--json'], { env });
      expect(JSON.parse(list.stdout).keys).toMatchObject([
        {
          store: 'keychain',
          profile: 'default-long-term',
          accessKeyId: `${user.accessKeyId.slice(0, 4)}…${user.accessKeyId.slice(-4)}`,
        },
      ]);

      // A refresh reads the source keys from the keychain.
      const refreshed = await s.run(['--code', emulator.lastingCode(serial)], { env, timeoutMs: 60_000 });
      expect(refreshed.stderr).toBe('');
      expect(refreshed.code).toBe(0);
      expect(sectionOf(await s.readCredentials(), 'default')?.aws_session_token).toBeTruthy();

      // The AWS CLI reads the long-term profile through credential_process.
      const aws = await exec(
        '/usr/bin/aws',
        [
          'sts',
          'get-caller-identity',
          '--profile',
          'default-long-term',
          '--endpoint-url',
          emulator.url,
          '--region',
          'us-east-1',
          '--output',
          'json',
        ],
        { env: { ...s.env, ...env, AWS_ENDPOINT_URL: undefined } as NodeJS.ProcessEnv },
      );
      expect(JSON.parse(aws.stdout).Arn).toBe(`arn:aws:iam::123456789012:user/${user.userName}`);

      const exported = await s.run(['keys', 'export', '--profile', 'default-long-term', '--yes'], {
        env,
        timeoutMs: 60_000,
      });
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toMatch(/warning: .*plaintext/);
      const after = await s.readCredentials();
      expect(after.slice(0, credentials.length)).toBe(credentials); // the refresh appended [default] after it
      expect(await s.readConfig()).not.toContain('credential_process');
      expect((await bus.searchEntries()).some((l) => l.startsWith('attribute.username = default-long-term@'))).toBe(
        false,
      );
      expect(JSON.parse((await s.run(['keys', 'list', '--json'], { env })).stdout).keys).toEqual([]);
    }, 180_000);
    it('setup in a terminal offers the keychain as its last step (default yes); setup --yes imports only with --keychain', async () => {
      const user = newUser(emulator);
      const t = await sandbox();
      await t.writeCredentials(longTermSection('default', user));
      const term = spawnCli(['setup'], { ...t.env, ...env, SHELL: '/bin/bash' });
      await term.waitFor('Write these changes?', 30_000);
      term.type(KEY.enter);
      await term.waitFor('Choose and remember your MFA device now?', 30_000);
      term.type(`n${KEY.enter}`);
      await term.waitFor('Move the long-term keys of [default-long-term] into the OS keychain? (Y/n)', 60_000);
      term.type(KEY.enter);
      expect((await term.exit).exitCode, term.screen()).toBe(0);
      expect(term.screen()).toContain('are now in the Secret Service keyring only');
      expect(await t.readCredentials()).not.toContain(user.secretAccessKey);
      expect(sectionOf(await t.readConfig(), 'profile default-long-term')?.credential_process).toBe(
        'aws-mfa-refresh keys credential-process --profile default-long-term',
      );

      const other = newUser(emulator);
      const u = await sandbox();
      await u.writeCredentials(longTermSection('default', other));
      const plain = await u.run(['setup', '--yes', '--no-device'], { env, timeoutMs: 60_000 });
      expect(plain.code, plain.stderr).toBe(0);
      expect(await u.readCredentials()).toContain(other.secretAccessKey); // --yes alone: no import
      await u.writeCredentials(longTermSection('default', other));
      const keychain = await u.run(['setup', '--yes', '--no-device', '--keychain', '--json'], {
        env,
        timeoutMs: 60_000,
      });
      expect(keychain.code, keychain.stderr).toBe(0);
      expect(JSON.parse(keychain.stdout).keyStore).toBe('keychain');
      expect(await u.readCredentials()).not.toContain(other.secretAccessKey);
    }, 180_000);
  },
);
