/**
 * Crash safety: the real CLI is killed with SIGKILL while it refreshes a profile in a file from the
 * hostile corpus, at each step of the write (the pause hook: `locked`, `temp-written`, `renamed`),
 * at random moments after spawn, and at random moments right after it took the lock.
 *
 * After every kill the file must be byte-identical to the old content or be a complete refresh of
 * it (every byte outside the target unchanged, the target holding all six keys of the session the
 * emulator issued to that run), and the next normal refresh must succeed at once: a stale lock of
 * the dead pid is taken over and its temp file removed, with nothing left behind.
 */
import { readFileSync, mkdirSync, writeFileSync, readdirSync, chmodSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, totpAtStep, totpStep, type Emulator, type IssuedSession } from '../emulator/index.js';
import { CASES, type HostileCase } from '../fixtures/hostile/manifest.js';
import { newUser } from '../e2e/fixtures.js';
import { makeSandbox, type Sandbox } from '../e2e/harness.js';
import {
  botocoreAvailable,
  isoSeconds,
  leftovers,
  readWithBotocore,
  readWithSdk,
  refreshProblems,
  sleep,
  sourceConfig,
  spawnCli,
  substituteKeys,
  type BotocoreJob,
  type ExpectedSession,
} from './support.js';
import { REFERENCE_PYTHON } from '../reference-python.js';

const FILES = fileURLToPath(new URL('../fixtures/hostile/files/', import.meta.url));
const PAUSE_RUNS_PER_STEP = 25;
/** Kills at a random delay after spawn: runs that finish before their kill do not count; retried up to a cap. */
const SPAWN_DELAY_KILLS = 40;
const SPAWN_DELAY_MAX_ATTEMPTS = 120;
const IN_WRITE_RUNS = 30;

type Mode =
  | { kind: 'pause'; step: 'locked' | 'temp-written' | 'renamed' }
  | { kind: 'spawn-delay'; delayMs: number }
  | { kind: 'in-write'; delayMs: number };

interface Run {
  index: number;
  mode: Mode;
  c: HostileCase;
  /** The child was really killed (not finished before the signal). */
  killed: boolean;
  /** From spawn to exit. */
  childMs: number;
  state: 'old' | 'new';
  problems: string[];
  /** What was next to the file after the kill: its lock, its temp file. */
  lockLeft: boolean;
  tempLeft: boolean;
  recovery: { code: number | null; stderr: string; ms: number; problems: string[]; leftovers: string[] };
  botocoreJobs: Array<BotocoreJob & { expected: ExpectedSession }>;
}

// Files a refresh succeeds on, plainly at ~/.aws/credentials; large generated ones are too slow here.
const CORPUS = CASES.filter(
  (c) =>
    c.expect.ok &&
    (c.layout ?? 'plain') === 'plain' &&
    c.file !== null &&
    (!c.generate || c.name.startsWith('gen-long')),
);

let emulator: Emulator;
let scratch: string;
const sandboxes: Sandbox[] = [];
const runs: Run[] = [];
let hasBotocore = false;
let botocore: Record<string, { ok: boolean; error?: string; credentials?: unknown }> = {};
let elapsedMs = 0;
let spawnDelayMaxMs = 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function expectedFrom(s: IssuedSession, serial: string): ExpectedSession {
  return {
    aws_access_key_id: s.accessKeyId,
    aws_secret_access_key: s.secretAccessKey,
    aws_session_token: s.sessionToken,
    expiration: isoSeconds(s.expiration),
    mfa_device: serial,
  };
}

async function crashRun(mode: Mode, index: number): Promise<Run> {
  const c = CORPUS[index % CORPUS.length]!;
  const sandbox = await makeSandbox(emulator.url);
  sandboxes.push(sandbox);
  const user = newUser(emulator);
  const device = user.devices![0]!;
  const raw = c.generate ? c.generate() : readFileSync(join(FILES, c.file ?? `${c.name}.ini`));
  const old = c.source ? substituteKeys(raw, user) : raw;
  const configPath = join(sandbox.home, 'amr-config');
  writeFileSync(configPath, c.source ? '' : sourceConfig(user), { mode: 0o600 });
  const awsDir = join(sandbox.home, '.aws');
  mkdirSync(awsDir, { mode: 0o700 });
  const file = join(awsDir, 'credentials');
  writeFileSync(file, old, { mode: 0o600 });
  chmodSync(file, 0o600);

  const args = (code: string) => [
    '--profile',
    c.target,
    '--source-profile',
    c.source ?? 'amr-source',
    '--no-remember',
    '--serial-number',
    device.serialNumber,
    '--code',
    code,
    '--force',
  ];
  const env = { ...sandbox.env, AWS_CONFIG_FILE: configPath };
  const sessionsOfUser = () => emulator.sessions.filter((s) => s.userName === user.userName);

  // The killed run uses the code of the next 30 s step, so the recovery can take the current one
  // whether or not the killed run got to spend its code.
  const killedCode = totpAtStep(device.seed, totpStep(emulator.now()) + 1);
  const pauseEnv =
    mode.kind === 'pause'
      ? { AWS_MFA_REFRESH_TEST_PAUSE: mode.step, AWS_MFA_REFRESH_TEST_PAUSE_MS: '20000' }
      : mode.kind === 'in-write'
        ? { AWS_MFA_REFRESH_TEST_PAUSE: 'locked', AWS_MFA_REFRESH_TEST_PAUSE_MS: '0' }
        : {};
  const child = spawnCli(args(killedCode), { ...env, ...pauseEnv });
  let finished = false;
  void child.exited.then(() => (finished = true));
  if (mode.kind === 'pause') await child.waitFor('stderr', `paused:${mode.step}\n`, { timeoutMs: 20_000 });
  else if (mode.kind === 'in-write') {
    await child.waitFor('stderr', 'paused:locked\n', { timeoutMs: 20_000 }).catch(() => {}); // it may fail before locking: checked below
    await sleep(mode.delayMs);
  } else await Promise.race([sleep(mode.delayMs), child.exited]);
  if (!finished) child.proc.kill('SIGKILL');
  const exit = await child.exited;
  const childMs = Date.now() - child.startedAt;
  const killed = exit.signal === 'SIGKILL';

  const names = readdirSync(awsDir);
  const lockLeft = names.includes('credentials.lock');
  const tempLeft = names.some((n) => n.endsWith('.tmp'));
  const after = readFileSync(file);
  let state: 'old' | 'new' = 'old';
  const problems: string[] = [];
  if (!killed && exit.code !== 0) problems.push(`finished before the kill with exit ${exit.code}: ${child.stderr}`);
  const botocoreJobs: Run['botocoreJobs'] = [];
  if (!after.equals(old)) {
    state = 'new';
    const issued = sessionsOfUser();
    if (issued.length !== 1) problems.push(`${issued.length} sessions issued, file changed`);
    else {
      const expected = expectedFrom(issued[0]!, device.serialNumber);
      // Files the JS SDK reads differently from botocore (sdkDiffers) are checked by botocore alone, below.
      if (!c.sdkDiffers) {
        problems.push(...refreshProblems(old, after, c.target, expected));
        const sdk = (await readWithSdk(file))[c.target];
        if (
          sdk?.aws_session_token !== expected.aws_session_token ||
          sdk?.aws_access_key_id !== expected.aws_access_key_id
        )
          problems.push('the JS SDK does not read the new session');
      }
      if (c.botocore === 'reads') {
        const copy = join(scratch, `run${index}-killed.ini`);
        writeFileSync(copy, after);
        botocoreJobs.push({ id: copy, path: copy, profile: c.target, expected });
      }
    }
  }

  // The next normal refresh: no manual cleanup.
  const started = Date.now();
  const next = await sandbox.run(args(emulator.freshCode(device.serialNumber)), {
    env: { AWS_CONFIG_FILE: configPath },
    timeoutMs: 20_000,
  });
  const ms = Date.now() - started;
  const recoveryProblems: string[] = [];
  const final = readFileSync(file);
  const latest = sessionsOfUser().at(-1);
  if (next.code === 0 && latest) {
    const expected = expectedFrom(latest, device.serialNumber);
    if (!c.sdkDiffers) recoveryProblems.push(...refreshProblems(old, final, c.target, expected));
    if (c.botocore === 'reads') {
      const copy = join(scratch, `run${index}-recovered.ini`);
      writeFileSync(copy, final);
      botocoreJobs.push({ id: copy, path: copy, profile: c.target, expected });
    }
  }
  return {
    index,
    mode,
    c,
    killed,
    childMs,
    state,
    problems,
    lockLeft,
    tempLeft,
    botocoreJobs,
    recovery: { code: next.code, stderr: next.stderr, ms, problems: recoveryProblems, leftovers: leftovers(awsDir) },
  };
}

beforeAll(async () => {
  emulator = await startEmulator();
  scratch = await mkdtemp(join(tmpdir(), 'amr-crash-'));
  hasBotocore = await botocoreAvailable();
  // Kills after spawn should land anywhere in a run. How long a run takes depends on the load, so
  // the delay is drawn when the run starts, from 0 to 1.1 x the median of the uninterrupted
  // refreshes so far (the recovery runs).
  const recoveryMs: number[] = [];
  spawnDelayMaxMs = 600;
  const spawnDelay = (): Mode => ({ kind: 'spawn-delay', delayMs: -1 });
  const modes: Mode[] = [];
  for (const step of ['locked', 'temp-written', 'renamed'] as const)
    for (let i = 0; i < PAUSE_RUNS_PER_STEP; i++) modes.push({ kind: 'pause', step });
  for (let i = 0; i < IN_WRITE_RUNS; i++)
    modes.push({ kind: 'in-write', delayMs: Math.round(Math.random() * 120) / 10 });
  for (let i = 0; i < SPAWN_DELAY_KILLS; i++) modes.push(spawnDelay());
  // Shuffled, so the pause steps and the random kills interleave under the same load.
  const queue = modes
    .map((m) => ({ m, r: Math.random() }))
    .sort((a, b) => a.r - b.r)
    .map(({ m }) => m);
  let index = 0;
  let spawnAttempts = SPAWN_DELAY_KILLS;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        if (m.kind === 'spawn-delay') m.delayMs = Math.round(Math.random() * spawnDelayMaxMs);
        const run = await crashRun(m, index++);
        runs.push(run);
        recoveryMs.push(run.recovery.ms);
        spawnDelayMaxMs = Math.max(300, Math.round(median(recoveryMs) * 1.1));
        if (m.kind === 'spawn-delay' && !run.killed && spawnAttempts++ < SPAWN_DELAY_MAX_ATTEMPTS)
          queue.push(spawnDelay());
      }
    }),
  );
  elapsedMs = Date.now() - started;
  const jobs = runs.flatMap((r) => r.botocoreJobs.map(({ expected: _e, ...job }) => job));
  if (hasBotocore) botocore = await readWithBotocore(jobs);
}, 230_000);

afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  if (scratch) await rm(scratch, { recursive: true, force: true });
  await emulator?.close();
});

function label(m: Mode): string {
  return m.kind === 'pause' ? `pause:${m.step}` : m.kind;
}

describe('SIGKILL at any moment of a refresh', () => {
  it('leaves the old file or a complete new one, and the next refresh just works', () => {
    const killed = runs.filter((r) => r.killed);
    const table: Record<
      string,
      { runs: number; killed: number; old: number; new: number; staleLockTakenOver: number; tempRemoved: number }
    > = {};
    for (const r of runs) {
      const t = (table[label(r.mode)] ??= {
        runs: 0,
        killed: 0,
        old: 0,
        new: 0,
        staleLockTakenOver: 0,
        tempRemoved: 0,
      });
      t.runs++;
      if (r.killed) t.killed++;
      t[r.state]++;
      if (r.lockLeft) t.staleLockTakenOver++;
      if (r.tempLeft) t.tempRemoved++;
    }
    const recoveries = runs.map((r) => r.recovery.ms).sort((a, b) => a - b);
    console.log(
      `crash: ${runs.length} runs, ${killed.length} killed with SIGKILL, in ${(elapsedMs / 1000).toFixed(1)} s; spawn delays up to ${spawnDelayMaxMs} ms at the end; ` +
        `recovery median ${recoveries[recoveries.length >> 1]} ms, max ${recoveries.at(-1)} ms\n` +
        Object.entries(table)
          .map(([k, v]) => `  ${k.padEnd(18)} ${JSON.stringify(v)}`)
          .join('\n'),
    );
    expect(killed.length).toBeGreaterThanOrEqual(100);

    for (const r of runs) {
      const where = `run ${r.index} (${label(r.mode)}${'delayMs' in r.mode ? ` ${r.mode.delayMs} ms` : ''}, ${r.c.name})`;
      expect(r.problems, `${where}: the file after the kill is neither the old nor a complete new one`).toEqual([]);
      expect(r.recovery.code, `${where}: the next refresh failed: ${r.recovery.stderr}`).toBe(0);
      // Nothing on stderr but warnings about keys the JS SDK reads differently from botocore (the hostile
      // e2e checks each case's exact warning; here only crash consistency matters).
      const { warns } = r.c;
      const divergence = /^warning: .* read it differently\. /;
      const unexpected = r.recovery.stderr
        .split('\n')
        .filter((line) => line && !divergence.test(line) && !(warns && warns.test(line)));
      expect(unexpected, where).toEqual([]);
      if (warns) expect(r.recovery.stderr, where).toMatch(warns);
      expect(r.recovery.problems, `${where}: after the next refresh`).toEqual([]);
      expect(r.recovery.leftovers, `${where}: left behind after the next refresh`).toEqual([]);
      expect(
        r.recovery.ms,
        `${where}: the next refresh waited for the dead run's lock (it times out after 10 s)`,
      ).toBeLessThan(8000);
    }
  });

  it('each pause step leaves what it should: lock only, lock + temp, lock + new file', () => {
    for (const r of runs.filter((x) => x.mode.kind === 'pause')) {
      const step = (r.mode as { step: string }).step;
      const where = `run ${r.index} (pause:${step}, ${r.c.name})`;
      expect(r.killed, where).toBe(true);
      expect(r.lockLeft, `${where}: lock`).toBe(true);
      expect(r.tempLeft, `${where}: temp`).toBe(step === 'temp-written');
      expect(r.state, where).toBe(step === 'renamed' ? 'new' : 'old');
    }
  });

  it('random kills land both before and after the rename', () => {
    const random = runs.filter((r) => r.mode.kind !== 'pause' && r.killed);
    expect(runs.filter((r) => r.mode.kind === 'spawn-delay' && r.killed).length).toBeGreaterThanOrEqual(
      SPAWN_DELAY_KILLS,
    );
    expect(random.some((r) => r.state === 'old')).toBe(true);
    expect(random.some((r) => r.state === 'new')).toBe(true);
  });

  it('botocore reads every complete file a kill or a recovery left (where it reads the corpus file)', () => {
    expect(hasBotocore, `${REFERENCE_PYTHON} cannot import botocore`).toBe(true);
    const jobs = runs.flatMap((r) => r.botocoreJobs);
    expect(jobs.length).toBeGreaterThan(50);
    for (const job of jobs) {
      const b = botocore[job.id];
      expect(b?.ok, `${job.id}: ${b?.error}`).toBe(true);
      expect(b!.credentials, job.id).toEqual({
        access_key: job.expected.aws_access_key_id,
        secret_key: job.expected.aws_secret_access_key,
        token: job.expected.aws_session_token,
      });
    }
  });
});

it('crash runs cycle through a varied part of the hostile corpus', () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  expect(new Set(runs.map((r) => r.c.name)).size).toBe(CORPUS.length);
});
