/**
 * A real Secret Service for tests: a private D-Bus session bus (dbus-daemon) with GNOME Keyring's
 * secrets component on it, unlocked with a test password, in a scratch HOME and XDG directories.
 *
 * The bus has its own configuration with no service directories: nothing is activated behind the
 * test's back, and `startBus({ keyring: false })` gives a live bus on which org.freedesktop.secrets
 * has no owner and is not activatable. Both daemons are our children (--nofork / --foreground) and
 * are stopped by their pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BINARIES = ['dbus-daemon', 'gnome-keyring-daemon', 'secret-tool', 'dbus-send'];
export const KEYRING_PASSWORD = 'test-keyring-password';

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the Secret Service tests cannot run here (binaries missing), or undefined when they can. */
export function secretServiceMissing(): string | undefined {
  const missing = BINARIES.filter((b) => !onPath(b));
  return missing.length
    ? `${missing.join(', ')} not installed (apt-get install dbus-daemon dbus-bin gnome-keyring libsecret-tools)`
    : undefined;
}

export interface SessionBus {
  address: string;
  /** HOME, XDG_* and DBUS_SESSION_BUS_ADDRESS for processes that should use this bus. */
  env: Record<string, string>;
  dir: string;
  /** Whether the keyring daemon still runs (and what it said when it exited): for failure messages. */
  state(): string;
  /** `secret-tool search --all service aws-mfa-refresh`: attribute lines (secrets dropped). */
  searchEntries(): Promise<string[]>;
  stop(): Promise<void>;
}

function waitExit(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((done) => proc.once('exit', () => done()));
}

function firstLine(proc: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    proc.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${err}`)));
  });
}

async function nameHasOwner(env: Record<string, string>, name: string): Promise<boolean> {
  const { stdout } = await run(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      `string:${name}`,
    ],
    { env: { ...process.env, ...env } },
  );
  return /boolean true/.test(stdout);
}

export async function startBus(opts: { keyring?: boolean } = {}): Promise<SessionBus> {
  const dir = mkdtempSync(join(tmpdir(), 'amr-secret-service-'));
  const home = join(dir, 'home');
  const runtime = join(dir, 'run');
  for (const d of [home, runtime, join(dir, 'bus')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
  );
  const children: ChildProcess[] = [];
  let keyringState = (opts.keyring ?? true) ? 'gnome-keyring-daemon running' : 'no keyring';
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await waitExit(child);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bus = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bus);
    const address = await firstLine(bus, 'dbus-daemon');
    const env = {
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_STATE_HOME: join(home, '.local', 'state'),
      DBUS_SESSION_BUS_ADDRESS: address,
    };
    if (opts.keyring ?? true) {
      const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
        env: { ...process.env, ...env },
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      children.push(keyring);
      let keyringErr = '';
      keyring.stderr!.on('data', (d: Buffer) => (keyringErr += d.toString()));
      keyring.on(
        'exit',
        (code, signal) => (keyringState = `gnome-keyring-daemon exited (${code ?? signal}): ${keyringErr.trim()}`),
      );
      keyring.stdin!.end(KEYRING_PASSWORD); // --unlock reads the login keyring's password from stdin
      for (let i = 0; !(await nameHasOwner(env, 'org.freedesktop.secrets')); i++) {
        if (keyring.exitCode !== null || i > 200)
          throw new Error(`gnome-keyring-daemon did not come up: ${keyringErr}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    }
    return {
      address,
      env,
      dir,
      state: () => keyringState,
      async searchEntries() {
        const { stdout, stderr } = await run('secret-tool', ['search', '--all', 'service', 'aws-mfa-refresh'], {
          env: { ...process.env, ...env },
        }).catch((error: { stdout?: string; stderr?: string }) => ({
          stdout: error.stdout ?? '',
          stderr: error.stderr ?? '',
        }));
        // secret-tool prints the secret on stdout and the attributes on stderr (0.20) or stdout: keep attribute lines only.
        return `${stdout}\n${stderr}`
          .split('\n')
          .filter((l) => /^(attribute\.|label)/.test(l.trim()))
          .map((l) => l.trim());
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
