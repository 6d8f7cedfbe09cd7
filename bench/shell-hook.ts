/**
 * The shell hook's cost: `bash -ic exit` and `zsh -ic exit` with the installed hook (session usable)
 * against the same shell without it, interleaved run by run, and the processes the hook starts (strace).
 * Used by bench/run.ts; `tsx bench/shell-hook.ts` prints the rows alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'aws-mfa-refresh.cjs');

export interface HookRow {
  label: string;
  ms?: number;
  ratio?: string;
  target?: string;
  note?: string;
}

function timeOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((res, rej) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', rej);
    child.on('close', () => res(Number(process.hrtime.bigint() - started) / 1e6));
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Processes a command starts besides itself (successful execve calls after the first). */
function processesStarted(cmd: string, args: string[], env: NodeJS.ProcessEnv, scratch: string): number | undefined {
  const out = join(scratch, 'strace.txt');
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', out, cmd, ...args], { env, stdio: 'ignore' });
  if (r.status !== 0 && r.error) return undefined;
  const text = readFileSync(out, 'utf8');
  return text.split('\n').filter((l) => /execve\(/.test(l) && !/= -1 /.test(l)).length - 1;
}

export async function shellHookRows(node: string, runs: number, warmup = 2): Promise<HookRow[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'amr-bench-hook-'));
  const rows: HookRow[] = [];
  try {
    const home = join(scratch, 'home');
    const bare = join(scratch, 'bare');
    await mkdir(join(home, '.aws'), { recursive: true, mode: 0o700 });
    await mkdir(join(bare, 'zdot'), { recursive: true });
    await mkdir(join(home, 'zdot'), { recursive: true });
    await writeFile(
      join(home, '.aws', 'credentials'),
      `[default]\naws_access_key_id = ASIABENCH\naws_secret_access_key = s\naws_session_token = t\nexpiration = ${new Date(Date.now() + 6 * 3600_000).toISOString()}\nmfa_issued = ${new Date().toISOString()}\n`,
      { mode: 0o600 },
    );
    const path = `${dirname(node)}:${process.env.PATH}`;
    const withHook = { PATH: path, HOME: home, ZDOTDIR: join(home, 'zdot') };
    const without = { PATH: path, HOME: bare, ZDOTDIR: join(bare, 'zdot') };
    const cli = (args: string[]) => spawnSync(node, [CLI, ...args], { env: withHook, encoding: 'utf8' });
    if (cli(['status', '-q']).status !== 0) throw new Error('the bench session is not usable');
    for (const shell of ['bash', 'zsh'] as const) {
      if (spawnSync(shell, ['-c', 'exit']).status !== 0) {
        rows.push({ label: `${shell} -ic exit with the hook`, note: `skipped: no ${shell}` });
        continue;
      }
      const line = cli(['init', shell, '--install']).stdout.trim();
      await writeFile(join(home, shell === 'bash' ? '.bashrc' : 'zdot/.zshrc'), `${line}\n`);
      await writeFile(join(bare, shell === 'bash' ? '.bashrc' : 'zdot/.zshrc'), '');
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < warmup + runs; i++) {
        const x = await timeOnce(shell, ['-ic', 'exit'], withHook);
        const y = await timeOnce(shell, ['-ic', 'exit'], without);
        if (i >= warmup) {
          a.push(x);
          b.push(y);
        }
      }
      const started = processesStarted(shell, ['-ic', 'exit'], withHook, scratch);
      rows.push({ label: `\`${shell} -ic exit\` without the hook`, ms: median(b), ratio: '1.00×' });
      rows.push({
        label: `\`${shell} -ic exit\` with the hook (session usable; processes started: ${started ?? 'n/a (no strace)'})`,
        ms: median(a),
        ratio: `${(median(a) / median(b)).toFixed(2)}×`,
        target: '0 processes',
      });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const rows = await shellHookRows(process.env.BENCH_NODE || process.execPath, Number(process.env.BENCH_RUNS ?? 15));
  for (const r of rows)
    process.stdout.write(
      `| ${r.label}${r.note ? ` (${r.note})` : ''} | ${r.ms?.toFixed(1) ?? ''} | ${r.ratio ?? ''} | ${r.target ?? ''} |\n`,
    );
}
