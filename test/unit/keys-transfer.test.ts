/**
 * import/export between the credentials file and real stores: byte-for-byte results, refusals
 * that change nothing, and SIGKILL at every step of a child process: the keys are always in the
 * credentials file or in the store.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { EncryptedFileStore, PASSPHRASE_ENV } from '../../src/keys/encrypted-file-store.js';
import { KeyIndex } from '../../src/keys/key-index.js';
import { KeychainStore } from '../../src/keys/keychain-store.js';
import type { KeyStore } from '../../src/keys/key-store.js';
import {
  credentialProcessCommand,
  exportKeys,
  importKeys,
  plaintextKeys,
  replaceStoredKey,
} from '../../src/keys/transfer.js';
import { cleanupKeysChildren, keysChildCommand, startKeysChild, type Job } from '../support/keys-child.js';
import { secretServiceMissing, startBus, type SessionBus } from '../support/secret-service.js';

const root = mkdtempSync(join(tmpdir(), 'keys-transfer-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  cleanupKeysChildren();
});

const ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const PASSPHRASE = 'correct horse battery staple';
const cost = { log2N: 12, r: 8, p: 1 };

// Keys in the middle of the section, odd spacing, an inline comment, other profiles around.
const CREDENTIALS = [
  '# personal keys',
  '[default]',
  'region = eu-west-1',
  '',
  '[dev]',
  '# the long-term key of dev; rotated 2026-01',
  `aws_access_key_id = ${ID}   `,
  'region = us-east-1',
  `aws_secret_access_key=${SECRET}`,
  'output = json',
  '',
  '[dev-session]',
  'aws_access_key_id = ASIAXXXXXXXXXXXXXXXX',
  'aws_secret_access_key = session-secret',
  'aws_session_token = token',
  '',
].join('\n');
const WITHOUT_KEYS = CREDENTIALS.replace(`aws_access_key_id = ${ID}   \n`, '').replace(
  `aws_secret_access_key=${SECRET}\n`,
  '',
);
const CONFIG = '[default]\nregion = eu-west-1\n\n[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n';

let dir: string;
let files: { credentials: string; config: string };
let n = 0;
beforeEach(() => {
  dir = join(root, `case-${n++}`);
  mkdirSync(join(dir, '.aws'), { recursive: true, mode: 0o700 });
  files = { credentials: join(dir, '.aws', 'credentials'), config: join(dir, '.aws', 'config') };
  writeFileSync(files.credentials, CREDENTIALS, { mode: 0o600 });
  writeFileSync(files.config, CONFIG, { mode: 0o600 });
});

const fileStore = (passphrase = PASSPHRASE) =>
  new EncryptedFileStore({
    path: join(dir, 'keys.enc'),
    passphrase,
    cost,
    index: new KeyIndex(join(dir, 'state', 'aws-mfa-refresh', 'keys-index.json')),
  });
const read = (p: string) => readFileSync(p, 'latin1');

/** Every file under dir that holds the secret in clear. */
function filesHoldingSecret(): string[] {
  const out = execFileSync('grep', ['-rlF', SECRET, dir], { encoding: 'utf8' }).trim();
  return out ? out.split('\n') : [];
}

function grepSecret(): string[] {
  try {
    return filesHoldingSecret();
  } catch {
    return []; // grep exits 1 when nothing matches
  }
}

async function userError(p: Promise<unknown>): Promise<UserError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('import and export with the file store', () => {
  it('import removes exactly the two key lines and adds credential_process; export restores the credentials file byte for byte', async () => {
    const store = fileStore();
    const result = await importKeys({ store, profile: 'dev', files, now: new Date('2026-11-29T08:00:00Z') });
    expect(result).toMatchObject({ accessKeyId: ID, configChanged: true });
    expect(read(files.credentials)).toBe(WITHOUT_KEYS);
    expect(read(files.config)).toBe(
      `${CONFIG}credential_process = aws-mfa-refresh keys credential-process --profile dev\n`,
    );
    expect(grepSecret()).toEqual([]); // not in the credentials file, the config, the index, or the key file
    expect(await store.get({ profile: 'dev', credentialsFile: files.credentials }, ID)).toMatchObject({
      secretAccessKey: SECRET,
      createdAt: '2026-11-29T08:00:00.000Z',
    });

    const back = await exportKeys({ store, profile: 'dev', files });
    expect(back).toMatchObject({ accessKeyId: ID, exact: true, configChanged: true });
    expect(read(files.credentials)).toBe(CREDENTIALS);
    expect(read(files.config)).toBe(CONFIG);
    expect(await store.get({ profile: 'dev', credentialsFile: files.credentials })).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('CRLF line endings and keys at the end of a file without a final newline: byte for byte', async () => {
    const text = `[other]\r\nregion = x\r\n\r\n[dev]\r\naws_access_key_id = ${ID}\r\naws_secret_access_key = ${SECRET}`;
    writeFileSync(files.credentials, text);
    const store = fileStore();
    await importKeys({ store, profile: 'dev', files, credentialProcess: false });
    expect(plaintextKeys(read(files.credentials), 'dev', 'c').key).toBeUndefined();
    expect(read(files.config)).toBe(CONFIG);
    await exportKeys({ store, profile: 'dev', files });
    expect(read(files.credentials)).toBe(text);
  });

  it('lines added to [dev] meanwhile: the keys still go back to their own places, byte for byte around them', async () => {
    const store = fileStore();
    await importKeys({ store, profile: 'dev', files });
    writeFileSync(files.credentials, read(files.credentials).replace('[dev]\n', '[dev]\nduration_seconds = 3600\n'));
    expect(await exportKeys({ store, profile: 'dev', files })).toMatchObject({ exact: true });
    expect(read(files.credentials)).toBe(CREDENTIALS.replace('[dev]\n', '[dev]\nduration_seconds = 3600\n'));
  });

  it('the lines around the keys changed meanwhile: export appends the keys to [dev] instead, and says it was not exact', async () => {
    const store = fileStore();
    await importKeys({ store, profile: 'dev', files });
    writeFileSync(files.credentials, read(files.credentials).replace('region = us-east-1', 'region = us-west-2'));
    const back = await exportKeys({ store, profile: 'dev', files });
    expect(back.exact).toBe(false);
    expect(plaintextKeys(read(files.credentials), 'dev', 'c').key).toEqual({ id: ID, secret: SECRET });
    expect(read(files.credentials)).toContain('[dev-session]\naws_access_key_id = ASIAXXXXXXXXXXXXXXXX\n'); // the rest kept
    expect(read(files.credentials)).toContain(
      `output = json\naws_access_key_id = ${ID}\naws_secret_access_key = ${SECRET}\n`,
    );
  });

  it('refuses, changing nothing: a session profile, a store holding another key, a file holding other keys on export', async () => {
    const store = fileStore();
    const session = await userError(importKeys({ store, profile: 'dev-session', files }));
    expect(session.exitCode).toBe(ExitCode.Credentials);
    expect(session.message).toContain('holds a session, not long-term keys');

    await store.put(
      { profile: 'dev', credentialsFile: files.credentials },
      { accessKeyId: 'AKIAOLDOLDOLDOLDOLD1', secretAccessKey: 'old', createdAt: 'x' },
    );
    const storeBytes = readFileSync(join(dir, 'keys.enc'));
    const replace = await userError(importKeys({ store, profile: 'dev', files }));
    expect(replace.exitCode).toBe(ExitCode.Credentials);
    expect(replace.message).toContain('already holds key AKIA…OLD1');
    expect(read(files.credentials)).toBe(CREDENTIALS);
    expect(readFileSync(join(dir, 'keys.enc')).equals(storeBytes)).toBe(true);

    const overwrite = await userError(exportKeys({ store, profile: 'dev', files }));
    expect(overwrite.exitCode).toBe(ExitCode.Credentials);
    expect(overwrite.message).toContain('already holds other keys');
    expect(read(files.credentials)).toBe(CREDENTIALS);
    expect((await store.get({ profile: 'dev', credentialsFile: files.credentials }))?.secretAccessKey).toBe('old');
  });

  it('a wrong passphrase on import: exit 12 and both files unchanged', async () => {
    writeFileSync(join(dir, 'other-credentials'), `[x]\naws_access_key_id = ${ID}\naws_secret_access_key = s\n`);
    await importKeys({
      store: fileStore(),
      profile: 'x',
      files: { ...files, credentials: join(dir, 'other-credentials') },
      credentialProcess: false,
    });
    const keyFile = readFileSync(join(dir, 'keys.enc'));
    const error = await userError(importKeys({ store: fileStore('wrong'), profile: 'dev', files }));
    expect(error.exitCode).toBe(ExitCode.KeyStore);
    expect(read(files.credentials)).toBe(CREDENTIALS);
    expect(read(files.config)).toBe(CONFIG);
    expect(readFileSync(join(dir, 'keys.enc')).equals(keyFile)).toBe(true);
  });

  it('replaceStoredKey (rotation): only over the expected old key; the new key reads back', async () => {
    const store = fileStore();
    const ref = { profile: 'dev', credentialsFile: files.credentials };
    await importKeys({ store, profile: 'dev', files });
    const next = {
      accessKeyId: 'AKIANEWNEWNEWNEWNEW1',
      secretAccessKey: 'new-secret',
      createdAt: '2026-11-29T09:00:00.000Z',
    };
    const wrongOld = await userError(replaceStoredKey(store, ref, 'AKIANOTTHEOLDKEY0001', next));
    expect(wrongOld.exitCode).toBe(ExitCode.KeyStore);
    expect((await store.get(ref))?.accessKeyId).toBe(ID);
    await replaceStoredKey(store, ref, ID, next);
    expect(await store.get(ref, next.accessKeyId)).toEqual(next);
    expect((await store.list()).map((l) => l.accessKeyId)).toEqual(['AKIA…NEW1']);
  });

  it('after import, botocore (the AWS CLI) gets the long-term keys through credential_process', async () => {
    const store = fileStore();
    await importKeys({ store, profile: 'dev', files });
    // The CLI's `keys credential-process` stands in as the test child doing the same call (the command is not built yet).
    const command = keysChildCommand().join(' ');
    writeFileSync(files.config, read(files.config).replace(credentialProcessCommand('dev'), command));
    const job: Job = {
      op: 'credential-process',
      store: 'file',
      profile: 'dev',
      credentials: files.credentials,
      keyFile: join(dir, 'keys.enc'),
    };
    const script = [
      'import botocore.session, hashlib',
      "c = botocore.session.Session(profile='dev').get_credentials().get_frozen_credentials()",
      'print(c.access_key, hashlib.sha256(c.secret_key.encode()).hexdigest(), c.token)',
    ].join('\n');
    const out = execFileSync('python3', ['-c', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        AWS_CONFIG_FILE: files.config,
        AWS_SHARED_CREDENTIALS_FILE: files.credentials,
        [PASSPHRASE_ENV]: PASSPHRASE,
        AMR_TEST_JOB: JSON.stringify(job),
      },
    });
    expect(out.trim()).toBe(`${ID} ${createHash('sha256').update(SECRET).digest('hex')} None`);
  });

  it('credential_process quotes profile names the shell and botocore would split', () => {
    expect(credentialProcessCommand('dev')).toBe('aws-mfa-refresh keys credential-process --profile dev');
    expect(credentialProcessCommand("my team's")).toBe(
      `aws-mfa-refresh keys credential-process --profile 'my team'\\''s'`,
    );
  });
});

describe('SIGKILL in the middle (child processes, file store)', () => {
  const ALL_STEPS = 'locked,temp-written,renamed,stored,verified,credentials-edited,credentials-restored,config-edited';

  function env(pauseMs: number): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: dir,
      XDG_STATE_HOME: join(dir, 'state'),
      [PASSPHRASE_ENV]: PASSPHRASE,
      AWS_MFA_REFRESH_TEST_PAUSE: ALL_STEPS,
      AWS_MFA_REFRESH_TEST_PAUSE_MS: String(pauseMs),
    };
  }
  const job = (op: 'import' | 'export'): Job => ({
    op,
    store: 'file',
    profile: 'dev',
    credentials: files.credentials,
    config: files.config,
    keyFile: join(dir, 'keys.enc'),
  });
  const childStore = () =>
    new EncryptedFileStore({
      path: join(dir, 'keys.enc'),
      passphrase: PASSPHRASE,
      cost,
      index: new KeyIndex(join(dir, 'state', 'aws-mfa-refresh', 'keys-index.json')),
    });

  /** The invariant: the keys are in the credentials file or in the store (or both), and each file is one of its two whole states. */
  async function where(): Promise<{ inFile: boolean; inStore: boolean }> {
    const text = read(files.credentials);
    expect([CREDENTIALS, WITHOUT_KEYS]).toContain(text);
    const inFile = plaintextKeys(text, 'dev', 'c').key?.secret === SECRET;
    const stored = existsSync(join(dir, 'keys.enc'))
      ? await childStore().get({ profile: 'dev', credentialsFile: files.credentials })
      : undefined;
    const inStore = stored?.secretAccessKey === SECRET;
    expect(inFile || inStore, `keys lost: file ${inFile}, store ${inStore}`).toBe(true);
    return { inFile, inStore };
  }

  async function countPauses(op: 'import' | 'export'): Promise<number> {
    const child = startKeysChild(job(op), env(0));
    expect(await child.result(), child.stderr).toMatchObject({ ok: true });
    expect(child.stdout + child.stderr).not.toContain(SECRET);
    return child.stderr.split('paused:').length - 1;
  }

  async function killAt(op: 'import' | 'export', pause: number): Promise<string> {
    const child = startKeysChild(job(op), env(60));
    await child.waitFor('stderr', 'paused:', { times: pause });
    // No secret in the command line (the passphrase is in the environment: the documented risk of PASSPHRASE_ENV).
    const cmdline = readFileSync(`/proc/${child.proc.pid}/cmdline`, 'latin1');
    expect(cmdline).not.toContain(SECRET);
    expect(cmdline).not.toContain(PASSPHRASE);
    child.proc.kill('SIGKILL');
    const { signal } = await child.exited;
    expect(child.stdout + child.stderr).not.toContain(SECRET);
    return signal === 'SIGKILL' ? (child.stderr.trim().split('\n').pop() ?? '') : 'finished';
  }

  it('import killed at every step: never neither; running it again completes it', async () => {
    const pauses = await countPauses('import');
    expect(pauses).toBeGreaterThanOrEqual(12); // key file, index, credentials, config writes + stored/verified/credentials-edited
    const seen: string[] = [];
    for (let k = 1; k <= pauses; k++) {
      writeFileSync(files.credentials, CREDENTIALS, { mode: 0o600 });
      writeFileSync(files.config, CONFIG, { mode: 0o600 });
      rmSync(join(dir, 'keys.enc'), { force: true });
      seen.push(await killAt('import', k));
      const { inFile } = await where();
      if (inFile) await importKeys({ store: childStore(), profile: 'dev', files });
      const after = await where();
      expect(after).toEqual({ inFile: false, inStore: true });
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        'paused:stored',
        'paused:verified',
        'paused:credentials-edited',
        'paused:temp-written',
        'paused:renamed',
      ]),
    );
  }, 240_000);

  it('export killed at every step: never neither; running it again restores the file byte for byte', async () => {
    const pauses = await (async () => {
      await importKeys({ store: childStore(), profile: 'dev', files });
      return countPauses('export');
    })();
    expect(read(files.credentials)).toBe(CREDENTIALS);
    for (let k = 1; k <= pauses; k++) {
      writeFileSync(files.credentials, CREDENTIALS, { mode: 0o600 });
      await importKeys({ store: childStore(), profile: 'dev', files });
      await killAt('export', k);
      const { inStore } = await where();
      if (inStore) await exportKeys({ store: childStore(), profile: 'dev', files });
      expect(await where()).toEqual({ inFile: true, inStore: false });
      expect(read(files.credentials)).toBe(CREDENTIALS);
    }
  }, 240_000);

  it('import killed at random moments (no pauses): never neither', async () => {
    for (let i = 0; i < 8; i++) {
      writeFileSync(files.credentials, CREDENTIALS, { mode: 0o600 });
      rmSync(join(dir, 'keys.enc'), { force: true });
      const child = startKeysChild(job('import'), { ...env(0), AWS_MFA_REFRESH_TEST_PAUSE: '' });
      await new Promise((done) => setTimeout(done, 60 + Math.random() * 400));
      child.proc.kill('SIGKILL');
      await child.exited;
      await where();
    }
  }, 120_000);
});

const missing = secretServiceMissing();
describe.skipIf(missing !== undefined)(
  `import and export with the keychain (GNOME Keyring)${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let bus: SessionBus;
    const savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    beforeAll(async () => {
      bus = await startBus();
      process.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
    });
    afterAll(async () => {
      if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
      await bus?.stop();
    });

    it('import: the secret is nowhere under HOME, secret-tool finds the entry; export: the file byte for byte', async () => {
      const store: KeyStore = new KeychainStore({
        env: { ...bus.env },
        index: new KeyIndex(join(dir, 'state', 'keys-index.json')),
      });
      await importKeys({ store, profile: 'dev', files });
      expect(read(files.credentials)).toBe(WITHOUT_KEYS);
      expect(grepSecret()).toEqual([]);
      expect(await bus.searchEntries()).toContain('attribute.service = aws-mfa-refresh');
      await exportKeys({ store, profile: 'dev', files });
      expect(read(files.credentials)).toBe(CREDENTIALS);
      expect(read(files.config)).toBe(CONFIG);
      expect(await store.get({ profile: 'dev', credentialsFile: files.credentials })).toBeUndefined();
    });

    it('import through a child process killed at every step: never neither', async () => {
      const childEnv = (ms: number) => ({
        ...process.env,
        ...bus.env,
        AWS_MFA_REFRESH_TEST_PAUSE: 'locked,temp-written,renamed,stored,verified,credentials-edited',
        AWS_MFA_REFRESH_TEST_PAUSE_MS: String(ms),
      });
      const job: Job = {
        op: 'import',
        store: 'keychain',
        profile: 'dev',
        credentials: files.credentials,
        config: files.config,
      };
      const store = new KeychainStore({ env: { ...bus.env } });
      const ref = { profile: 'dev', credentialsFile: files.credentials };
      const first = startKeysChild(job, childEnv(0));
      expect(await first.result(), first.stderr).toMatchObject({ ok: true });
      const pauses = first.stderr.split('paused:').length - 1;
      for (let k = 1; k <= pauses; k++) {
        await store.remove(ref);
        writeFileSync(files.credentials, CREDENTIALS, { mode: 0o600 });
        writeFileSync(files.config, CONFIG, { mode: 0o600 });
        const child = startKeysChild(job, childEnv(60));
        await child.waitFor('stderr', 'paused:', { times: k }).catch((error: Error) => {
          throw new Error(`${error.message} [${bus.state()}]`);
        });
        child.proc.kill('SIGKILL');
        await child.exited;
        expect(child.stdout + child.stderr).not.toContain(SECRET);
        const inFile = plaintextKeys(read(files.credentials), 'dev', 'c').key?.secret === SECRET;
        const inStore = (await store.get(ref))?.secretAccessKey === SECRET;
        expect(inFile || inStore, `step ${k}`).toBe(true);
      }
      await store.remove(ref);
    }, 240_000);
  },
);
