/**
 * Start-up: what the commands that run many times a day load, read from dist/contents.json (which
 * packages and source files each built file holds) and the files the process really loaded.
 */
import { describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, makeSandbox, modulesLoadedBy, type Sandbox } from './harness.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function usableSandbox(): Promise<Sandbox> {
  const s = await makeSandbox();
  await s.writeCredentials(
    `[default]\naws_access_key_id = ASIASESSION000000001\naws_secret_access_key = s\naws_session_token = t\n` +
      `expiration = ${iso(Date.now() + 5 * 3600_000)}\nmfa_issued = ${iso(Date.now())}\n`,
  );
  return s;
}

async function loads(args: string[], s: Sandbox): Promise<{ files: string[]; packages: Set<string> }> {
  const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<string, string[]>;
  const files = (await modulesLoadedBy(args, s.env))
    .filter((m) => m.includes('/dist/'))
    .map((m) => m.replace(/.*\/dist\//, ''));
  return { files, packages: new Set(files.flatMap((f) => contents[f] ?? [])) };
}

/** Node's own modules the CLI process loaded. */
async function builtinsLoadedBy(args: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  return (await modulesLoadedBy(args, env, { esm: false })).filter((m) => m.startsWith('node:'));
}

describe('start-up', () => {
  it('status, env, credential-process and exec on a usable session load neither commander, the SDK nor the prompts', async () => {
    const s = await usableSandbox();
    try {
      for (const args of [
        ['status'],
        ['env'],
        ['credential-process'],
        ['exec', '--', 'true'],
        ['status', '-p', 'default'],
      ]) {
        const { files, packages } = await loads(args, s);
        expect(packages, args.join(' ')).toContain('src/cli/args.ts'); // the probe sees the start-up parser
        expect(files, args.join(' ')).toEqual(['hot.cjs']);
        expect([...packages].filter((p) => /^commander$|^@aws-sdk\/|^@inquirer\//.test(p))).toEqual([]);
      }
      // Positive control: help is commander's, in the whole bundle, which hot.cjs handed it to.
      const help = await loads(['status', '--help'], s);
      expect(help.files.slice(0, 2)).toEqual(['hot.cjs', 'cli.cjs']);
      expect(help.packages).toContain('commander');
    } finally {
      await s.cleanup();
    }
  });

  it('hot.cjs leaves out the refresh, the prompts, the AWS client and commander; a command that needs them runs in cli.cjs', async () => {
    const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<
      string,
      string[]
    >;
    const hot = contents['hot.cjs']!;
    expect(hot).toContain('src/usecases/hand-out.ts');
    for (const leftOut of ['src/usecases/refresh.ts', 'src/mfa/terminal.ts', 'src/aws/client.ts', 'src/cli/main.ts'])
      expect(hot).not.toContain(leftOut);
    expect(contents['cli.cjs']).toContain('src/usecases/refresh.ts');
    // env on a session that needs a refresh, with the code given: hot.cjs reads the files and finds
    // it needs the refresh; cli.cjs runs the whole command, once (session-commands.e2e has the
    // refreshes that succeed, all through this hand-over).
    const s = await makeSandbox();
    try {
      await s.writeCredentials(
        '[default-long-term]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n\n' +
          '[default]\naws_access_key_id = ASIAOLD\naws_secret_access_key = s\naws_session_token = t\n',
      );
      await s.writeConfig('[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n');
      const args = ['env', '--refresh', '--code', '123456', '--endpoint-url', 'http://127.0.0.1:9', '--timeout', '1s'];
      const r = await s.run(args);
      expect(r.stderr.match(/connection refused/g)).toHaveLength(1); // cli.cjs got as far as calling AWS, once
      expect(r.stdout).toBe('');
      // With --debug, the hand-over is said (the lines before it come again from cli.cjs).
      const debug = await s.run([...args, '--debug']);
      expect(debug.stderr).toMatch(/src\/mfa\/terminal\.ts is not in hot\.cjs: the command starts over in cli\.cjs/);
      const { files } = await loads(args, s);
      expect(files.slice(0, 2)).toEqual(['hot.cjs', 'cli.cjs']);
    } finally {
      await s.cleanup();
    }
  });

  it("status, status -q, status --json, env and credential-process answer without Node's streams, fs/promises or net", async () => {
    const s = await usableSandbox();
    const heavy = /^node:(net|stream|fs\/promises|internal\/streams\/writable|internal\/readline\/interface)$/;
    try {
      for (const args of [['status'], ['status', '-q'], ['status', '--json'], ['env'], ['credential-process']]) {
        const loaded = await builtinsLoadedBy(args, s.env);
        expect(loaded, args.join(' ')).toContain('node:internal/modules/cjs/loader'); // the probe sees built-ins
        expect(
          loaded.filter((m) => heavy.test(m)),
          args.join(' '),
        ).toEqual([]);
      }
      // Positive control: help, into a pipe, prints through process.stdout.
      expect(await builtinsLoadedBy(['status', '--help'], s.env)).toContain('node:net');
    } finally {
      await s.cleanup();
    }
  });
});

describe('the compiled-code cache', () => {
  const filesIn = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));

  it('lives in a directory of the user alone (0700), and is not used when others could write there', async () => {
    const s = await usableSandbox();
    const dir = join(s.home, '.cache', 'aws-mfa-refresh', 'compile-cache');
    try {
      for (let i = 0; i < 2; i++) {
        const r = await s.run(['status']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^✔ default: usable until/);
      }
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await filesIn(dir)).length).toBeGreaterThan(0);

      // Group- and world-writable: another user could plant code there.
      await rm(dir, { recursive: true });
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777);
      const r = await s.run(['status']);
      expect(r.code, r.stderr).toBe(0);
      expect(await filesIn(dir)).toEqual([]);

      // XDG_CACHE_HOME is honoured; a relative one is not trusted.
      const xdg = join(s.home, 'xdg-cache');
      expect((await s.run(['status'], { env: { XDG_CACHE_HOME: xdg } })).code).toBe(0);
      expect((await filesIn(join(xdg, 'aws-mfa-refresh', 'compile-cache'))).length).toBeGreaterThan(0);
      // (The CLI runs in this checkout: a cache made there would be under ./amr-relative-cache.)
      expect((await s.run(['status'], { env: { XDG_CACHE_HOME: 'amr-relative-cache' } })).code).toBe(0);
      expect(await stat(join(process.cwd(), 'amr-relative-cache')).catch(() => 'absent')).toBe('absent');
    } finally {
      await s.cleanup();
    }
  });

  it('a damaged cache is rejected, the command works, and it is replaced; the SDK is cached too', async () => {
    const s = await usableSandbox();
    const dir = join(s.home, '.cache', 'aws-mfa-refresh', 'compile-cache');
    try {
      expect((await s.run(['status'])).code).toBe(0);
      const ours = (await filesIn(dir)).filter((f) => /\/hot\.cjs-status@v[\d.]+-\w+-\d+-\d+\.v8$/.test(f));
      expect(ours).toHaveLength(1);
      // Each hot command keeps its own cache: env's does not replace status's.
      expect((await s.run(['env'])).code).toBe(0);
      const both = (await filesIn(dir)).filter((f) => /\/hot\.cjs-(status|env)@/.test(f));
      expect(both.map((f) => f.replace(/.*hot\.cjs-(\w+)@.*/, '$1')).sort()).toEqual(['env', 'status']);
      const garbage = Buffer.alloc(4096, 0x41);
      await writeFile(ours[0]!, garbage);
      // A cache of hot.cjs from before caches were kept per command: removed with the next write.
      const legacy = join(dir, 'hot.cjs@v20.0.0-x64-1-1.v8');
      await writeFile(legacy, garbage);
      const r = await s.run(['status', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'default', usable: true });
      expect((await readFile(ours[0]!)).equals(garbage)).toBe(false);
      expect(await stat(legacy).catch(() => 'removed')).toBe('removed');
      expect((await stat(ours[0]!)).mode & 0o777).toBe(0o600);
      // The bundles loaded on demand are cached too: the AWS SDK's, by a command that calls AWS.
      await s.writeCredentials('[default-long-term]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n');
      const offline = await s.run(['devices', '--endpoint-url', 'http://127.0.0.1:9', '--timeout', '1s']);
      expect(offline.stderr).toMatch(/connection refused/); // it got as far as calling AWS
      const cached = (await filesIn(dir)).map((f) => f.replace(/@.*/, '').replace(/.*\//, ''));
      expect(cached).toContain('cli.cjs-other'); // devices: not the refresh's cache
      expect(cached).toContain('vendor-aws-sdk.cjs');
    } finally {
      await s.cleanup();
    }
  });
});
