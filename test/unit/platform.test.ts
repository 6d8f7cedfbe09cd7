/**
 * Each platform decision of issue 14, made on Linux by building that platform with fakes:
 * home and state directories, the terminal, signals, spawning on Windows, killing a tree, shell defaults
 * and the env formats for PowerShell and cmd (neither shell runs here: the quoting rules are checked).
 */
import { describe, expect, it } from 'vitest';
import { defaultFormat, renderEnv } from '../../src/cli/shell-env.js';
import { controllingTerminal } from '../../src/mfa/terminal.js';
import { awsFilePaths } from '../../src/profiles/aws-files.js';
import { descendants } from '../../src/platform/kill-tree.js';
import { detectKind, makePlatform, systemFacts, type PlatformFacts } from '../../src/platform/platform.js';
import { resolveWin32Command } from '../../src/platform/win32-spawn.js';

const with_ = (kind: Parameters<typeof makePlatform>[0], facts: Partial<PlatformFacts> = {}) =>
  makePlatform(kind, { ...systemFacts(), ...facts });

describe('detection', () => {
  it('tells Linux, WSL, macOS and Windows apart', () => {
    expect(detectKind('linux', '6.8.0-generic', {})).toBe('linux');
    expect(detectKind('linux', '5.15.153.1-microsoft-standard-WSL2', {})).toBe('wsl');
    expect(detectKind('linux', '4.4.0-19041-Microsoft', {})).toBe('wsl'); // WSL 1
    expect(detectKind('linux', '6.1', { WSL_DISTRO_NAME: 'Ubuntu' })).toBe('wsl');
    expect(detectKind('darwin', '24.0.0', {})).toBe('darwin');
    expect(detectKind('win32', '10.0.22631', {})).toBe('win32');
  });
});

describe('home and state directories', () => {
  const env = { HOME: '/c/msys/home/u', USERPROFILE: 'C:\\Users\\u', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' };

  it('Windows: USERPROFILE as botocore uses it (HOME ignored), state under %LOCALAPPDATA%', () => {
    const win = with_('win32', { env });
    expect(win.home()).toBe('C:\\Users\\u');
    expect(win.stateDir()).toBe('C:\\Users\\u\\AppData\\Local\\aws-mfa-refresh');
    expect(win.home({ HOMEDRIVE: 'D:', HOMEPATH: '\\Users\\v' })).toBe('D:\\Users\\v');
    expect(awsFilePaths(env, win).credentials).toMatch(/^C:\\Users\\u[\\/]\.aws[\\/]credentials$/);
  });

  it('elsewhere: HOME, and XDG_STATE_HOME or ~/.local/state', () => {
    for (const kind of ['linux', 'darwin', 'wsl'] as const) {
      const p = with_(kind, { env });
      expect(p.home()).toBe('/c/msys/home/u');
      expect(p.stateDir()).toBe('/c/msys/home/u/.local/state/aws-mfa-refresh');
      expect(p.stateDir({ HOME: '/h', XDG_STATE_HOME: '/s' })).toBe('/s/aws-mfa-refresh');
      expect(awsFilePaths(env, p).credentials).toBe('/c/msys/home/u/.aws/credentials');
    }
  });
});

describe('the terminal', () => {
  it('POSIX opens /dev/tty read-write; Windows CONIN$ read-write (raw mode needs it) and CONOUT$', async () => {
    for (const [kind, expected] of [
      ['linux', [['/dev/tty', 'r+']]],
      ['darwin', [['/dev/tty', 'r+']]],
      [
        'win32',
        [
          ['\\\\.\\CONIN$', 'r+'],
          ['\\\\.\\CONOUT$', 'w'],
        ],
      ],
    ] as const) {
      const opened: Array<[string, string]> = [];
      const open = (path: string, flags: string) => {
        opened.push([path, flags]);
        throw Object.assign(new Error('no terminal in this test'), { code: 'ENXIO' });
      };
      // The first open fails here (no terminal in the test): no terminal, no second open.
      expect(await controllingTerminal(with_(kind), open)).toBeUndefined();
      expect(opened).toEqual([expected[0]]);
      expect(with_(kind).terminal).toEqual(
        expected.length === 1
          ? { input: expected[0][0], output: expected[0][0] }
          : { input: expected[0][0], output: expected[1]![0] },
      );
    }
  });
});

describe('signals passed on by exec', () => {
  it('in a terminal, not SIGINT/SIGQUIT (the terminal sends them to the child too); SIGTERM and SIGHUP always', () => {
    for (const kind of ['linux', 'darwin', 'wsl'] as const) {
      const p = with_(kind);
      expect(p.forwardedSignals(true)).not.toContain('SIGINT');
      expect(p.forwardedSignals(true)).not.toContain('SIGQUIT');
      expect(p.forwardedSignals(true)).toEqual(expect.arrayContaining(['SIGTERM', 'SIGHUP']));
      expect(p.forwardedSignals(false)).toEqual(expect.arrayContaining(['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP']));
      expect(p.waitedSignals).toEqual(expect.arrayContaining(['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP']));
    }
  });

  it('on Windows nothing is passed on (Ctrl+C reaches every console process); we only wait', () => {
    const win = with_('win32');
    expect(win.forwardedSignals(true)).toEqual([]);
    expect(win.forwardedSignals(false)).toEqual([]);
    expect(win.waitedSignals).toEqual(['SIGINT', 'SIGBREAK']);
  });
});

describe('spawning on Windows (PATHEXT, .cmd shims)', () => {
  const files = new Set([
    'C:\\nodejs\\npx.cmd',
    'C:\\nodejs\\node.exe',
    'C:\\proj\\node_modules\\.bin\\cdk.cmd',
    'C:\\tools\\run.bat',
  ]);
  const env = {
    PATH: 'C:\\proj\\node_modules\\.bin;C:\\nodejs;C:\\tools',
    PATHEXT: '.COM;.EXE;.BAT;.CMD',
    ComSpec: 'C:\\Windows\\system32\\cmd.exe',
  };
  const isFile = (p: string) => files.has(p);

  it('finds npx as npx.cmd and runs it through cmd.exe with escaped arguments', () => {
    expect(resolveWin32Command('npx', ['cdk', 'a b', 'x&y'], env, isFile)).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"npx ^"cdk^" ^"a^ b^" ^"x^&y^""'],
      windowsVerbatimArguments: true,
    });
  });

  it('an explicit .cmd (which spawn refuses with EINVAL) goes through cmd.exe too', () => {
    expect(resolveWin32Command('C:\\tools\\run.bat', ['%PATH%'], env, isFile).args.at(-1)).toBe(
      '"C:\\tools\\run.bat ^"^%PATH^%^""',
    );
  });

  it('node_modules/.bin shims get their metacharacters escaped twice (cmd parses %* again)', () => {
    expect(resolveWin32Command('cdk', ['a|b'], env, isFile).args.at(-1)).toBe('"cdk ^^^"a^^^|b^^^""');
  });

  it('quotes and trailing backslashes follow CommandLineToArgvW (2n backslashes before a quote: 2n+1 after)', () => {
    expect(resolveWin32Command('npx', ['a\\\\"b'], env, isFile).args.at(-1)).toBe('"npx ^"a\\\\\\\\\\^"b^""');
    expect(resolveWin32Command('npx', ['say "hi"', 'C:\\dir\\'], env, isFile).args.at(-1)).toBe(
      '"npx ^"say^ \\^"hi\\^"^" ^"C:\\dir\\\\^""',
    );
  });

  it('an .exe runs directly; an unknown name is left for spawn to report (exit 127)', () => {
    expect(resolveWin32Command('node', ['-v'], env, isFile)).toEqual({ file: 'C:\\nodejs\\node.exe', args: ['-v'] });
    expect(resolveWin32Command('nosuch', ['x'], env, isFile)).toEqual({ file: 'nosuch', args: ['x'] });
  });

  it('POSIX runs the command as given', () => {
    expect(with_('linux').spawnPlan('npx', ['a'], env)).toEqual({ file: 'npx', args: ['a'] });
    expect(with_('win32', { isFile }).spawnPlan('npx', [], env).file).toBe('C:\\Windows\\system32\\cmd.exe');
  });
});

describe('killing a tree', () => {
  const table: Array<[number, number]> = [
    [1, 0],
    [100, 1],
    [101, 100],
    [102, 101],
    [103, 100],
    [200, 1],
  ];

  it('finds every descendant, and only those', () => {
    expect(descendants(100, table).sort()).toEqual([101, 102, 103]);
  });

  it('POSIX: stops the whole tree (so none can start another), lists again, then kills all', async () => {
    const sent: string[] = [];
    let lists = 0;
    const p = with_('linux', {
      killTree: {
        list: async () => (++lists === 1 ? table : [...table, [104, 102]]), // 102 started 104 meanwhile
        signal: (pid, signal) => void sent.push(`${signal} ${pid}`),
      },
    });
    await p.killTree(100);
    expect(sent.filter((s) => s.startsWith('SIGSTOP')).sort()).toEqual(
      ['SIGSTOP 100', 'SIGSTOP 101', 'SIGSTOP 102', 'SIGSTOP 103', 'SIGSTOP 104'].sort(),
    );
    expect(sent.filter((s) => s.startsWith('SIGKILL')).sort()).toEqual(
      ['SIGKILL 100', 'SIGKILL 101', 'SIGKILL 102', 'SIGKILL 103', 'SIGKILL 104'].sort(),
    );
    expect(sent.indexOf('SIGKILL 100')).toBeGreaterThan(sent.lastIndexOf('SIGSTOP 104'));
  });

  it('Windows: taskkill /T /F; the process alone when taskkill fails', async () => {
    const calls: string[] = [];
    const win = with_('win32', {
      killTree: {
        taskkill: async (pid) => {
          calls.push(`taskkill ${pid}`);
          throw new Error('taskkill missing');
        },
        signal: (pid, s) => void calls.push(`${s} ${pid}`),
      },
    });
    await win.killTree(42);
    expect(calls).toEqual(['taskkill 42', 'SIGKILL 42']);
  });
});

describe('shell defaults', () => {
  it('env format: $SHELL first; without it PowerShell on Windows, bash elsewhere', () => {
    expect(defaultFormat('', with_('win32'))).toBe('powershell');
    expect(defaultFormat('', with_('linux'))).toBe('bash');
    expect(defaultFormat('', with_('darwin'))).toBe('bash');
    expect(defaultFormat('/usr/bin/fish', with_('win32'))).toBe('fish'); // Git Bash, MSYS: they set SHELL
    expect(defaultFormat('C:\\Windows\\System32\\cmd.exe', with_('win32'))).toBe('cmd');
    expect(defaultFormat('C:\\WINDOWS\\SYSTEM32\\CMD.EXE', with_('win32'))).toBe('cmd');
    expect(defaultFormat('/opt/zsh.exe.d/bin/zsh', with_('linux'))).toBe('zsh');
    expect(defaultFormat('C:\\Program Files\\PowerShell\\7\\pwsh.exe', with_('linux'))).toBe('powershell');
  });

  it('rc files: ~/.bash_profile for bash on macOS (login shells), ~/.bashrc on Linux, $PROFILE for PowerShell', () => {
    expect(with_('darwin').rcFile('/bin/bash')).toBe('~/.bash_profile');
    expect(with_('linux').rcFile('/bin/bash')).toBe('~/.bashrc');
    expect(with_('wsl').rcFile('')).toBe('~/.bashrc');
    expect(with_('darwin').rcFile('/bin/zsh')).toBe('~/.zshrc');
    expect(with_('linux').rcFile('/usr/bin/fish')).toBe('~/.config/fish/config.fish');
    expect(with_('win32').rcFile('')).toBe('$PROFILE');
  });

  it('loading generated code: eval "$(…)" (bash 3.2 on macOS ignores source <(…)), fish and PowerShell forms', () => {
    expect(with_('darwin').loadLine('aws-mfa-refresh completion bash', '/bin/bash')).toBe(
      'eval "$(aws-mfa-refresh completion bash)"',
    );
    expect(with_('linux').loadLine('x', '/usr/bin/fish')).toBe('x | source');
    expect(with_('win32').loadLine('x', 'pwsh')).toBe('x | Out-String | Invoke-Expression');
  });

  it('the dotfiles line: || in POSIX shells and fish; PowerShell 5.1 (no ||) tests $?', () => {
    expect(with_('linux').orElse('a', 'b', '/bin/bash')).toBe('a || b');
    expect(with_('darwin').orElse('a', 'b', '/usr/local/bin/fish')).toBe('a || b');
    expect(with_('win32').orElse('a', 'b', '')).toBe('a; if (-not $?) { b }');
    expect(with_('linux').orElse('a', 'b', '/usr/bin/pwsh')).toBe('a; if (-not $?) { b }');
  });

  it('credential_process: through cmd /c on Windows (botocore starts it without a shell; .cmd shims need one)', () => {
    expect(with_('win32').credentialProcess('credential-process --profile w')).toBe(
      'cmd /c aws-mfa-refresh credential-process --profile w',
    );
    expect(with_('darwin').credentialProcess('credential-process')).toBe('aws-mfa-refresh credential-process');
  });
});

describe('env --format powershell and cmd: quoting', () => {
  it('PowerShell doubles the ASCII quote and U+2018–U+201B, which also end a verbatim string', () => {
    const value = "a'b\u2018c\u2019d\u201Ae\u201Bf\u201Cg";
    expect(renderEnv('powershell', { V: value })).toBe(
      "$Env:V = 'a''b\u2018\u2018c\u2019\u2019d\u201A\u201Ae\u201B\u201Bf\u201Cg'\n",
    );
    // Every quote character inside is doubled, so the string never ends early: the quotes outside are the only lone ones.
    const inner = renderEnv('powershell', { V: value }).slice('$Env:V = '.length, -1);
    const lone = inner.slice(1, -1).replace(/(['\u2018-\u201B])\1/g, '');
    expect(lone).not.toMatch(/['\u2018-\u201B]/);
  });

  it('PowerShell leaves $, backticks and double quotes alone (nothing is special in single quotes)', () => {
    expect(renderEnv('powershell', { V: '$x `n "q"' }, ['AWS_PROFILE'])).toBe(
      'Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n$Env:V = \'$x `n "q"\'\n',
    );
  });

  it('cmd: set "K=V" lines with CRLF; % & | < > ^ stay inside the quotes; AWS_PROFILE cleared', () => {
    expect(renderEnv('cmd', { A: 'x%PATH%&y|z<>^', B: 'abc+/=' }, ['AWS_PROFILE'])).toBe(
      'set "AWS_PROFILE="\r\nset "A=x%PATH%&y|z<>^"\r\nset "B=abc+/="\r\n',
    );
  });

  it('cmd: a double quote or a line break cannot be carried: one clear refusal, exit 2', () => {
    for (const bad of ['a"b', 'a\nb', 'a\rb']) {
      expect(() => renderEnv('cmd', { K: bad })).toThrowError(/K holds a double quote or a line break/);
      try {
        renderEnv('cmd', { K: bad });
      } catch (error) {
        expect((error as { exitCode: number }).exitCode).toBe(2);
      }
    }
  });
});

describe('doctor on Windows', () => {
  it('no "wider than 0600" warning from made-up mode bits; Linux still warns', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { checkFiles } = await import('../../src/usecases/doctor/checks/files.js');
    const dir = mkdtempSync(join(tmpdir(), 'doctor-win-'));
    try {
      const paths = { credentials: join(dir, 'credentials'), config: join(dir, 'config') };
      writeFileSync(paths.credentials, '[a]\naws_access_key_id = AKIA1\n', { mode: 0o666 });
      const env = { HOME: dir, USERPROFILE: dir };
      expect((await checkFiles(paths, env, with_('win32'))).result.status).toBe('pass');
      expect((await checkFiles(paths, env, with_('linux'))).result).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(/wider than 0600/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags HOME and USERPROFILE pointing at different places (botocore reads USERPROFILE)', async () => {
    const { checkEnvironment } = await import('../../src/usecases/doctor/checks/environment.js');
    const env = { HOME: 'C:\\msys64\\home\\u', USERPROFILE: 'C:\\Users\\u' };
    const win = checkEnvironment(env, { target: 'default' }, undefined, with_('win32'));
    expect(win.status).toBe('warn');
    expect(win.message).toMatch(/HOME \(C:\\msys64\\home\\u\) differs from USERPROFILE \(C:\\Users\\u\)/);
    expect(checkEnvironment(env, { target: 'default' }, undefined, with_('linux')).status).toBe('pass');
  });
});
