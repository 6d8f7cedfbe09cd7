/**
 * The hostile corpus (test/fixtures/hostile): the real CLI refreshes a profile in each file, against
 * the emulator. Either the refresh succeeds and every byte it does not own is where it was, and
 * both the JS SDK's reader and botocore read the new session and every other profile as before; or
 * it fails with one stderr line naming the file (and the line) and the file is byte-identical.
 *
 * All refreshes run first (4 at a time), then botocore reads every before/after file in one
 * python process; the tests below assert per file.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type IssuedSession } from '../emulator/index.js';
import { CASES, type HostileCase } from '../fixtures/hostile/manifest.js';
import { newUser } from './fixtures.js';
import { makeSandbox, type RunResult, type Sandbox } from './harness.js';
import {
  botocoreAvailable,
  isOwnedKey,
  isoSeconds,
  leftovers,
  pool,
  readWithBotocore,
  readWithSdk,
  refreshProblems,
  sourceConfig,
  substituteKeys,
  type BotocoreResult,
  type ExpectedSession,
  type Profiles,
} from '../stress/support.js';
import { REFERENCE_PYTHON } from '../reference-python.js';

const FILES = fileURLToPath(new URL('../fixtures/hostile/files/', import.meta.url));

interface Outcome {
  c: HostileCase;
  sandbox: Sandbox;
  serial: string;
  /** The path the CLI was given, and where the bytes really are. */
  path: string;
  real: string;
  before?: Buffer;
  after?: Buffer;
  config: { path: string; before: string };
  run: RunResult;
  sessions: IssuedSession[];
  requestsByUser: number;
  linkBefore?: string;
  modeBefore?: number;
  beforeCopy?: string;
  afterCopy?: string;
  ms: number;
}

let emulator: Emulator;
let scratch: string;
let hasBotocore = false;
let botocore: Record<string, BotocoreResult> = {};
const outcomes = new Map<string, Outcome>();
let totalMs = 0;

async function runCase(c: HostileCase): Promise<Outcome> {
  const sandbox = await makeSandbox(emulator.url);
  const user = newUser(emulator);
  const serial = user.devices![0]!.serialNumber;
  let bytes: Buffer | undefined = c.generate
    ? c.generate()
    : c.file === null
      ? undefined
      : readFileSync(join(FILES, c.file ?? `${c.name}.ini`));
  if (bytes && c.source) bytes = substituteKeys(bytes, user);
  if (bytes && !c.source) expect(bytes.includes('@@AKID@@'), `${c.name} has placeholders but no source`).toBe(false);

  // The source keys live in a config file outside ~/.aws unless the corpus file holds them.
  const configPath = join(sandbox.home, 'amr-config');
  const configText = c.source ? '# no profiles\n' : sourceConfig(user);
  writeFileSync(configPath, configText, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { AWS_CONFIG_FILE: configPath };

  const awsDir = join(sandbox.home, '.aws');
  const vault = join(sandbox.home, 'vault');
  let path = join(awsDir, 'credentials');
  let real = path;
  const write = (file: string, mode = 0o600) => {
    writeFileSync(file, bytes!, { mode });
    chmodSync(file, mode);
  };
  mkdirSync(awsDir, { mode: 0o700 });
  switch (c.layout ?? 'plain') {
    case 'plain':
      write(path);
      break;
    case 'odd-path': {
      const dir = join(sandbox.home, `we!rd [dir] it's $HOME (1)`);
      mkdirSync(dir, { mode: 0o700 });
      path = real = join(dir, 'cred "x" (1).ini');
      env.AWS_SHARED_CREDENTIALS_FILE = path;
      write(path);
      break;
    }
    case 'symlink-absolute':
    case 'symlink-relative':
    case 'symlink-chain':
      mkdirSync(vault, { mode: 0o700 });
      real = join(vault, 'credentials.real');
      write(real);
      if (c.layout === 'symlink-absolute') symlinkSync(real, path);
      else if (c.layout === 'symlink-relative') symlinkSync('../vault/credentials.real', path);
      else {
        symlinkSync(real, join(awsDir, 'hop'));
        symlinkSync('hop', path);
      }
      break;
    case 'read-only':
      write(path, 0o400);
      break;
    case 'dangling-symlink':
      mkdirSync(vault, { mode: 0o700 });
      real = join(vault, 'not-yet');
      symlinkSync('../vault/not-yet', path);
      break;
    case 'dangling-symlink-new-dir':
      real = join(sandbox.home, 'new', 'dir', 'credentials');
      symlinkSync(real, path);
      break;
    case 'directory':
      mkdirSync(path);
      writeFileSync(join(path, 'keep'), 'x');
      break;
    case 'fifo':
      execFileSync('mkfifo', ['-m', '600', path]);
      break;
    case 'symlink-loop':
      symlinkSync('loop', path);
      symlinkSync('credentials', join(awsDir, 'loop'));
      break;
    case 'symlink-to-directory':
      mkdirSync(vault, { mode: 0o700 });
      real = vault;
      symlinkSync('../vault', path);
      break;
  }
  const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
  const before = isFile(real) ? readFileSync(real) : undefined;
  if (bytes) expect(before?.equals(bytes), `${c.name}: fixture written`).toBe(true);
  const linkBefore = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  const modeBefore = before ? statSync(real).mode & 0o777 : undefined;

  const started = Date.now();
  const run = await sandbox.run(
    [
      '--profile',
      c.target,
      '--source-profile',
      c.source ?? 'amr-source',
      '--no-remember',
      '--serial-number',
      serial,
      '--code',
      emulator.lastingCode(serial),
    ],
    // A 5 MB file is parsed several times: on a loaded machine that takes far longer than the default.
    { env, timeoutMs: 120_000 },
  );
  const ms = Date.now() - started;
  const after = isFile(real) ? readFileSync(real) : undefined;

  const copy = (what: string, b: Buffer | undefined) => {
    if (!b) return undefined;
    const file = join(scratch, `${c.name}.${what}.ini`);
    writeFileSync(file, b);
    return file;
  };
  return {
    c,
    sandbox,
    serial,
    path,
    real,
    before,
    after,
    run,
    ms,
    linkBefore,
    modeBefore,
    config: { path: configPath, before: configText },
    sessions: emulator.sessions.filter((s) => s.userName === user.userName),
    requestsByUser: emulator.requests.filter((r) => r.accessKeyId === user.accessKeyId).length,
    beforeCopy: copy('before', before),
    afterCopy: copy('after', after),
  };
}

beforeAll(async () => {
  emulator = await startEmulator();
  scratch = await mkdtemp(join(tmpdir(), 'amr-hostile-'));
  hasBotocore = await botocoreAvailable();
  const started = Date.now();
  for (const o of await pool(CASES, 4, runCase)) outcomes.set(o.c.name, o);
  const jobs = [...outcomes.values()].flatMap((o) => [
    ...(o.beforeCopy ? [{ id: `${o.c.name}:before`, path: o.beforeCopy }] : []),
    ...(o.afterCopy && o.c.expect.ok ? [{ id: `${o.c.name}:after`, path: o.afterCopy, profile: o.c.target }] : []),
  ]);
  if (hasBotocore) botocore = await readWithBotocore(jobs);
  totalMs = Date.now() - started;
}, 300_000);

afterAll(async () => {
  const runs = [...outcomes.values()].map((o) => o.ms).sort((a, b) => a - b);
  if (runs.length)
    console.log(
      `hostile corpus: ${outcomes.size} cases in ${(totalMs / 1000).toFixed(1)} s; refresh median ${runs[runs.length >> 1]} ms, max ${runs[runs.length - 1]} ms`,
    );
  await Promise.all([...outcomes.values()].map((o) => o.sandbox.cleanup()));
  if (scratch) await rm(scratch, { recursive: true, force: true });
  await emulator?.close();
});

function expectedOf(o: Outcome): ExpectedSession {
  expect(o.sessions, 'exactly one session issued for this run').toHaveLength(1);
  const s = o.sessions[0]!;
  return {
    aws_access_key_id: s.accessKeyId,
    aws_secret_access_key: s.secretAccessKey,
    aws_session_token: s.sessionToken,
    expiration: isoSeconds(s.expiration),
    mfa_device: o.serial,
  };
}

/**
 * Every profile but the target reads as before; the target has the new session keys, keeps every
 * key it had that the tool does not own, and has no foreign session key left.
 */
function expectSameProfilesBut(
  reader: string,
  before: Profiles,
  after: Profiles,
  target: string,
  fresh: Record<string, string>,
  opts: { exactKeys: boolean },
) {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of names) {
    if (name === target) continue;
    expect(after[name], `${reader}: profile [${name}] changed`).toEqual(before[name]);
  }
  const t = after[target] ?? {};
  for (const [key, value] of Object.entries(fresh)) expect(t[key], `${reader}: [${target}] ${key}`).toBe(value);
  const old = before[target] ?? {};
  for (const [key, value] of Object.entries(old))
    if (!isOwnedKey(key)) expect(t[key], `${reader}: [${target}] kept ${key}`).toEqual(value);
  for (const key of Object.keys(t)) {
    if (['aws_security_token', 'x_security_token_expires'].includes(key.toLowerCase()))
      expect.fail(`${reader}: [${target}] still has ${key}`);
    if (opts.exactKeys && !(key in fresh) && !(key in old)) expect.fail(`${reader}: [${target}] has a new key ${key}`);
    if (opts.exactKeys && !(key in fresh) && isOwnedKey(key)) expect.fail(`${reader}: [${target}] still has ${key}`);
  }
}

/** How the CLI may name the file: as given, or with ~ for the home directory. */
function shownPattern(o: Outcome): string {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const home = o.sandbox.home;
  return `(?:${esc(o.path)}|${esc(`~${o.path.slice(home.length)}`)})`;
}

describe('hostile credentials files, refreshed by the real CLI', () => {
  it('the manifest and files/ agree, and the corpus is large enough', () => {
    const committed = readdirSync(FILES).sort();
    const named = CASES.filter((c) => !c.generate && c.file !== null)
      .map((c) => c.file ?? `${c.name}.ini`)
      .sort();
    expect(committed).toEqual(named);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.filter((c) => c.file !== null).length).toBeGreaterThanOrEqual(50);
    expect(CASES.some((c) => !c.expect.ok) && CASES.some((c) => c.expect.ok)).toBe(true);
  });

  it('botocore is installed (Debian: apt-get install python3-botocore)', () => {
    expect(hasBotocore, `${REFERENCE_PYTHON} cannot import botocore`).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.why}`, async () => {
      const o = outcomes.get(c.name)!;
      expect(o, 'ran').toBeDefined();
      const { run } = o;
      expect(run.signal, `killed after ${o.ms} ms: ${run.stderr}`).toBeNull();
      expect(readFileSync(o.config.path, 'latin1'), 'config file untouched').toBe(o.config.before);
      for (const dir of new Set([dirname(o.path), dirname(o.real), o.real]))
        expect(leftovers(dir), `leftovers in ${dir}`).toEqual([]);
      if (o.linkBefore !== undefined) {
        expect(lstatSync(o.path).isSymbolicLink(), 'the link is still a link').toBe(true);
        expect(readlinkSync(o.path)).toBe(o.linkBefore);
      }
      if (c.layout === 'symlink-chain')
        expect(readlinkSync(join(dirname(o.path), 'hop')), 'the hop link kept').toBe(o.real);

      // What botocore makes of the original is what the manifest says.
      if (c.botocore !== 'absent') {
        const b = botocore[`${c.name}:before`];
        if (hasBotocore) {
          expect(b, 'botocore read the original').toBeDefined();
          if (c.botocore === 'reads') expect(b!.ok, `botocore rejected the original: ${b!.error}`).toBe(true);
          else {
            expect(
              b!.ok,
              `botocore read the original, but the manifest says it rejects it (${c.botocore.because})`,
            ).toBe(false);
            expect(b!.error).toContain(c.botocore.rejects);
          }
        }
      }

      if (!c.expect.ok) {
        const e = c.expect;
        expect(run.code, run.stderr).toBe(e.exit);
        expect(run.stdout).toBe('');
        expect(run.stderr, 'one line on stderr').toMatch(/^aws-mfa-refresh: [^\n]+\n$/);
        expect(run.stderr).toMatch(e.message);
        expect(run.stderr, 'names the file').toMatch(
          new RegExp(shownPattern(o) + (e.line !== undefined ? `:${e.line}: ` : '')),
        );
        if (o.before) {
          expect(o.after && o.after.equals(o.before), 'the file is byte-identical').toBe(true);
          expect(statSync(o.real).mode & 0o777, 'mode unchanged').toBe(o.modeBefore);
        } else if (c.layout === 'directory') {
          expect(readdirSync(o.path)).toEqual(['keep']);
        } else if (c.layout === 'fifo') {
          expect(lstatSync(o.path).isFIFO()).toBe(true);
        } else if (c.layout === 'symlink-to-directory') {
          expect(readdirSync(o.real)).toEqual([]);
        }
        if (e.callsAws === false) expect(o.requestsByUser, 'no AWS call, no code spent').toBe(0);
        return;
      }

      expect(run.code, run.stderr).toBe(0);
      if (c.warns) {
        expect(run.stderr).toMatch(c.warns);
        expect(run.stderr, 'only warning lines').toMatch(/^(warning: [^\n]+\n)+$/);
      } else {
        expect(run.stderr).toBe('');
      }
      expect(run.stdout).toMatch(new RegExp(`^✔ Profile "${c.target.replace(/\./g, '\\.')}" refreshed`));
      expect(o.after, 'the file exists').toBeDefined();
      const expected = expectedOf(o);
      // The byte-level checker splits lines and headers as the JS SDK does; where that reading differs from
      // botocore's, botocore's reading below (new session in the target, every other profile unchanged) decides.
      if (!c.sdkDiffers) expect(refreshProblems(o.before, o.after!, c.target, expected)).toEqual([]);
      expect(statSync(o.real).mode & 0o777, 'mode').toBe(o.modeBefore ?? 0o600);
      if (c.layout === 'dangling-symlink-new-dir') expect(statSync(dirname(o.real)).mode & 0o777).toBe(0o700);

      // The JS SDK's reader: the new session in the target, every other profile as before (where it reads
      // the original as botocore does; otherwise botocore's reading below is the one that decides).
      const issued = c.sdkDiffers
        ? (botocore[`${c.name}:after`]?.sections?.[c.target]?.mfa_issued as string)
        : ((await readWithSdk(o.afterCopy!))[c.target]?.mfa_issued as string);
      const fresh = { ...expected, mfa_issued: issued };
      expect(Math.abs(Date.parse(issued) - Date.now())).toBeLessThan(5 * 60_000);
      if (!c.sdkDiffers) {
        const sdkBefore = o.beforeCopy ? await readWithSdk(o.beforeCopy) : {};
        const sdkAfter = await readWithSdk(o.afterCopy!);
        expectSameProfilesBut('JS SDK', sdkBefore, sdkAfter, c.target, fresh, { exactKeys: true });
      }

      // botocore, where it can read the original (or there was none).
      if (hasBotocore && (c.botocore === 'reads' || c.botocore === 'absent')) {
        const b = botocore[`${c.name}:after`]!;
        expect(b.ok, `botocore cannot read the refreshed file: ${b.error}`).toBe(true);
        const bBefore = c.botocore === 'reads' ? botocore[`${c.name}:before`]!.sections! : {};
        expectSameProfilesBut('botocore', bBefore, b.sections!, c.target, fresh, { exactKeys: false });
        expect(b.credentials, `botocore's SharedCredentialProvider: ${b.credentialsError}`).toEqual({
          access_key: expected.aws_access_key_id,
          secret_key: expected.aws_secret_access_key,
          token: expected.aws_session_token,
        });
      }
    });
  }
});
