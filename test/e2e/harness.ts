/**
 * End-to-end harness: the built CLI as a child process, a scratch HOME, and the emulator.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin', 'aws-mfa-refresh.cjs');
/** The Node.js that runs the CLI: this one, or another runtime under test (npm run test:runtimes). */
export const NODE = process.env.AMR_TEST_NODE || process.execPath;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  home: string;
  credentials: string;
  config: string;
  env: NodeJS.ProcessEnv;
  writeCredentials(text: string): Promise<void>;
  writeConfig(text: string): Promise<void>;
  readCredentials(): Promise<string>;
  readConfig(): Promise<string>;
  mode(file: string): Promise<number>;
  run(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  cleanup(): Promise<void>;
}

/** The parent's environment minus anything AWS, so the developer's own setup never leaks in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) env[k] = v;
  // `#!/usr/bin/env node` scripts (the completion tests' aws-mfa-refresh on PATH) use NODE too.
  if (process.env.AMR_TEST_NODE) env.PATH = `${dirname(NODE)}${delimiter}${env.PATH ?? ''}`;
  return { ...env, NO_COLOR: '1', ...extra };
}

export async function makeSandbox(endpoint?: string): Promise<Sandbox> {
  // The real path: macOS's tmpdir is /var/…, a symlink to /private/var/…, which messages would show.
  const home = await realpath(await mkdtemp(join(tmpdir(), 'amr-home-')));
  const awsDir = join(home, '.aws');
  const credentials = join(awsDir, 'credentials');
  const config = join(awsDir, 'config');
  const env = cleanEnv({
    // Both homes: botocore and we read USERPROFILE on Windows, HOME elsewhere.
    HOME: home,
    USERPROFILE: home,
    XDG_STATE_HOME: join(home, '.local', 'state'),
    LOCALAPPDATA: join(home, 'AppData', 'Local'),
    ...(endpoint && { AWS_ENDPOINT_URL: endpoint }),
  });
  const ensureDir = () => mkdir(awsDir, { recursive: true, mode: 0o700 });
  return {
    home,
    credentials,
    config,
    env,
    async writeCredentials(text) {
      await ensureDir();
      await writeFile(credentials, text, { mode: 0o600 });
    },
    async writeConfig(text) {
      await ensureDir();
      await writeFile(config, text, { mode: 0o600 });
    },
    readCredentials: () => readFile(credentials, 'latin1'),
    readConfig: () => readFile(config, 'latin1'),
    mode: async (file) => (await stat(file)).mode & 0o777,
    run: (args, opts = {}) =>
      runCli(args, {
        env: { ...env, ...opts.env },
        ...(opts.input !== undefined && { input: opts.input }),
        ...(opts.timeoutMs && { timeoutMs: opts.timeoutMs }),
      }),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

export function runCli(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<RunResult> {
  return runProcess(NODE, [CLI, ...args], { ...opts, timeoutMs: opts.timeoutMs ?? 20_000 });
}

export interface ProcessOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Without input: 'close' (default) ends stdin at once, 'open' leaves the pipe open, 'ignore' gives none. */
  stdin?: 'close' | 'open' | 'ignore';
  /** A new session: the child has no controlling terminal. */
  detached?: boolean;
  /** SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
}

/** Any program as a child process: its exit and all it printed. */
export function runProcess(file: string, args: string[], opts: ProcessOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      env: opts.env,
      ...(opts.cwd && { cwd: opts.cwd }),
      ...(opts.detached && { detached: true }),
      stdio: [opts.stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else if (opts.stdin === undefined || opts.stdin === 'close') child.stdin!.end();
  });
}

/** Parses `key = value` lines of one section of an INI text (test-side, deliberately independent of src/). */
export function sectionOf(text: string, name: string): Record<string, string> | undefined {
  let current: string | undefined;
  let found: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      current = header[1]!.trim();
      if (current === name) found ??= {};
      continue;
    }
    if (current === name && found && line && !/^[#;]/.test(line)) {
      const eq = line.indexOf('=');
      if (eq > 0) found[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return found;
}

/** The text with one section (header to next header) removed: what must stay byte-identical. */
export function withoutSection(text: string, name: string): string {
  const lines = text.split(/(?<=\n)/);
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) skipping = header[1]!.trim() === name;
    if (!skipping) out.push(line);
  }
  return out.join('');
}

/**
 * Module files the CLI loads for these args: CommonJS files and Node's own modules (`node:…`) from
 * a preloaded probe that lists them at exit, ES modules from a loader hook registered before the CLI
 * starts. `esm: false` leaves the hook out: it runs on a thread of its own that loads Node modules too.
 */
export async function modulesLoadedBy(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { esm?: boolean } = {},
): Promise<string[]> {
  const hook = `data:text/javascript,${encodeURIComponent(
    `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`,
  )}`;
  const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
  const probe = join(ROOT, 'test', 'e2e', 'loaded-modules.cjs');
  const esm = opts.esm === false ? [] : ['--import', register];
  const { stderr } = await runProcess(NODE, ['--require', probe, ...esm, CLI, ...args], { env });
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice(7));
}
