/**
 * `npm run bench`: wall-clock medians of the CLI against the alternatives, all in one run on this
 * machine, against the project's loopback emulator. Prints a markdown table; with --write-readme
 * it also replaces the README's performance table. Figures, not tests: nothing here fails a build.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as pty from 'node-pty';
import { randomSeed, startEmulator, type UserSpec } from '../test/emulator/index.js';
import { shellHookRows } from './shell-hook.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const CLI = join(ROOT, 'bin', 'aws-mfa-refresh.cjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;
const scratch = await mkdtemp(join(tmpdir(), 'amr-bench-'));
const emulator = await startEmulator();
let users = 0;

interface Sample {
  ms: number;
  rssKb?: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs a command once and times it from spawn to exit; with `rss`, under GNU time for peak RSS. */
function timeOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv, rss = false): Promise<Sample> {
  return new Promise((res, rej) => {
    const started = process.hrtime.bigint();
    const [file, argv] = rss ? ['/usr/bin/time', ['-f', '%M', cmd, ...args]] : [cmd, args];
    const child = spawn(file as string, argv as string[], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0)
        return rej(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').pop()}`));
      res({ ms, ...(rss && { rssKb: Number(stderr.trim().split('\n').pop()) }) });
    });
  });
}

async function measure(prepare: () => Promise<{ cmd: string; args: string[]; env: NodeJS.ProcessEnv }>, rss = false) {
  const samples: Sample[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const { cmd, args, env } = await prepare();
    const s = await timeOnce(cmd, args, env, rss);
    if (i >= WARMUP) samples.push(s);
  }
  return {
    ms: median(samples.map((s) => s.ms)),
    rssMb: rss ? Math.max(...samples.map((s) => s.rssKb ?? 0)) / 1024 : undefined,
  };
}

/** A new user with one device and a HOME holding its long-term keys, so every run has fresh codes. */
async function freshHome(opts: { serialInConfig: boolean; session?: boolean }) {
  users += 1;
  const user: UserSpec = {
    userName: `bench${users}`,
    accessKeyId: `AKIABENCH${String(users).padStart(11, '0')}`,
    secretAccessKey: `benchSecret${String(users).padStart(29, '0')}`,
    devices: [{ serialNumber: `arn:aws:iam::123456789012:mfa/bench${users}`, seed: randomSeed() }],
  };
  emulator.addUser(user);
  const home = join(scratch, `home${users}`);
  await mkdir(join(home, '.aws'), { recursive: true, mode: 0o700 });
  const session = opts.session
    ? `\n[default]\naws_access_key_id = ASIABENCH\naws_secret_access_key = s\naws_session_token = t\nexpiration = ${new Date(Date.now() + 6 * 3600_000).toISOString()}\nmfa_issued = ${new Date().toISOString()}\n`
    : '';
  await writeFile(
    join(home, '.aws', 'credentials'),
    `[default-long-term]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\n${session}`,
    { mode: 0o600 },
  );
  if (opts.serialInConfig)
    await writeFile(join(home, '.aws', 'config'), `[default]\nmfa_serial = ${user.devices![0]!.serialNumber}\n`, {
      mode: 0o600,
    });
  // One compiled-code cache for every HOME: warm after the warm-up runs, as a user's is on any day but
  // the first after an install or upgrade (row 3b measures that first day).
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CACHE_HOME: join(scratch, 'cache'),
    AWS_ENDPOINT_URL: emulator.url,
    NO_COLOR: '1',
  };
  return { user, home, env, serial: user.devices![0]!.serialNumber };
}

/** Enter at the code prompt → the STS request arriving at the emulator, through a real terminal. */
async function enterToRequest(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const { env, serial, user } = await freshHome({ serialInConfig: true });
    const term = pty.spawn(node, [CLI], { env: env as Record<string, string>, cols: 120, rows: 30 });
    let screen = '';
    const exited = new Promise<void>((r) => term.onExit(() => r()));
    await new Promise<void>((r) => term.onData((d) => ((screen += d), screen.includes('MFA code for') && r())));
    await new Promise((r) => setTimeout(r, 300)); // a person reads the prompt; the SDK loads meanwhile
    term.write(emulator.freshCode(serial));
    await new Promise((r) => setTimeout(r, 50));
    const enter = process.hrtime.bigint();
    term.write('\r');
    await exited;
    const request = emulator.requests.find((q) => q.action === 'GetSessionToken' && q.accessKeyId === user.accessKeyId);
    if (!request) throw new Error(`no GetSessionToken arrived; screen:\n${screen}`);
    if (i >= WARMUP) samples.push(Number(request.receivedHr - enter) / 1e6);
  }
  return median(samples);
}

/** The runtime under test (BENCH_NODE=/path/to/node to compare runtimes); the bench itself runs on this one. */
const node = process.env.BENCH_NODE || process.execPath;
type Prepare = () => Promise<{ cmd: string; args: string[]; env: NodeJS.ProcessEnv }>;

/** Medians of several commands run round-robin (a, b, c, a, b, c…), so load changes hit them alike. */
async function interleaved<K extends string>(specs: Record<K, Prepare>, rss: NoInfer<K>[] = []) {
  const samples = Object.fromEntries(Object.keys(specs).map((k) => [k, [] as Sample[]])) as Record<K, Sample[]>;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const key of Object.keys(specs) as K[]) {
      const { cmd, args, env } = await specs[key]();
      const s = await timeOnce(cmd, args, env, rss.includes(key));
      if (i >= WARMUP) samples[key].push(s);
    }
  }
  const out = {} as Record<K, { ms: number; rssMb?: number }>;
  for (const key of Object.keys(specs) as K[]) {
    const list = samples[key];
    out[key] = {
      ms: median(list.map((s) => s.ms)),
      ...(rss.includes(key) && { rssMb: Math.max(...list.map((s) => s.rssKb ?? 0)) / 1024 }),
    };
  }
  return out;
}

const rows: { label: string; ms?: number; ratio?: string; target?: string; rssMb?: number; note?: string }[] = [];
const usable = await freshHome({ serialInConfig: true, session: true });
const cli =
  (args: string[], env = usable.env): Prepare =>
  async () => ({ cmd: node, args: [CLI, ...args], env });
const TRUE = '/bin/true';
const offline = await interleaved({
  floor: async () => ({ cmd: node, args: ['-e', '0'], env: { PATH: process.env.PATH } }),
  version: cli(['--version']),
  status: cli(['status']),
  env: cli(['env']),
  credentialProcess: cli(['credential-process']),
  exec: cli(['exec', '--', TRUE]),
  child: async () => ({ cmd: TRUE, args: [], env: usable.env }),
  // Node's own floor for running a child: load child_process, spawn, wait.
  nodeSpawn: async () => ({
    cmd: node,
    args: ['-e', `require('node:child_process').spawn(${JSON.stringify(TRUE)}, { stdio: 'inherit' })`],
    env: { PATH: process.env.PATH },
  }),
});
const floor = offline.floor.ms;
const vsFloor = (ms: number) => `${(ms / floor).toFixed(2)}× (1)`;
rows.push({ label: '1. `node -e 0` (floor)', ms: floor, ratio: '1.00× (1)' });
rows.push({
  label: '2a. `aws-mfa-refresh --version`',
  ms: offline.version.ms,
  ratio: vsFloor(offline.version.ms),
  target: '≤ 1.05× (1)',
});
for (const [key, label] of [
  ['status', '2b. `aws-mfa-refresh status` (usable session)'],
  ['env', '2c. `aws-mfa-refresh env`'],
  ['credentialProcess', '2d. `aws-mfa-refresh credential-process`'],
] as const) {
  rows.push({ label, ms: offline[key].ms, ratio: vsFloor(offline[key].ms), target: '≤ 1.15× (1)' });
}
// "The child excluded": running a child costs a Node program 2f − 1 (loading child_process, fork and
// exec, the child's own run), whatever the program; what exec adds beyond that is ours.
const childInNode = offline.nodeSpawn.ms - floor;
const exec = offline.exec.ms - childInNode;
rows.push({
  label: '2e. `aws-mfa-refresh exec -- true`, less what running `true` costs any Node program (2f − 1)',
  ms: exec,
  ratio: vsFloor(exec),
  target: '≤ 1.15× (1)',
});
rows.push({
  label: '2f. `node -e "spawn(\'true\')"`: Node loading child_process and running a child',
  ms: offline.nodeSpawn.ms,
  ratio: vsFloor(offline.nodeSpawn.ms),
});
// The stricter reading takes off only the child's own run (`/bin/true` started directly): by it, 2f
// itself, a Node program that does nothing but run the child, is at about 1.15 already, which leaves
// no room for any work before the child starts.
const strict = (ms: number) => `${((ms - offline.child.ms) / floor).toFixed(2)}×`;
rows.push({
  label: '2g. `aws-mfa-refresh exec -- true`, less `true` started directly',
  ms: offline.exec.ms - offline.child.ms,
  ratio: `${strict(offline.exec.ms)} (1)`,
  note: `2f by the same measure: ${strict(offline.nodeSpawn.ms)}`,
});

const refreshes = await interleaved(
  {
    minimal: async () => {
      const { user, env, serial } = await freshHome({ serialInConfig: true });
      return {
        cmd: node,
        args: [join(ROOT, 'bench', 'minimal-sts.mjs')],
        env: {
          ...env,
          BENCH_ENDPOINT: emulator.url,
          BENCH_KEY_ID: user.accessKeyId,
          BENCH_SECRET: user.secretAccessKey,
          BENCH_SERIAL: serial,
          BENCH_CODE: emulator.freshCode(serial),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      };
    },
    known: async () => {
      const { env, serial } = await freshHome({ serialInConfig: true });
      return { cmd: node, args: [CLI, '-q', '--code', emulator.freshCode(serial)], env };
    },
    discovery: async () => {
      const { env, serial } = await freshHome({ serialInConfig: false });
      return { cmd: node, args: [CLI, '-q', '--no-remember', '--code', emulator.freshCode(serial)], env };
    },
    knownUncached: async () => {
      const { env, serial } = await freshHome({ serialInConfig: true });
      return {
        cmd: node,
        args: [CLI, '-q', '--code', emulator.freshCode(serial)],
        env: { ...env, AWS_MFA_REFRESH_NO_COMPILE_CACHE: '1' },
      };
    },
  },
  ['known', 'discovery'],
);
const minimal = refreshes.minimal;
const vsMinimal = (ms: number) => `${(ms / minimal.ms).toFixed(2)}× (5)`;
rows.push({
  label: '3. full refresh, code given, serial known',
  ms: refreshes.known.ms,
  ratio: vsMinimal(refreshes.known.ms),
  target: '≤ 0.8× (5)',
  rssMb: refreshes.known.rssMb,
});
rows.push({
  label: '3b. the same without the compiled-code cache (the first run after an install)',
  ms: refreshes.knownUncached.ms,
  ratio: vsMinimal(refreshes.knownUncached.ms),
});
rows.push({
  label: '4. full refresh with device discovery (3 calls)',
  ms: refreshes.discovery.ms,
  ratio: vsMinimal(refreshes.discovery.ms),
  target: '≤ 1.0× (5)',
  rssMb: refreshes.discovery.rssMb,
});
rows.push({
  label: '5. minimal Node script: import client-sts, one GetSessionToken',
  ms: minimal.ms,
  ratio: '1.00× (5)',
});

const aws = spawnSync('aws', ['--version'], { encoding: 'utf8' });
if (aws.status === 0) {
  const version = (aws.stdout || aws.stderr).trim().split(' ')[0];
  const m = await measure(async () => {
    const { user, env, serial } = await freshHome({ serialInConfig: true });
    return {
      cmd: 'aws',
      args: [
        'sts',
        'get-session-token',
        '--serial-number',
        serial,
        '--token-code',
        emulator.freshCode(serial),
        '--endpoint-url',
        emulator.url,
        '--region',
        'us-east-1',
      ],
      env: { ...env, AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: user.secretAccessKey },
    };
  });
  rows.push({
    label: `6a. AWS CLI (\`${version}\`): one \`sts get-session-token\``,
    ms: m.ms,
    ratio: `${(m.ms / minimal.ms).toFixed(2)}× (5)`,
  });
  // A real session (the emulator checks signatures), then one AWS CLI call with it: keys in the
  // environment against the same keys from `credential_process = aws-mfa-refresh credential-process`.
  const home = await freshHome({ serialInConfig: true });
  // Not spawnSync: the emulator answers from this process's event loop.
  await run(node, [CLI, '-q', '--code', emulator.freshCode(home.serial)], { env: home.env });
  const session = JSON.parse((await run(node, [CLI, 'credential-process'], { env: home.env })).stdout) as {
    AccessKeyId: string;
    SecretAccessKey: string;
    SessionToken: string;
  };
  await writeFile(
    join(home.home, '.aws', 'config'),
    `[default]\nmfa_serial = ${home.serial}\n[profile via-process]\ncredential_process = "${node}" "${CLI}" credential-process --profile default\n`,
  );
  const identity = ['sts', 'get-caller-identity', '--endpoint-url', emulator.url, '--region', 'us-east-1'];
  const cliRows = await interleaved({
    plain: async () => ({
      cmd: 'aws',
      args: identity,
      env: {
        ...home.env,
        AWS_ACCESS_KEY_ID: session.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: session.SecretAccessKey,
        AWS_SESSION_TOKEN: session.SessionToken,
      },
    }),
    process: async () => ({ cmd: 'aws', args: identity, env: { ...home.env, AWS_PROFILE: 'via-process' } }),
  });
  rows.push({
    label: '6b. AWS CLI `sts get-caller-identity`, session keys in the environment',
    ms: cliRows.plain.ms,
    ratio: '1.00× (6b)',
  });
  rows.push({
    label: '6c. the same through `credential_process = aws-mfa-refresh credential-process`',
    ms: cliRows.process.ms,
    ratio: `${(cliRows.process.ms / cliRows.plain.ms).toFixed(2)}× (6b)`,
    note: `${cliRows.process.ms >= cliRows.plain.ms ? '+' : '−'}${Math.abs(cliRows.process.ms - cliRows.plain.ms).toFixed(0)} ms`,
  });
} else {
  rows.push({ label: '6. AWS CLI', note: 'skipped: `aws` is not on PATH' });
}
const enter = await enterToRequest();
rows.push({ label: '7. Enter at the code prompt → STS request at the emulator', ms: enter, target: '≤ 30 ms' });
rows.push(...(await shellHookRows(node, RUNS)).map((r) => ({ ...r, label: `8. ${r.label}` })));

const pack = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' });
const packInfo =
  pack.status === 0
    ? (JSON.parse(pack.stdout) as { size: number; unpackedSize: number; entryCount: number }[])[0]
    : undefined;
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };

const fmt = (n?: number) => (n === undefined ? '' : `${n.toFixed(n < 10 ? 1 : 0)}`);
const table = [
  '| measurement | median ms | ratio | target | peak RSS MiB |',
  '| --- | ---: | ---: | --- | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.label}${r.note ? ` (${r.note})` : ''} | ${fmt(r.ms)} | ${r.ratio ?? ''} | ${r.target ?? (r.rssMb ? '' : '')}${r.rssMb !== undefined ? ' RSS ≤ 70' : ''} | ${fmt(r.rssMb)} |`,
  ),
].join('\n');
const runtime = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${runtime}, ${new Date().toISOString().slice(0, 10)}, load average ${load} at the end; medians of ${RUNS} interleaved runs after ${WARMUP} warm-up runs`;
const footprint = packInfo
  ? `Package: \`npm pack\` ${(packInfo.size / 1024).toFixed(0)} KiB (${(packInfo.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packInfo.entryCount} files), ${Object.keys(pkg.dependencies ?? {}).length} runtime dependencies (everything else is bundled).`
  : '';
const report = `${table}\n\n${machine}. ${footprint}\n`;
process.stdout.write(report);

if (process.argv.includes('--write-readme')) {
  const readmePath = join(ROOT, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  // BENCH_SECTION=node22 writes between <!-- bench:node22:begin --> and its end marker (bench/runtimes.sh).
  const tag = process.env.BENCH_SECTION ? `bench:${process.env.BENCH_SECTION}` : 'bench';
  const begin = `<!-- ${tag}:begin -->`;
  const end = `<!-- ${tag}:end -->`;
  if (readme.includes(begin)) {
    await writeFile(readmePath, readme.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${report}${end}`));
    process.stdout.write('README.md updated.\n');
  }
}
await emulator.close();
await rm(scratch, { recursive: true, force: true });
