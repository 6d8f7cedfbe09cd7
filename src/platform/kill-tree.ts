/**
 * Ends a process and everything it started. The code command runs in our process group (it keeps
 * the controlling terminal for "touch your key" prompts), so there is no group to kill: the tree
 * is walked instead. POSIX: `ps` lists parents (Linux and macOS alike, no /proc); every process of
 * the tree is stopped first so none can start another, the tree listed again, then all killed.
 * Windows: `taskkill /T /F`.
 */
import { execFile } from 'node:child_process';

export interface TreeKillDeps {
  /** Every process as [pid, parent pid]. */
  list(): Promise<Array<[number, number]>>;
  signal(pid: number, signal: NodeJS.Signals): void;
  taskkill(pid: number): Promise<void>;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { windowsHide: true }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
}

const systemDeps: TreeKillDeps = {
  async list() {
    const out = await run('ps', ['-A', '-o', 'pid=', '-o', 'ppid=']);
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number) as [number, number])
      .filter(([pid, ppid]) => pid > 0 && ppid >= 0);
  },
  signal(pid, signal) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone already */
    }
  },
  taskkill: (pid) => run('taskkill', ['/PID', String(pid), '/T', '/F']).then(() => {}),
};

export function descendants(root: number, table: Array<[number, number]>): number[] {
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of table) {
      if (ppid === parent && pid !== root && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

export async function killTree(root: number, windows: boolean, fakes: Partial<TreeKillDeps> = {}): Promise<void> {
  const deps = { ...systemDeps, ...fakes };
  if (windows) {
    await deps.taskkill(root).catch(() => deps.signal(root, 'SIGKILL'));
    return;
  }
  const stopped = new Set<number>();
  const listTree = async () => [root, ...descendants(root, await deps.list().catch(() => []))];
  for (let pass = 0; pass < 3; pass++) {
    const tree = (await listTree()).filter((p) => !stopped.has(p));
    if (pass > 0 && tree.length === 0) break;
    for (const pid of tree) {
      deps.signal(pid, 'SIGSTOP');
      stopped.add(pid);
    }
  }
  for (const pid of stopped) deps.signal(pid, 'SIGKILL');
}
