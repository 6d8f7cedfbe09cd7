/**
 * Everything that differs between Linux, macOS, Windows and WSL, decided in one place.
 *
 * `currentPlatform()` picks one at start-up (once); the store, the lock, the terminal, `exec` and
 * the shell hints ask it instead of testing `process.platform`. Tests build any platform on any OS
 * with `makePlatform(kind, fakes)` and check each decision on Linux.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir, hostname, release, uptime } from 'node:os';
import { posix as posixPath, win32 as win32Path, type PlatformPath } from 'node:path';
import type { TreeKillDeps } from './kill-tree.js';
import { aclFixCommands, otherReaders, parseIcacls, windowsUser, type Runner } from './win32-acl.js';
import { resolveWin32Command, type SpawnPlan } from './win32-spawn.js';

export type PlatformKind = 'linux' | 'darwin' | 'win32' | 'wsl';
export type EnvFormatName = 'bash' | 'zsh' | 'fish' | 'powershell' | 'cmd';

/** What a platform is built from; tests pass fakes. */
export interface PlatformFacts {
  env: NodeJS.ProcessEnv;
  homedir: () => string;
  hostname: () => string;
  /** A string that differs after each boot (Linux: the kernel's boot_id), or undefined. */
  bootId: () => string | undefined;
  /** Seconds since boot. */
  uptime: () => number;
  now: () => number;
  pid: number;
  /** Whether a path exists as a file (command lookup on Windows). */
  isFile: (path: string) => boolean;
  killTree?: Partial<TreeKillDeps>;
  /** Runs a program without a shell (Windows: icacls to read an ACL). */
  run?: Runner;
}

/** The parsed content of a lock file: who holds it. */
export interface LockOwner {
  pid: number;
  host: string;
  time: number;
  /** Absent in locks written by versions before the platform seam. */
  platform?: string;
  boot?: string;
}

export interface Platform {
  readonly kind: PlatformKind;
  /** Where `~` is: botocore's rule (USERPROFILE on Windows, HOME elsewhere). */
  home(env?: NodeJS.ProcessEnv): string;
  /** This tool's own state (used codes). */
  stateDir(env?: NodeJS.ProcessEnv): string;
  /** This tool's own data (installed shell hooks). */
  dataDir(env?: NodeJS.ProcessEnv): string;
  /** Path rules of the platform (separators, joining). */
  readonly path: PlatformPath;
  /** Whether a file's mode bits say who may read it (not on Windows, nor on WSL's DrvFs without `metadata`). */
  modesMeanPrivacy(target: string): boolean;
  /** The warning for a key file others may read, or undefined (no file modes on Windows). */
  privacyWarning(mode: number, shown: string, target: string): string | undefined;
  /** What to tell someone whose key file is read-only. */
  readOnlyHint(target: string): string;
  /**
   * Windows: who other than you, SYSTEM and Administrators may read the file (its ACL, as icacls
   * lists it), and the commands that make it private. Undefined where file modes decide, when only
   * those three may read it, or when the ACL cannot be read.
   */
  othersWhoCanRead(target: string, env?: NodeJS.ProcessEnv): Promise<{ readers: string[]; fix: string[] } | undefined>;
  /** The command that deletes a file, for hints, in the shell the user most likely has. */
  removeCommand(target: string, env?: NodeJS.ProcessEnv): string;
  /** Hints: removing environment variables from this shell (`unset A B`; PowerShell, cmd on Windows). */
  unsetCommand(names: readonly string[], env?: NodeJS.ProcessEnv): string;
  /** Hints: setting one (`export K=V`; PowerShell, cmd on Windows). */
  exportCommand(name: string, value: string, env?: NodeJS.ProcessEnv): string;
  /** Hints: commands one after the other on one line (`a; b`; cmd: `a & b`). */
  sequence(commands: readonly string[], env?: NodeJS.ProcessEnv): string;
  /** Hints: putting `aws-mfa-refresh env` into this shell (`eval "$(…)"`; PowerShell, cmd on Windows). */
  envLoadLine(env?: NodeJS.ProcessEnv): string;
  /** Whether "can I write it" needs a real open/create probe (Windows ACLs pass access(W_OK)). */
  readonly probeWritesByOpening: boolean;
  /** Errors of a rename caused by another process holding the file open, and how long to retry them. */
  readonly renameRetry: { readonly codes: readonly string[]; readonly forMs: number };
  /** `link()` errors meaning "this file system has no hard links" (FAT, exFAT, SMB): use O_EXCL instead. */
  readonly linkUnsupported: readonly string[];
  /** Errors creating or opening a lock that mean "someone has it" (Windows: a just-deleted lock is delete-pending). */
  readonly lockBusy: readonly string[];
  /** The line written into a lock file. */
  lockContent(): string;
  /** Whether the owner's pid is one this process can check for liveness (same machine, same boot, same pid space). */
  trustsPidOf(owner: LockOwner): boolean;
  /** The terminal device: one path opened read-write, or an input and an output. */
  readonly terminal: { readonly input: string; readonly output: string };
  /** Signals `exec` passes on to its child. */
  forwardedSignals(stdinIsTerminal: boolean): NodeJS.Signals[];
  /** Signals `exec` listens to (so they do not end us) without passing them on. */
  readonly waitedSignals: readonly NodeJS.Signals[];
  /** How to start `command args` without a shell (PATHEXT and .cmd shims on Windows). */
  spawnPlan(command: string, args: string[], env: NodeJS.ProcessEnv): SpawnPlan;
  /** Ends a process and every process it started. */
  killTree(pid: number): Promise<void>;
  /** The `env` output format when none is asked for. */
  defaultEnvFormat(env?: NodeJS.ProcessEnv): EnvFormatName;
  /** The startup file a shell reads in an interactive login, as shown to users. */
  rcFile(shell: string): string;
  /** How to load generated shell code: `eval "$(…)"` where `source <(…)` does not work (bash 3.2). */
  loadLine(command: string, shell: string): string;
  /** `first || second` in that shell (the dotfiles line); PowerShell 5.1 has no `||`. */
  orElse(first: string, second: string, shell: string): string;
  /** The `credential_process` value that starts `args` of this tool. */
  credentialProcess(args: string): string;
}

const POSIX_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
/** The terminal sends these to the whole foreground process group, our child included. */
const TERMINAL_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];

export function systemFacts(): PlatformFacts {
  return {
    env: process.env,
    homedir,
    hostname,
    bootId: () => {
      try {
        return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
      } catch {
        return undefined; // macOS, Windows: the boot time stands in (see bootMark)
      }
    },
    uptime,
    now: Date.now,
    pid: process.pid,
    isFile: (p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    },
  };
}

/** `t<boot time in seconds>` when there is no boot id; equal within a few seconds of jitter. */
function bootMark(facts: PlatformFacts): string {
  const id = facts.bootId();
  if (id) return id.replace(/\s+/g, '');
  return `t${Math.round((facts.now() - facts.uptime() * 1000) / 1000)}`;
}

export function sameBoot(a: string, b: string): boolean {
  const ta = /^t(\d+)$/.exec(a);
  const tb = /^t(\d+)$/.exec(b);
  if (ta && tb) return Math.abs(Number(ta[1]) - Number(tb[1])) <= 5;
  return a === b;
}

export function parseLockOwner(content: string): LockOwner | undefined {
  const m = /^(\d+) (\S+) (\d+)(?: (\S+) (\S+))?\n?$/.exec(content);
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!(pid > 0 && Number.isSafeInteger(pid))) return undefined;
  return { pid, host: m[2]!, time: Number(m[3]), ...(m[4] !== undefined && { platform: m[4], boot: m[5]! }) };
}

function posixQuoted(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A PowerShell verbatim string: ' and the typographic quotes U+2018–U+201B (which also end one) doubled. */
function powershellQuoted(s: string): string {
  return `'${s.replace(/['\u2018-\u201B]/g, (q) => q + q)}'`;
}

/** icacls, by its full path (not whatever PATH finds first). */
function icaclsPath(env: NodeJS.ProcessEnv): string {
  return win32Path.join(env.SystemRoot || env.windir || 'C:\\Windows', 'System32', 'icacls.exe');
}

/** Loaded when needed: only doctor on Windows runs a program through here. */
const runProgram: Runner = async (file, args) => {
  const { execFile } = await import('node:child_process');
  return new Promise((done) => {
    // latin1: one character per byte of the OEM code page (see win32-acl.ts).
    execFile(file, args, { windowsHide: true, timeout: 10_000, encoding: 'latin1' }, (error, stdout) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ code, stdout: String(stdout) });
    });
  });
};

function shellName(shell: string | undefined): string {
  const name = (shell ?? '').split(/[\\/]/).pop()!.toLowerCase();
  return name.endsWith('.exe') ? name.slice(0, -4) : name;
}

export function makePlatform(kind: PlatformKind, facts: PlatformFacts = systemFacts()): Platform {
  const win = kind === 'win32';
  const path = win ? win32Path : posixPath;
  // WSL distributions share one kernel (one boot id) but not one pid space: the distro is part of the name.
  const platformTag = kind === 'wsl' ? `wsl:${facts.env.WSL_DISTRO_NAME || 'linux'}` : kind;
  let boot: string | undefined;
  const myBoot = () => (boot ??= bootMark(facts));

  const home = (env = facts.env): string => {
    // botocore expands `~` with os.path.expanduser: USERPROFILE on Windows (HOME is ignored there).
    if (win) return env.USERPROFILE || (env.HOMEDRIVE && env.HOMEPATH ? env.HOMEDRIVE + env.HOMEPATH : facts.homedir());
    return env.HOME || facts.homedir();
  };

  return {
    kind,
    home,
    stateDir(env = facts.env) {
      if (win) return path.join(env.LOCALAPPDATA || path.join(home(env), 'AppData', 'Local'), 'aws-mfa-refresh');
      return path.join(env.XDG_STATE_HOME || path.join(home(env), '.local', 'state'), 'aws-mfa-refresh');
    },
    dataDir(env = facts.env) {
      if (win) return path.join(env.LOCALAPPDATA || path.join(home(env), 'AppData', 'Local'), 'aws-mfa-refresh');
      return path.join(env.XDG_DATA_HOME || path.join(home(env), '.local', 'share'), 'aws-mfa-refresh');
    },
    path,
    modesMeanPrivacy(target) {
      if (win) return false; // ACLs decide there; mode bits are made up
      // DrvFs (/mnt/c) without the `metadata` mount option shows every file as 0777.
      return !(kind === 'wsl' && /^\/mnt\/[a-z]\//i.test(target));
    },
    privacyWarning(mode, shown, target) {
      if (!this.modesMeanPrivacy(target)) return undefined;
      const what = mode & 0o044 ? 'readable' : mode & 0o022 ? 'writable' : undefined;
      if (!what) return undefined;
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      return `${shown} is ${what} by others (mode ${octal}); run: chmod 600 ${posixQuoted(target)}`;
    },
    readOnlyHint(target) {
      return win
        ? `Clear its read-only attribute with: attrib -R "${target}", then run again.`
        : `Make it writable with: chmod 600 ${posixQuoted(target)}, then run again.`;
    },
    async othersWhoCanRead(target, env = facts.env) {
      if (!win) return undefined;
      let listed;
      try {
        listed = await (facts.run ?? runProgram)(icaclsPath(env), [target]);
      } catch {
        return undefined; // no icacls: nothing to tell
      }
      const entries = listed.code === 0 ? parseIcacls(listed.stdout, target) : undefined;
      if (!entries) return undefined;
      const user = windowsUser(env);
      if (!user) return undefined; // without USERNAME your own entry would look like someone else's
      const readers = otherReaders(entries, user);
      if (readers.length === 0) return undefined;
      return { readers, fix: aclFixCommands(target, path.dirname(target), user) };
    },
    removeCommand(target, env = facts.env) {
      if (!win) return `rm ${posixQuoted(target)}`;
      // Git Bash and MSYS set SHELL: their rm takes C:\ paths; else PowerShell, or cmd when that is the shell.
      const format = this.defaultEnvFormat(env);
      if (format === 'cmd') return `del "${target}"`;
      if (format === 'powershell') return `Remove-Item -LiteralPath ${powershellQuoted(target)}`;
      return `rm ${posixQuoted(target)}`;
    },
    // Windows only: POSIX hints stay `unset`/`export`/`eval`, as they always were.
    unsetCommand(names, env = facts.env) {
      const format = win ? this.defaultEnvFormat(env) : 'bash';
      if (format === 'powershell') return `Remove-Item ${names.map((n) => `Env:${n}`).join(', ')}`;
      if (format === 'cmd')
        return this.sequence(
          names.map((n) => `set "${n}="`),
          env,
        );
      return `unset ${names.join(' ')}`;
    },
    exportCommand(name, value, env = facts.env) {
      const format = win ? this.defaultEnvFormat(env) : 'bash';
      if (format === 'powershell') return `$Env:${name} = ${powershellQuoted(value)}`;
      // Quoted: what follows the closing quote (a full stop ending the hint) is not part of the value.
      if (format === 'cmd') return `set "${name}=${value}"`;
      return `export ${name}=${posixQuoted(value)}`;
    },
    sequence(commands, env = facts.env) {
      return commands.join(win && this.defaultEnvFormat(env) === 'cmd' ? ' & ' : '; ');
    },
    envLoadLine(env = facts.env) {
      const format = win ? this.defaultEnvFormat(env) : 'bash';
      if (format === 'powershell') return 'aws-mfa-refresh env | Out-String | Invoke-Expression';
      if (format === 'cmd') return `for /f "delims=" %i in ('aws-mfa-refresh env --format cmd') do @%i`;
      return 'eval "$(aws-mfa-refresh env)"';
    },
    probeWritesByOpening: win || kind === 'wsl',
    renameRetry: win ? { codes: ['EPERM', 'EACCES', 'EBUSY'], forMs: 10_000 } : { codes: [], forMs: 0 },
    // Linux vfat answers EPERM, macOS msdos/smbfs ENOTSUP, Windows FAT/SMB EPERM or ENOTSUP.
    linkUnsupported: ['ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'ENOSYS', 'EXDEV'],
    lockBusy: win ? ['EPERM', 'EACCES', 'EBUSY'] : [],
    lockContent() {
      return `${facts.pid} ${facts.hostname().replace(/\s+/g, '-') || '-'} ${facts.now()} ${platformTag} ${myBoot()}\n`;
    },
    trustsPidOf(owner) {
      if (owner.platform === undefined || owner.boot === undefined) return owner.host === facts.hostname();
      return owner.platform === platformTag && sameBoot(owner.boot, myBoot());
    },
    terminal: win ? { input: '\\\\.\\CONIN$', output: '\\\\.\\CONOUT$' } : { input: '/dev/tty', output: '/dev/tty' },
    forwardedSignals(stdinIsTerminal) {
      if (win) return []; // Ctrl+C reaches every process on the console; there is nothing to pass on
      return stdinIsTerminal ? POSIX_SIGNALS.filter((s) => !TERMINAL_SIGNALS.includes(s)) : [...POSIX_SIGNALS];
    },
    waitedSignals: win ? ['SIGINT', 'SIGBREAK'] : POSIX_SIGNALS,
    spawnPlan(command, args, env) {
      return win ? resolveWin32Command(command, args, env, facts.isFile) : { file: command, args };
    },
    // Loaded when needed: most runs never end a process.
    killTree: (pid) => import('./kill-tree.js').then((m) => m.killTree(pid, win, facts.killTree)),
    defaultEnvFormat(env = facts.env) {
      const name = shellName(env.SHELL);
      if (name === 'zsh' || name === 'fish') return name;
      if (name === 'pwsh' || name === 'powershell') return 'powershell';
      if (name === 'cmd') return 'cmd';
      if (!name && win) return 'powershell';
      return 'bash';
    },
    rcFile(shell) {
      const name = shellName(shell);
      if (name === 'zsh') return '~/.zshrc';
      if (name === 'fish') return '~/.config/fish/config.fish';
      if (name === 'pwsh' || name === 'powershell' || (!name && win)) return '$PROFILE';
      // Terminal.app opens login shells, which read ~/.bash_profile and not ~/.bashrc.
      return kind === 'darwin' ? '~/.bash_profile' : '~/.bashrc';
    },
    loadLine(command, shell) {
      const name = shellName(shell);
      if (name === 'fish') return `${command} | source`;
      if (name === 'pwsh' || name === 'powershell') return `${command} | Out-String | Invoke-Expression`;
      // macOS ships bash 3.2, where `source <(…)` silently does nothing.
      return `eval "$(${command})"`;
    },
    orElse(first, second, shell) {
      const name = shellName(shell);
      if (name === 'pwsh' || name === 'powershell' || (!name && win)) return `${first}; if (-not $?) { ${second} }`;
      return `${first} || ${second}`;
    },
    credentialProcess(args) {
      // botocore starts credential_process without a shell; Python on Windows cannot run npm's .cmd shim.
      return win ? `cmd /c aws-mfa-refresh ${args}` : `aws-mfa-refresh ${args}`;
    },
  };
}

export function detectKind(
  platform: NodeJS.Platform = process.platform,
  osRelease?: string,
  env = process.env,
): PlatformKind {
  if (platform === 'win32') return 'win32';
  if (platform === 'darwin') return 'darwin';
  if (
    platform === 'linux' &&
    (env.WSL_DISTRO_NAME || (osRelease ?? kernelRelease()).toLowerCase().includes('microsoft'))
  )
    return 'wsl';
  return 'linux';
}

/**
 * `uname -r`, from /proc on Linux: loading os for it would cost more than a hot command's work. Read
 * as UTF-8, Node's native path: any other encoding takes the JavaScript one, 1 ms on its first use.
 */
function kernelRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8');
  } catch {
    return release();
  }
}

let current: Platform | undefined;

/** This machine's platform, chosen once. */
export function currentPlatform(): Platform {
  return (current ??= makePlatform(detectKind()));
}
