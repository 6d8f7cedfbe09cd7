/**
 * The encrypted file store end to end through the built CLI: the passphrase asked on a real
 * terminal (hidden, twice on creation), a wrong passphrase, a tampered or truncated file,
 * concurrent imports, and a SIGKILL in the middle of an import (the rerun completes it).
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { CLI, NODE, sectionOf, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli } from './pty.js';
import { allFiles } from './keys-support.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const PASSPHRASE = 'correct horse battery staple';
const env = { AWS_MFA_REFRESH_PASSPHRASE: PASSPHRASE };
const keyFile = (s: Sandbox) => join(s.home, '.config', 'aws-mfa-refresh', 'keys.enc');

async function setUp(name = 'default-long-term') {
  const s = await sandbox();
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  const credentials = `[first]\nregion = eu-west-1\n\n${longTermSection(name, user)}\n[last]\noutput = text\n`;
  await s.writeCredentials(credentials);
  await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
  return { s, user, serial, credentials };
}

describe('keys with the encrypted file store', () => {
  it('import in a terminal: diff with secrets hidden, hidden passphrase asked twice; a refresh then reads the store', async () => {
    const { s, user, serial } = await setUp();
    const term = spawnCli(['keys', 'import', '--store', 'file'], { ...s.env, TERM: 'xterm-256color' });
    await term.waitFor('Move the keys?', 30_000);
    expect(term.screen()).toContain('aws_secret_access_key = (hidden)');
    expect(term.screen()).toContain(
      '+ credential_process = aws-mfa-refresh keys credential-process --profile default-long-term',
    );
    term.type(KEY.enter);
    await term.waitFor('New passphrase', 30_000);
    term.type(`${PASSPHRASE}${KEY.enter}`);
    await term.waitFor('Type it again', 30_000);
    term.type(`${PASSPHRASE}${KEY.enter}`);
    expect((await term.exit).exitCode).toBe(0);
    expect(term.screen()).toContain('is now in');
    expect(term.screen()).not.toContain(PASSPHRASE);
    expect(term.screen()).not.toContain(user.secretAccessKey);
    for (const f of await allFiles(s.home)) {
      expect(f.text, f.path).not.toContain(user.secretAccessKey);
      expect(f.text, f.path).not.toContain(PASSPHRASE);
    }
    expect((await s.mode(keyFile(s))).toString(8)).toBe('600');

    // In a terminal, a refresh asks the passphrase once, then the code.
    const refresh = spawnCli(['--serial-number', serial], { ...s.env, TERM: 'xterm-256color' });
    await refresh.waitFor('Passphrase for', 30_000);
    refresh.type(`${PASSPHRASE}${KEY.enter}`);
    await refresh.waitFor('MFA code', 30_000);
    refresh.type(`${emulator.lastingCode(serial)}${KEY.enter}`);
    expect((await refresh.exit).exitCode, refresh.screen()).toBe(0);
    expect(sectionOf(await s.readCredentials(), 'default')?.aws_session_token).toBeTruthy();
    expect(emulator.countRequests('GetSessionToken', { status: 200, accessKeyId: user.accessKeyId })).toBe(1);
  }, 180_000);

  it('a wrong passphrase: exit 12, one clear line, nothing changed; the right one exports byte for byte', async () => {
    const { s, user, credentials } = await setUp();
    expect((await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 })).code).toBe(0);
    const [credsBefore, configBefore, storeBefore] = await Promise.all([
      s.readCredentials(),
      s.readConfig(),
      readFile(keyFile(s)),
    ]);
    for (const args of [
      ['keys', 'export', '--profile', 'default-long-term', '--yes'],
      ['keys', 'credential-process', '--profile', 'default-long-term'],
      ['keys', 'remove', '--profile', 'default-long-term', '--yes'],
      ['--code', '123456'],
    ]) {
      const r = await s.run(args, { env: { AWS_MFA_REFRESH_PASSPHRASE: 'wrong' }, timeoutMs: 60_000 });
      expect(r.code, args.join(' ')).toBe(12);
      expect(r.stderr).toMatch(/^aws-mfa-refresh: Wrong passphrase for .*keys\.enc\. .*nothing was changed\.\n$/);
      expect(r.stdout).toBe('');
    }
    expect(await s.readCredentials()).toBe(credsBefore);
    expect(await s.readConfig()).toBe(configBefore);
    expect((await readFile(keyFile(s))).equals(storeBefore)).toBe(true);

    const r = await s.run(['keys', 'export', '--profile', 'default-long-term', '--yes'], { env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await s.readCredentials()).toBe(credentials);
    expect(await s.readConfig()).not.toContain('credential_process');
    expect(`${r.stdout}${r.stderr}`).not.toContain(user.secretAccessKey);
  }, 180_000);

  it('a tampered or truncated key file: exit 12 naming the damage, credentials untouched', async () => {
    const { s } = await setUp();
    expect((await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 })).code).toBe(0);
    const good = await readFile(keyFile(s));
    const tampered = Buffer.from(good);
    tampered[60] = tampered[60]! ^ 1;
    await writeFile(keyFile(s), tampered);
    const creds = await s.readCredentials();
    let r = await s.run(['keys', 'credential-process', '--profile', 'default-long-term'], { env, timeoutMs: 60_000 });
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/Cannot read the key file .*authentication failed: it was altered or damaged\./);
    await writeFile(keyFile(s), good.subarray(0, 40));
    r = await s.run(['keys', 'export', '--profile', 'default-long-term', '--yes'], { env, timeoutMs: 60_000 });
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/Cannot read the key file .*it is truncated \(40 bytes\)\./);
    expect(await s.readCredentials()).toBe(creds);
  }, 180_000);

  it('concurrent imports of three profiles into one key file: all three stored, none lost', async () => {
    const s = await sandbox();
    const users = [newUser(emulator), newUser(emulator), newUser(emulator)];
    await s.writeCredentials(users.map((u, i) => longTermSection(`p${i}`, u)).join('\n'));
    const runs = await Promise.all(
      users.map((_, i) =>
        s.run(['keys', 'import', '--store', 'file', '--profile', `p${i}`, '--yes'], { env, timeoutMs: 120_000 }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const text = await s.readCredentials();
    for (const [i, u] of users.entries()) {
      expect(text).not.toContain(u.secretAccessKey);
      const r = await s.run(['keys', 'credential-process', '--profile', `p${i}`], { env, timeoutMs: 60_000 });
      expect(JSON.parse(r.stdout)).toEqual({
        Version: 1,
        AccessKeyId: u.accessKeyId,
        SecretAccessKey: u.secretAccessKey,
      });
    }
    const list = JSON.parse((await s.run(['keys', 'list', '--json'])).stdout).keys;
    expect(list.map((k: { profile: string }) => k.profile)).toEqual(['p0', 'p1', 'p2']);
  }, 240_000);

  it.each(['stored', 'verified', 'credentials-edited'])(
    'SIGKILL after step %s: the keys are in the file or the store, and a rerun completes the import',
    async (step) => {
      const { s, user } = await setUp();
      const child = spawn(NODE, [CLI, 'keys', 'import', '--store', 'file', '--yes'], {
        env: { ...s.env, ...env, AWS_MFA_REFRESH_TEST_PAUSE: step, AWS_MFA_REFRESH_TEST_PAUSE_MS: '60000' },
      });
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d) => {
          err += d;
          if (err.includes(`paused:${step}`)) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`exited before pausing: ${err}`)));
      });
      const inFile = (await s.readCredentials()).includes(user.secretAccessKey);
      const cp = await s.run(['keys', 'credential-process', '--profile', 'default-long-term'], {
        env,
        timeoutMs: 60_000,
      });
      const inStore = cp.code === 0 && JSON.parse(cp.stdout).SecretAccessKey === user.secretAccessKey;
      expect(inFile || inStore).toBe(true);

      const rerun = await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(await s.readCredentials()).not.toContain(user.secretAccessKey);
      expect(sectionOf(await s.readConfig(), 'profile default-long-term')?.credential_process).toBe(
        'aws-mfa-refresh keys credential-process --profile default-long-term',
      );
      const after = await s.run(['keys', 'credential-process', '--profile', 'default-long-term'], {
        env,
        timeoutMs: 60_000,
      });
      expect(JSON.parse(after.stdout).SecretAccessKey).toBe(user.secretAccessKey);
    },
    180_000,
  );

  it('remove warns when the store holds the only copy and, in a script, needs --yes', async () => {
    const { s } = await setUp();
    expect((await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 })).code).toBe(0);
    const refused = await s.run(['keys', 'remove', '--profile', 'default-long-term'], { env, timeoutMs: 60_000 });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/warning: .*holds the only copy of key AKIA…/);
    const r = await s.run(['keys', 'remove', '--profile', 'default-long-term', '--yes', '--json'], {
      env,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      profile: 'default-long-term',
      store: 'file',
      removed: true,
      onlyCopy: true,
    });
    expect(await s.readConfig()).not.toContain('credential_process');
    expect(JSON.parse((await s.run(['keys', 'list', '--json'])).stdout).keys).toEqual([]);
  }, 180_000);

  it('setup after keys import: says the keys are already in the key store, writes nothing, offers no second move', async () => {
    const { s } = await setUp();
    expect((await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 })).code).toBe(0);
    const [credentials, config] = [await s.readCredentials(), await s.readConfig()];
    const r = await s.run(['setup', '--yes', '--no-device', '--store', 'file', '--json'], { env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^The long-term keys of \[default-long-term\] are already in the key store \(the encrypted key file; keys import\) and \[default\] holds none: nothing to move\.$/m,
    );
    expect(r.stderr).not.toMatch(/aws-mfa-refresh:|no long-term keys/);
    expect(JSON.parse(r.stdout)).toMatchObject({ moved: false, keyStore: 'file' });
    expect(await s.readCredentials()).toBe(credentials);
    expect(await s.readConfig()).toBe(config);
  }, 180_000);

  it('doctor: stored keys readable → key-store passes and the keys check uses them; a wrong passphrase fails it', async () => {
    const { s, user } = await setUp();
    expect((await s.run(['keys', 'import', '--store', 'file', '--yes'], { env, timeoutMs: 60_000 })).code).toBe(0);
    const good = await s.run(['doctor', '--json'], { env, timeoutMs: 60_000 });
    const checks = Object.fromEntries(
      JSON.parse(good.stdout).checks.map((c: { id: string; status: string; message: string }) => [c.id, c]),
    );
    expect(checks['key-store']).toMatchObject({ status: 'pass' });
    expect(checks['key-store'].message).toMatch(
      /the keys of "default-long-term" \(AKIA….{4}\) are in .*keys\.enc, unlocked/,
    );
    expect(checks.keys).toMatchObject({ status: 'pass' });
    expect(good.stdout).not.toContain(user.secretAccessKey);
    const bad = await s.run(['doctor', '--json'], { env: { AWS_MFA_REFRESH_PASSPHRASE: 'wrong' }, timeoutMs: 60_000 });
    expect(bad.code).toBe(1);
    const badChecks = Object.fromEntries(
      JSON.parse(bad.stdout).checks.map((c: { id: string; status: string; message: string }) => [c.id, c]),
    );
    expect(badChecks['key-store']).toMatchObject({ status: 'fail' });
    expect(badChecks['key-store'].message).toMatch(/Wrong passphrase/);
  }, 180_000);
});
