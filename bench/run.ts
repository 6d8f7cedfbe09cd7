/**
 * `npm run bench`: wall-clock medians of the CLI against the alternatives, all in one run on this
 * machine, against the project's loopback emulator. Prints a markdown table; with --write-readme
 * it also replaces the README's performance table. Figures, not tests: nothing here fails a build.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as pty from 'node-pty';
import { randomSeed, startEmulator, type UserSpec } from '../test/emulator/index.js';
import { shellHookRows } from './shell-hook.js';

const ROOT = resolve(import.meta.dirname, '..');
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
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, AWS_ENDPOINT_URL: emulator.url, NO_COLOR: '1' };
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
const rows: { label: string; ms?: number; ratio?: string; target?: string; rssMb?: number; note?: string }[] = [];
const floor = await measure(async () => ({ cmd: node, args: ['-e', '0'], env: { PATH: process.env.PATH } }));
rows.push({ label: '1. `node -e 0` (floor)', ms: floor.ms, ratio: '1.00× (1)' });

const usable = await freshHome({ serialInConfig: true, session: true });
for (const [label, args] of [
  ['2a. `aws-mfa-refresh --version`', ['--version']],
  ['2b. `aws-mfa-refresh status` (usable session)', ['status']],
  ['2c. `aws-mfa-refresh env`', ['env']],
] as const) {
  const m = await measure(async () => ({ cmd: node, args: [CLI, ...args], env: usable.env }));
  rows.push({ label, ms: m.ms, ratio: `${(m.ms / floor.ms).toFixed(2)}× (1)`, target: '≤ 1.25× (1)' });
}

const minimal = await measure(async () => {
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
});
const known = await measure(async () => {
  const { env, serial } = await freshHome({ serialInConfig: true });
  return { cmd: node, args: [CLI, '-q', '--code', emulator.freshCode(serial)], env };
}, true);
rows.push({
  label: '3. full refresh, code given, serial known',
  ms: known.ms,
  ratio: `${(known.ms / minimal.ms).toFixed(2)}× (5)`,
  target: '≤ 0.9× (5)',
  rssMb: known.rssMb,
});
const discovery = await measure(async () => {
  const { env, serial } = await freshHome({ serialInConfig: false });
  return { cmd: node, args: [CLI, '-q', '--no-remember', '--code', emulator.freshCode(serial)], env };
}, true);
rows.push({
  label: '4. full refresh with device discovery (3 calls)',
  ms: discovery.ms,
  ratio: `${(discovery.ms / minimal.ms).toFixed(2)}× (5)`,
  target: '≤ 1.1× (5)',
  rssMb: discovery.rssMb,
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
    label: `6. AWS CLI (\`${version}\`): one \`sts get-session-token\``,
    ms: m.ms,
    ratio: `${(m.ms / minimal.ms).toFixed(2)}× (5)`,
  });
} else {
  rows.push({ label: '6. AWS CLI', note: 'skipped: `aws` is not on PATH' });
}
const enter = await enterToRequest();
rows.push({ label: '7. Enter at the code prompt → STS request at the emulator', ms: enter, target: '≤ 50 ms' });
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
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${runtime}, ${new Date().toISOString().slice(0, 10)}; medians of ${RUNS} runs after ${WARMUP} warm-up runs`;
const footprint = packInfo
  ? `Package: \`npm pack\` ${(packInfo.size / 1024).toFixed(0)} KiB (${(packInfo.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packInfo.entryCount} files), ${Object.keys(pkg.dependencies ?? {}).length} runtime dependencies (everything is bundled).`
  : '';
const report = `${table}\n\n${machine}. ${footprint}\n`;
process.stdout.write(report);

if (process.argv.includes('--write-readme')) {
  const readmePath = join(ROOT, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  if (readme.includes(begin)) {
    await writeFile(readmePath, readme.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${report}${end}`));
    process.stdout.write('README.md updated.\n');
  }
}
await emulator.close();
await rm(scratch, { recursive: true, force: true });
