/**
 * The shell hook in real bash, zsh and fish: in a pseudo-terminal, under strace to count the processes it
 * starts, with the built CLI on PATH (as `aws-mfa-refresh`) against the emulator.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { CLI, NODE, runCli, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { KEY, spawnCli, type PtySession } from './pty.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];
const HOUR = 3600_000;

interface ShellBox {
  s: Sandbox;
  env: NodeJS.ProcessEnv;
  hookFile: string;
  stampFile: string;
  rcFile: string;
  /** The interactive shell's command line. */
  argv: string[];
  /** The line `init --install` printed. */
  sourceLine: string;
  /** An interactive shell in a terminal; under strace when `trace` names an output file. */
  start(trace?: string, extraEnv?: NodeJS.ProcessEnv): PtySession;
  /** Runs the CLI with the shell's environment. */
  cli(args: string[]): ReturnType<typeof runCli>;
}

/** A scratch HOME whose rc file sources the hook installed by `init SHELL --install`. */
async function shellBox(shell: Shell, initArgs: string[] = []): Promise<ShellBox> {
  const s = await sandbox();
  const bin = join(s.home, 'bin');
  await mkdir(bin);
  await symlink(CLI, join(bin, 'aws-mfa-refresh'));
  // A stand-in for the AWS CLI, for --wrap-aws.
  await writeFile(join(bin, 'aws'), '#!/bin/sh\necho "real-aws $*"\n');
  await chmod(join(bin, 'aws'), 0o755);
  const env: NodeJS.ProcessEnv = {
    HOME: s.home,
    PATH: `${bin}:${dirname(NODE)}:/usr/bin:/bin`,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    XDG_STATE_HOME: join(s.home, '.local', 'state'),
    XDG_CONFIG_HOME: join(s.home, '.config'),
    ZDOTDIR: join(s.home, 'zdot'),
    AWS_ENDPOINT_URL: s.env.AWS_ENDPOINT_URL,
  };
  const cli = (args: string[]) => runCli(args, { env });
  const init = await cli(['init', shell, '--install', ...initArgs]);
  expect(init.stderr).toContain('Wrote ');
  expect(init.code).toBe(0);
  const line = init.stdout.trim();
  expect(line).toBe(`source ~/.local/share/aws-mfa-refresh/hook.${shell}`);
  const rc = {
    bash: { file: join(s.home, '.bashrc'), text: `PS1='[$AWS_MFA_PROMPT]\\$ '\n${line}\n` },
    zsh: { file: join(s.home, 'zdot', '.zshrc'), text: `setopt prompt_subst\nPS1='[$AWS_MFA_PROMPT]%# '\n${line}\n` },
    fish: {
      file: join(s.home, '.config', 'fish', 'config.fish'),
      text: `set -g fish_greeting\nfunction fish_prompt; printf '[%s]> ' "$AWS_MFA_PROMPT"; end\n${line}\n`,
    },
  }[shell];
  await mkdir(dirname(rc.file), { recursive: true });
  await writeFile(rc.file, rc.text);
  const argv = {
    bash: ['bash', '--noprofile', '--rcfile', rc.file, '-i'],
    zsh: ['zsh', '-d', '-i'],
    fish: ['fish', '-i'],
  }[shell];
  const box: ShellBox = {
    s,
    env,
    hookFile: join(s.home, '.local', 'share', 'aws-mfa-refresh', `hook.${shell}`),
    stampFile: join(s.home, '.local', 'state', 'aws-mfa-refresh', 'stamps', 'default'),
    rcFile: rc.file,
    argv,
    sourceLine: line,
    start: (trace, extraEnv = {}) =>
      spawnCli(
        [],
        { ...env, ...extraEnv },
        trace
          ? ['strace', '-f', '-qq', '-s', '200', '-e', 'trace=execve,clone,clone3,fork,vfork', '-o', trace, ...argv]
          : argv,
      ),
    cli,
  };
  if (shell === 'fish') {
    // What fish's first interactive start would set up with processes of its own (mkdir, uname, a man page scan).
    await writeFile(
      join(s.home, '.config', 'fish', 'fish_variables'),
      '# VERSION: 3.0\nSETUVAR __fish_initialized:3400\n',
    );
    await mkdir(join(s.home, '.local', 'share', 'fish', 'generated_completions'), { recursive: true });
  }
  return box;
}

/** The programs a traced run executed (successful execve only) and the processes it forked (threads excluded). */
async function processesOf(trace: string): Promise<{ execs: string[]; forks: number }> {
  const lines = (await readFile(trace, 'utf8')).split('\n');
  const execs = lines
    .filter((l) => /\bexecve\(/.test(l) && !/= -1 /.test(l))
    .map((l) => {
      const m = /execve\("([^"]+)", \[(.*?)\]/.exec(l)!;
      return `${m[1]!.split('/').pop()} ${m[2]!.replace(/"/g, '').split(', ').slice(1).join(' ')}`.trim();
    });
  const forks = lines.filter(
    (l) => /\b(v?fork)\(/.test(l) || (/\bclone3?\(\{?/.test(l) && !/resumed/.test(l) && !l.includes('CLONE_THREAD')),
  ).length;
  return { execs, forks };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A session in [default] that ends `left` ms from now (negative: ended), issued 12 h before that. */
function sessionSection(leftMs: number): string {
  const end = Date.now() + leftMs;
  return `[default]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0\naws_session_token = dG9rZW4tdG9rZW4\nexpiration = ${iso(end)}\nmfa_issued = ${iso(end - 12 * HOUR)}\n`;
}

/** The prompt the rc files draw: `[<AWS_MFA_PROMPT>]` and the shell's prompt character. */
function promptRe(text: RegExp | string): RegExp {
  const inner = typeof text === 'string' ? text.replace(/[?]/g, '\\$&') : text.source;
  return new RegExp(`\\[${inner}\\][#$>%] ?`, 'g');
}
const NOOP = { bash: ':', zsh: ':', fish: 'true' } as const;

async function drawPromptsAndExit(term: PtySession, shell: Shell, prompt: RegExp, times: number): Promise<void> {
  for (let i = 2; i <= times; i++) {
    term.type(`${NOOP[shell]}\r`);
    await waitCount(term, prompt, i);
  }
  term.type('exit\r');
  await term.exit;
}

async function waitCount(term: PtySession, re: RegExp, n: number): Promise<void> {
  const count = () => (term.screen().match(re) ?? []).length;
  await term.waitFor({ test: () => count() >= n, toString: () => `${n}× ${re}` } as unknown as RegExp);
}

describe.each(SHELLS)('the %s hook', (shell) => {
  it('starts no process at shell start or when drawing prompts while the stamp says the session is usable', async () => {
    const box = await shellBox(shell);
    await box.s.writeCredentials(sessionSection(11 * HOUR));
    expect((await box.cli(['status'])).code).toBe(0); // status writes the stamp
    expect(await readFile(box.stampFile, 'utf8')).toMatch(/^1 \d+ \d+ \d+ .*\/\.aws\/credentials\n$/);

    const trace = join(box.s.home, 'trace.txt');
    const term = box.start(trace);
    const prompt = promptRe(/default (10h5\d|11h0)m/);
    await waitCount(term, prompt, 1);
    await drawPromptsAndExit(term, shell, prompt, 3);

    const { execs, forks } = await processesOf(trace);
    expect(execs).toEqual([expect.stringMatching(new RegExp(`^${shell} `))]);
    expect(forks).toBe(0);
    expect(term.screen()).not.toContain('aws-mfa-refresh:');
  });

  it('asks for the MFA code at shell start when the session has expired, and the prompt shows the new session', async () => {
    const box = await shellBox(shell);
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await box.s.writeCredentials(sessionSection(-HOUR) + longTermSection('default-long-term', user));
    await box.s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    expect((await box.cli(['status'])).code).toBe(1); // stamps the expired session: the hook refreshes without asking status

    const term = box.start();
    await term.waitFor(`MFA code for ${user.userName}-phone:`);
    term.type(`${emulator.lastingCode(serial)}\r`);
    await term.waitFor('Profile "default" refreshed');
    const prompt = promptRe(/default (11h5\d|12h0)m/);
    await waitCount(term, prompt, 1);
    await drawPromptsAndExit(term, shell, prompt, 2);
    expect(await box.s.readCredentials()).toMatch(/aws_access_key_id = ASIA/);
    expect(term.screen()).not.toMatch(/Error|at .*\.js/);
  });

  it('without a terminal does nothing and prints nothing when the session has expired', async () => {
    const box = await shellBox(shell);
    await box.s.writeCredentials(sessionSection(-HOUR));
    expect((await box.cli(['status'])).code).toBe(1);
    const trace = join(box.s.home, 'trace.txt');
    const quiet = { bash: ['--norc', '--noprofile'], zsh: ['-f'], fish: ['--no-config'] }[shell];
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(
        'strace',
        [
          '-f',
          '-qq',
          '-s',
          '200',
          '-e',
          'trace=execve,clone,clone3,fork,vfork',
          '-o',
          trace,
          shell,
          ...quiet,
          '-c',
          `source '${box.hookFile}'`,
        ],
        {
          env: box.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (out += d));
      c.on('close', (code) => resolve({ code, out }));
    });
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    expect((await processesOf(trace)).execs).toEqual([expect.stringMatching(new RegExp(`^${shell} `))]);
  });

  it('says in one line, in a terminal, that it cannot refresh when aws-mfa-refresh is not on PATH', async () => {
    const box = await shellBox(shell);
    await box.s.writeCredentials(sessionSection(-HOUR));
    expect((await box.cli(['status'])).code).toBe(1);
    const term = spawnCli([], { ...box.env, PATH: '/usr/bin:/bin' }, box.argv);
    await term.waitFor('aws-mfa-refresh: not on PATH, so the shell hook cannot refresh profile "default".');
    await waitCount(term, promptRe('default expired'), 1);
    term.type('exit\r');
    await term.exit;
    expect(term.screen()).not.toMatch(/command not found|Unknown command/);
  });

  it('after a refresh said the profile takes no session (exit 5), leaves it alone until an AWS file changes', async () => {
    const box = await shellBox(shell);
    await box.s.writeConfig(
      '[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n',
    );
    await box.s.writeCredentials(sessionSection(11 * HOUR));
    const sso = { AWS_PROFILE: 'sso' };
    const refused = /aws-mfa-refresh: .*"sso(-long-term)?"/g;
    const empty = promptRe('');

    let term = box.start(undefined, sso);
    await waitCount(term, empty, 1);
    expect(term.screen().match(refused)).toHaveLength(1);
    term.type('exit\r');
    await term.exit;

    const trace = join(box.s.home, 'trace.txt');
    term = box.start(trace, sso);
    await waitCount(term, empty, 1);
    await drawPromptsAndExit(term, shell, empty, 2);
    expect(term.screen()).not.toMatch(refused);
    expect((await processesOf(trace)).execs).toEqual([expect.stringMatching(new RegExp(`^${shell} `))]);

    await new Promise((r) => setTimeout(r, 30));
    await box.s.writeConfig(
      '[profile sso]\nsso_session = corp\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n',
    );
    term = box.start(undefined, sso);
    await waitCount(term, empty, 1);
    expect(term.screen().match(refused)).toHaveLength(1); // the config changed: asked again
    term.type('exit\r');
    await term.exit;
  });

  it('asks `status -q` (one Node start) when the credentials file changed after the stamp, which re-stamps', async () => {
    const box = await shellBox(shell);
    const text = sessionSection(11 * HOUR);
    await box.s.writeCredentials(text);
    expect((await box.cli(['status'])).code).toBe(0);
    const before = await stat(box.stampFile);
    await new Promise((r) => setTimeout(r, 30)); // past the file system's timestamp tick
    await writeFile(box.s.credentials, text); // another tool rewrote the file

    const trace = join(box.s.home, 'trace.txt');
    const term = box.start(trace);
    const prompt = promptRe(/default (10h5\d|11h0)m/);
    await waitCount(term, prompt, 1);
    await drawPromptsAndExit(term, shell, prompt, 2);

    const { execs } = await processesOf(trace);
    expect(execs.filter((e) => e.startsWith('node '))).toHaveLength(1);
    expect(execs).toContainEqual('aws-mfa-refresh status -q --profile default');
    expect(execs).toHaveLength(3); // the shell, the launcher script (through env) and node
    expect((await stat(box.stampFile)).mtimeMs).toBeGreaterThan(before.mtimeMs);
    expect(term.screen()).not.toContain('MFA code');
  });

  it('prints one notice per shell when less than --warn-within is left', async () => {
    const box = await shellBox(shell, ['--warn-within', '2h']);
    await box.s.writeCredentials(sessionSection(90 * 60_000));
    expect((await box.cli(['status'])).code).toBe(0);
    const term = box.start();
    const prompt = promptRe(/default 1h[23]\dm/);
    await waitCount(term, prompt, 1);
    await drawPromptsAndExit(term, shell, prompt, 3);
    const notices =
      term
        .screen()
        .match(/aws-mfa-refresh: the session of profile "default" ends in 1h[23]\dm; run: aws-mfa-refresh/g) ?? [];
    expect(notices).toHaveLength(1);
  });

  it("keeps the shell's other prompt hooks and the last command's exit status for the prompt", async () => {
    const box = await shellBox(shell);
    await box.s.writeCredentials(sessionSection(11 * HOUR));
    expect((await box.cli(['status'])).code).toBe(0);
    const rc = {
      bash: `mine() { MINE=mine; }\nPROMPT_COMMAND=(mine)\nPS1='[$AWS_MFA_PROMPT] rc=$? $MINE\\$ '\n`,
      zsh: `setopt prompt_subst\nmine() { MINE=mine }\nprecmd_functions=(mine)\nPS1='[$AWS_MFA_PROMPT] rc=%? $MINE%# '\n`,
      fish: `set -g fish_greeting\nfunction mine --on-event fish_prompt; set -g MINE mine; end\nfunction fish_prompt; printf '[%s] rc=%s %s> ' "$AWS_MFA_PROMPT" $status "$MINE"; end\n`,
    }[shell];
    await writeFile(box.rcFile, `${rc}${box.sourceLine}\n`);
    const term = box.start();
    await term.waitFor(/\[default (10h5\d|11h0)m\] rc=0 mine[#>] /);
    term.type('false\r');
    await term.waitFor(/\[default (10h5\d|11h0)m\] rc=1 mine[#>] /);
    term.type('exit\r');
    await term.exit;
  });

  it('--wrap-aws: `aws` runs the real aws with no other process while usable, and refreshes first when not', async () => {
    const box = await shellBox(shell, ['--wrap-aws']);
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await box.s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    await box.s.writeCredentials(sessionSection(11 * HOUR) + longTermSection('default-long-term', user));
    expect((await box.cli(['status'])).code).toBe(0);

    const trace = join(box.s.home, 'trace.txt');
    let term = box.start(trace);
    await waitCount(term, promptRe(/default (10h5\d|11h0)m/), 1);
    term.type('aws s3 ls\r');
    await term.waitFor('real-aws s3 ls');
    term.type('exit\r');
    await term.exit;
    const { execs } = await processesOf(trace);
    expect(execs.map((e) => e.split(' ')[0])).toEqual([shell, 'aws']);

    // Expired: the refresh at shell start is interrupted; the first `aws` asks again, then runs.
    await box.s.writeCredentials(sessionSection(-HOUR) + longTermSection('default-long-term', user));
    expect((await box.cli(['status'])).code).toBe(1);
    term = box.start();
    await term.waitFor(`MFA code for ${user.userName}-phone:`);
    term.type(KEY.ctrlC);
    await waitCount(term, promptRe('default expired'), 1);
    term.type('aws s3 ls\r');
    await waitCount(term, /MFA code for \S+-phone:/g, 2);
    term.type(`${emulator.lastingCode(serial)}\r`);
    await term.waitFor('real-aws s3 ls');
    expect(term.screen()).toContain('Profile "default" refreshed');
    term.type('exit\r');
    await term.exit;
  });
});
