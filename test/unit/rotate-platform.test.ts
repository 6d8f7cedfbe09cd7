/**
 * `keys rotate` follows the injected platform, as the refresh inside it does: a win32 platform built
 * in a test (on Linux) finds ~/.aws under USERPROFILE (botocore's home rule there), not under HOME,
 * both for the key it rotates and for the session it reads back. Real files, the loopback emulator,
 * the real AWS clients.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSeed, startEmulator, type Emulator } from '../emulator/index.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { makePlatform, systemFacts } from '../../src/platform/platform.js';
import { systemDeps } from '../../src/usecases/deps.js';
import { rotateKey } from '../../src/usecases/rotate.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const USER = 'alice';
const OLD_KEY = 'AKIAROTATEPLATFORM01';
const SECRET = 'rotate/platform/secret';
const SERIAL = `arn:aws:iam::123456789012:mfa/${USER}-phone`;

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
  emulator = await startEmulator({
    users: [
      {
        userName: USER,
        accessKeyId: OLD_KEY,
        secretAccessKey: SECRET,
        devices: [{ serialNumber: SERIAL, seed: randomSeed() }],
      },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'rotate-platform-'));
});
afterAll(async () => {
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** ~/.aws in USERPROFILE only; HOME is an empty directory. */
async function homes(): Promise<{ env: NodeJS.ProcessEnv; winAws: string; posixHome: string }> {
  const root = await mkdtemp(join(dir, 'case-'));
  const winAws = join(root, 'user-profile', '.aws');
  const posixHome = join(root, 'home');
  await mkdir(winAws, { recursive: true });
  await mkdir(posixHome);
  await writeFile(
    join(winAws, 'credentials'),
    `[default-long-term]\naws_access_key_id = ${OLD_KEY}\naws_secret_access_key = ${SECRET}\n`,
    { mode: 0o600 },
  );
  await writeFile(
    join(winAws, 'config'),
    `[default]\nmfa_serial = ${SERIAL}\nregion = us-east-1\nendpoint_url = ${emulator.url}\n`,
    { mode: 0o600 },
  );
  const env = {
    HOME: posixHome,
    USERPROFILE: join(root, 'user-profile'),
    XDG_STATE_HOME: join(root, 'state'),
    LOCALAPPDATA: join(root, 'state'),
    XDG_CONFIG_HOME: join(root, 'config'),
  };
  return { env, winAws, posixHome };
}

function rotate(env: NodeJS.ProcessEnv, kind: 'win32' | 'linux') {
  const platform = makePlatform(kind, { ...systemFacts(), env });
  const io = { debug: () => {}, warn: () => {}, step: () => {}, promptStreams: () => undefined };
  const deps = { ...systemDeps(), env, platform };
  return rotateKey({ flags: { code: emulator.lastingCode(SERIAL) }, retry: { attempts: 3, delayMs: 100 } }, io, deps);
}

describe('keys rotate with an injected platform', () => {
  it('win32: rotates the key of %USERPROFILE%\\.aws\\credentials in place; nothing appears under HOME', async () => {
    const { env, winAws, posixHome } = await homes();
    const result = await rotate(env, 'win32');
    const credentials = join(winAws, 'credentials');
    expect(result.location).toBe(credentials);
    expect(result.oldAccessKeyId).toBe(OLD_KEY);
    expect(emulator.accessKeys(USER).map((k) => k.accessKeyId)).toEqual([result.newAccessKeyId]);
    const text = await readFile(credentials, 'utf8');
    expect(text).toContain(`[default-long-term]\naws_access_key_id = ${result.newAccessKeyId}\n`);
    expect(text).not.toContain(OLD_KEY);
    expect(text).toMatch(/\[default\]\naws_access_key_id = ASIA/); // the session the refresh wrote there
    expect(existsSync(join(posixHome, '.aws'))).toBe(false);
  }, 60_000);

  it('linux, same files: HOME is the home, which holds no keys: refused, nothing rotated', async () => {
    const { env, posixHome } = await homes();
    const before = emulator.accessKeys(USER).map((k) => k.accessKeyId);
    const error = await rotate(env, 'linux').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(ExitCode.Credentials);
    expect((error as UserError).message).toContain(join(posixHome, '.aws', 'credentials'));
    expect(emulator.accessKeys(USER).map((k) => k.accessKeyId)).toEqual(before);
  });
});
