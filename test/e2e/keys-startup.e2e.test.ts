/**
 * The keychain's code (src/keys/keychain-store.ts and the native @napi-rs/keyring) loads only on
 * keychain paths: status and a refresh from plaintext keys never load it (dist/contents.json says
 * which sources each output file holds).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, makeSandbox, modulesLoadedBy } from './harness.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const session = (expiresIn: number) =>
  `[default]\naws_access_key_id = ASIASESSION000000001\naws_secret_access_key = s\naws_session_token = t\n` +
  `expiration = ${iso(Date.now() + expiresIn * 1000)}\nmfa_issued = ${iso(Date.now())}\n`;

async function loads(args: string[], env: NodeJS.ProcessEnv): Promise<{ sources: Set<string>; urls: string[] }> {
  const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<string, string[]>;
  const urls = await modulesLoadedBy(args, env);
  return { sources: new Set(urls.flatMap((m) => contents[m.replace(/.*\/dist\//, '')] ?? [])), urls };
}

// All of src is one CommonJS bundle (dist/cli.cjs) whose modules run only when first imported, so what
// shows is the native binding: loaded by keychain paths only.
const keychainLoaded = (l: { sources: Set<string>; urls: string[] }) =>
  l.urls.some((u) => u.includes('@napi-rs/keyring'));

describe('start-up without the keychain', () => {
  it('status and a plaintext refresh never load the keychain chunk or the native module; a keychain import does', async () => {
    const s = await makeSandbox('http://127.0.0.1:9');
    try {
      await s.writeCredentials(
        `${session(3600)}[default-long-term]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n`,
      );
      const status = await loads(['status'], s.env);
      expect(status.sources).toContain('src/profiles/session-state.ts');
      expect(keychainLoaded(status)).toBe(false);
      const refresh = await loads(['--force', '--code', '123456', '--timeout', '1s'], s.env);
      expect(refresh.sources).toContain('src/usecases/source-keys.ts');
      expect(keychainLoaded(refresh)).toBe(false);
      // Positive control: a keychain path loads both (then fails: no Secret Service at that address).
      const env = { ...s.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
      const keychain = await loads(['keys', 'import', '--profile', 'default-long-term', '--store', 'keychain'], env);
      expect(keychain.sources).toContain('src/keys/keychain-store.ts');
      expect(keychain.urls.some((u) => u.includes('@napi-rs/keyring'))).toBe(true);
    } finally {
      await s.cleanup();
    }
  }, 120_000);
});
