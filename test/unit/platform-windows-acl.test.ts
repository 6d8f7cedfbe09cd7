/**
 * Windows decisions made on Linux: who may read the credentials file (its ACL, from icacls output
 * written after the icacls documentation's format), doctor's warning with the fix, and the hints that
 * name a command (delete the lock) in the user's Windows shell. The win32 platform is built with a
 * fake program runner; the files are real.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStoreError, updateFile } from '../../src/profiles/file-store.js';
import { makePlatform, systemFacts, type PlatformFacts } from '../../src/platform/platform.js';
import { aclFixCommands, grantsRead, otherReaders, parseIcacls } from '../../src/platform/win32-acl.js';
import { checkFiles } from '../../src/usecases/doctor/checks/files.js';

const win = (facts: Partial<PlatformFacts> = {}) => makePlatform('win32', { ...systemFacts(), ...facts });

/** `icacls PATH` as Windows prints it: entries aligned under the first, a blank line, the summary (CRLF). */
function icacls(path: string, entries: string[]): string {
  const pad = ' '.repeat(path.length + 1);
  const lines = entries.map((e, i) => (i === 0 ? `${path} ${e}` : `${pad}${e}`));
  return [...lines, '', 'Successfully processed 1 files; Failed processing 0 files', ''].join('\r\n');
}

const HOME_FILE = 'C:\\Users\\alice\\.aws\\credentials';
/** A file in the user's profile: inherited from C:\Users\alice, private. */
const PRIVATE = icacls(HOME_FILE, [
  'NT AUTHORITY\\SYSTEM:(I)(F)',
  'BUILTIN\\Administrators:(I)(F)',
  'DESKTOP-7Q2K\\alice:(I)(F)',
]);
/** A file under D:\ (AWS_SHARED_CREDENTIALS_FILE elsewhere): the drive root lets every user read. */
const SHARED_PATH = 'D:\\work files\\aws\\credentials';
const SHARED = icacls(SHARED_PATH, [
  'BUILTIN\\Administrators:(I)(F)',
  'NT AUTHORITY\\SYSTEM:(I)(F)',
  'NT AUTHORITY\\Authenticated Users:(I)(M)',
  'BUILTIN\\Users:(I)(RX)',
]);

describe('icacls output', () => {
  it('parses the first entry after the path (spaces in it) and the aligned ones, up to the blank line', () => {
    expect(parseIcacls(SHARED, SHARED_PATH)).toEqual([
      { principal: 'BUILTIN\\Administrators', rights: ['I', 'F'] },
      { principal: 'NT AUTHORITY\\SYSTEM', rights: ['I', 'F'] },
      { principal: 'NT AUTHORITY\\Authenticated Users', rights: ['I', 'M'] },
      { principal: 'BUILTIN\\Users', rights: ['I', 'RX'] },
    ]);
  });

  it('the documentation example (mmc.exe, LF line ends): TrustedInstaller F, SYSTEM RX', () => {
    const out =
      'C:\\WINDOWS\\system32\\mmc.exe NT SERVICE\\TrustedInstaller:(F)\n' +
      '                            NT AUTHORITY\\SYSTEM:(RX)\n\nSuccessfully processed 1 files; Failed processing 0 files\n';
    expect(parseIcacls(out, 'C:\\WINDOWS\\system32\\mmc.exe')).toEqual([
      { principal: 'NT SERVICE\\TrustedInstaller', rights: ['F'] },
      { principal: 'NT AUTHORITY\\SYSTEM', rights: ['RX'] },
    ]);
  });

  it('an error (no such file) is not an ACL', () => {
    const out =
      'C:\\nope\\credentials: The system cannot find the file specified.\r\nSuccessfully processed 0 files; Failed processing 1 files\r\n';
    expect(parseIcacls(out, 'C:\\nope\\credentials')).toBeUndefined();
  });

  it('which entries let their principal read: simple and specific rights, not denies nor inherit-only', () => {
    const cases: Array<[string[], boolean]> = [
      [['I', 'F'], true],
      [['M'], true],
      [['I', 'RX'], true],
      [['R'], true],
      [['W'], false],
      [['DENY', 'R'], false],
      [['OI', 'CI', 'IO', 'F'], false],
      [['Rc,S,RD'], true],
      [['GR'], true],
      [['RA,REA,RC,S'], false], // attributes and the ACL itself, not the data
      [['NW'], false], // a mandatory label
    ];
    for (const [rights, reads] of cases)
      expect([rights, grantsRead({ principal: 'x', rights })]).toEqual([rights, reads]);
  });

  it('others than the user, SYSTEM and Administrators (also by SID, and as localized Windows names them)', () => {
    const user = { name: 'alice', domain: 'DESKTOP-7Q2K' };
    expect(otherReaders(parseIcacls(PRIVATE, HOME_FILE)!, user)).toEqual([]);
    expect(otherReaders(parseIcacls(SHARED, SHARED_PATH)!, user)).toEqual([
      'NT AUTHORITY\\Authenticated Users',
      'BUILTIN\\Users',
    ]);
    const german = 'C:\\Users\\jorg\\.aws\\credentials';
    const out = icacls(german, [
      'NT-AUTORITÄT\\SYSTEM:(I)(F)',
      'VORDEFINIERT\\Administratoren:(I)(F)',
      'PC\\jorg:(I)(F)',
    ]);
    expect(otherReaders(parseIcacls(out, german)!, { name: 'jorg', domain: 'PC' })).toEqual([]);
    // A non-ASCII name as it arrives from icacls's OEM code page read as UTF-8 (one unknown character).
    const oem = icacls(german, ['NT-AUTORIT\uFFFDT\\SYSTEM:(I)(F)', 'PC\\j\uFFFDrg:(I)(F)', 'PC\\jens:(I)(R)']);
    expect(otherReaders(parseIcacls(oem, german)!, { name: 'jörg', domain: 'PC' })).toEqual(['PC\\jens']);
    // The path itself with a non-ASCII letter, as icacls echoes it (CP850 "ö" read as latin1).
    const home = 'C:\\Users\\jörg\\.aws\\credentials';
    const echoed = icacls(home.replace('ö', '\u0094'), ['PC\\j\u0094rg:(I)(F)', 'Everyone:(R)']);
    expect(otherReaders(parseIcacls(echoed, home)!, { name: 'jörg', domain: 'PC' })).toEqual(['Everyone']);
    const mixed = icacls(HOME_FILE, [
      'Everyone:(DENY)(W)',
      'Everyone:(R)',
      'CORP\\alice:(F)',
      'S-1-5-21-1004336348-1177238915-682003330-1001:(F)', // a deleted account
      'CORP\\svc-backup:(Rc,S,RD)',
      '*S-1-5-18:(F)',
      'Mandatory Label\\High Mandatory Level:(NW)',
    ]);
    expect(otherReaders(parseIcacls(mixed, HOME_FILE)!, { name: 'ALICE', domain: 'corp' })).toEqual([
      'Everyone',
      'S-1-5-21-1004336348-1177238915-682003330-1001',
      'CORP\\svc-backup',
    ]);
  });

  it('the fix: the directory private to you and SYSTEM for new files, then the file reset to it (cmd and PowerShell alike)', () => {
    expect(aclFixCommands(SHARED_PATH, 'D:\\work files\\aws', { name: 'alice', domain: 'PC' })).toEqual([
      'icacls "D:\\work files\\aws" /inheritance:r /grant:r "PC\\alice:(OI)(CI)F" "*S-1-5-18:(OI)(CI)F"',
      'icacls "D:\\work files\\aws\\credentials" /reset',
    ]);
  });
});

describe('the win32 platform reads the ACL through its runner', () => {
  const env = { USERNAME: 'alice', USERDOMAIN: 'DESKTOP-7Q2K', SystemRoot: 'C:\\Windows' };

  it('runs icacls.exe by its full path with the file, and names the others who can read', async () => {
    const calls: string[][] = [];
    const p = win({
      run: async (file, args) => {
        calls.push([file, ...args]);
        return { code: 0, stdout: SHARED };
      },
    });
    const found = await p.othersWhoCanRead(SHARED_PATH, env);
    expect(calls).toEqual([['C:\\Windows\\System32\\icacls.exe', SHARED_PATH]]);
    expect(found?.readers).toEqual(['NT AUTHORITY\\Authenticated Users', 'BUILTIN\\Users']);
    expect(found?.fix[0]).toContain('"DESKTOP-7Q2K\\alice:(OI)(CI)F"');
  });

  it('a private file, a failing icacls or one that cannot start: nothing to say', async () => {
    expect(await win({ run: async () => ({ code: 0, stdout: PRIVATE }) }).othersWhoCanRead(HOME_FILE, env)).toBe(
      undefined,
    );
    expect(await win({ run: async () => ({ code: 5, stdout: SHARED }) }).othersWhoCanRead(SHARED_PATH, env)).toBe(
      undefined,
    );
    // No USERNAME: your own entry cannot be told from another's; no verdict rather than a false one.
    const noUser = { SystemRoot: 'C:\\Windows' };
    expect(await win({ run: async () => ({ code: 0, stdout: SHARED }) }).othersWhoCanRead(SHARED_PATH, noUser)).toBe(
      undefined,
    );
    const missing = win({ run: () => Promise.reject(Object.assign(new Error('spawn'), { code: 'ENOENT' })) });
    expect(await missing.othersWhoCanRead(SHARED_PATH, env)).toBeUndefined();
  });

  it('Linux and macOS never run it: file modes decide there', async () => {
    for (const kind of ['linux', 'darwin', 'wsl'] as const) {
      let ran = false;
      const p = makePlatform(kind, { ...systemFacts(), run: async () => ((ran = true), { code: 0, stdout: SHARED }) });
      expect(await p.othersWhoCanRead(SHARED_PATH, env)).toBeUndefined();
      expect(ran).toBe(false);
    }
  });
});

describe('doctor on Windows: the ACL of the credentials file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-acl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const paths = { credentials: join(dir, 'credentials'), config: join(dir, 'config') };
  writeFileSync(paths.credentials, '[a-long-term]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n');
  writeFileSync(paths.config, '[profile a]\nregion = eu-west-1\n');
  const env = { HOME: dir, USERPROFILE: dir, USERNAME: 'alice', USERDOMAIN: 'PC' };
  /** icacls as it would list these files: the credentials file readable by Users, the config file private. */
  const run = async (_file: string, [path]: string[]) => ({
    code: 0,
    stdout: icacls(path!, [
      'NT AUTHORITY\\SYSTEM:(I)(F)',
      'PC\\alice:(I)(F)',
      ...(path === paths.credentials ? ['BUILTIN\\Users:(I)(RX)'] : []),
    ]),
  });

  it('warns when others can read it, with the commands that make it private', async () => {
    const { result } = await checkFiles(paths, env, win({ run }));
    expect(result.status).toBe('warn');
    expect(result.message).toMatch(/credentials file .* can be read by BUILTIN\\Users \(its ACL\), not only by you$/);
    expect(result.hint).toBe(
      `Run: icacls "${dir}" /inheritance:r /grant:r "PC\\alice:(OI)(CI)F" "*S-1-5-18:(OI)(CI)F" then: icacls "${paths.credentials}" /reset`,
    );
    expect(result.message).not.toMatch(/mode|0[0-7]{3}/); // made-up mode bits are not shown on Windows
  });

  it('passes when only you, SYSTEM and Administrators can', async () => {
    const privateRun = async (_file: string, [path]: string[]) => ({
      code: 0,
      stdout: icacls(path!, ['NT AUTHORITY\\SYSTEM:(I)(F)', 'BUILTIN\\Administrators:(I)(F)', 'PC\\alice:(I)(F)']),
    });
    expect((await checkFiles(paths, env, win({ run: privateRun }))).result.status).toBe('pass');
  });
});

describe('hints that name a command, on Windows', () => {
  const lock = "C:\\Users\\o'brien\u2019s\\.aws\\credentials.lock";

  it('deleting a file: PowerShell by default, cmd when it is the shell, rm in Git Bash; rm elsewhere', () => {
    expect(win().removeCommand(lock, {})).toBe(
      "Remove-Item -LiteralPath 'C:\\Users\\o''brien\u2019\u2019s\\.aws\\credentials.lock'",
    );
    expect(win().removeCommand(lock, { SHELL: 'C:\\Windows\\System32\\cmd.exe' })).toBe(`del "${lock}"`);
    expect(win().removeCommand('C:\\u\\.aws\\credentials.lock', { SHELL: '/usr/bin/bash' })).toBe(
      "rm 'C:\\u\\.aws\\credentials.lock'",
    );
    expect(makePlatform('linux', systemFacts()).removeCommand('/h/.aws/credentials.lock')).toBe(
      'rm /h/.aws/credentials.lock',
    );
  });

  it('a lock held by a live process: the timeout names the command of that platform', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-hint-'));
    try {
      const file = join(dir, 'credentials');
      writeFileSync(file, '[a]\nx = 1\n');
      for (const [platform, command] of [
        [win({ env: {} }), `Remove-Item -LiteralPath '${file}.lock'`],
        [win({ env: { SHELL: 'cmd.exe' } }), `del "${file}.lock"`],
        [makePlatform('linux', systemFacts()), `rm ${file}.lock`],
      ] as const) {
        writeFileSync(`${file}.lock`, platform.lockContent()); // ours: alive, same platform and boot
        const error = await updateFile(file, (t) => `${t}y = 2\n`, { platform, lockTimeoutMs: 100 }).catch((e) => e);
        expect(error).toBeInstanceOf(FileStoreError);
        expect((error as FileStoreError).hint).toBe(
          `Wait for it to finish and run again; if none is running, delete the lock with: ${command}, then run again.`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('environment hints on Windows: PowerShell by default, cmd when it is the shell, POSIX in Git Bash', () => {
  const ps = {};
  const cmd = { SHELL: 'C:\\Windows\\System32\\cmd.exe' };
  const gitBash = { SHELL: '/usr/bin/bash' };

  it('unset, set, one after the other, and loading `env`', () => {
    expect(win().unsetCommand(['AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN'], ps)).toBe(
      'Remove-Item Env:AWS_ACCESS_KEY_ID, Env:AWS_SESSION_TOKEN',
    );
    expect(win().exportCommand('AWS_PROFILE', "o'k", ps)).toBe("$Env:AWS_PROFILE = 'o''k'");
    expect(win().sequence(['a', 'b'], ps)).toBe('a; b');
    expect(win().envLoadLine(ps)).toBe('aws-mfa-refresh env | Out-String | Invoke-Expression');

    expect(win().unsetCommand(['A', 'B'], cmd)).toBe('set "A=" & set "B="');
    expect(win().exportCommand('AWS_PROFILE', 'work', cmd)).toBe('set "AWS_PROFILE=work"');
    expect(win().sequence(['a', 'b'], cmd)).toBe('a & b');
    expect(win().envLoadLine(cmd)).toBe(`for /f "delims=" %i in ('aws-mfa-refresh env --format cmd') do @%i`);

    expect(win().unsetCommand(['A'], gitBash)).toBe('unset A');
    expect(win().exportCommand('AWS_PROFILE', 'work', gitBash)).toBe('export AWS_PROFILE=work');
    // POSIX systems keep the POSIX forms whatever $SHELL says.
    const linux = makePlatform('linux', systemFacts());
    expect(linux.unsetCommand(['A', 'B'], { SHELL: '/usr/bin/pwsh' })).toBe('unset A B');
    expect(linux.envLoadLine({ SHELL: '/usr/bin/pwsh' })).toBe('eval "$(aws-mfa-refresh env)"');
  });

  it('doctor environment check names them', async () => {
    const { checkEnvironment } = await import('../../src/usecases/doctor/checks/environment.js');
    const env = { AWS_ACCESS_KEY_ID: 'AKIA1', AWS_DEFAULT_PROFILE: 'other' };
    expect(checkEnvironment(env, { target: 'default' }, undefined, win()).hint).toBe(
      "Run: Remove-Item Env:AWS_ACCESS_KEY_ID. Run: $Env:AWS_PROFILE = 'other'; Remove-Item Env:AWS_DEFAULT_PROFILE (every tool reads AWS_PROFILE).",
    );
    expect(checkEnvironment({ ...env, ...cmd }, { target: 'default' }, undefined, win()).hint).toBe(
      'Run: set "AWS_ACCESS_KEY_ID=". Run: set "AWS_PROFILE=other" & set "AWS_DEFAULT_PROFILE=" (every tool reads AWS_PROFILE).',
    );
    const linux = makePlatform('linux', systemFacts());
    expect(checkEnvironment(env, { target: 'default' }, undefined, linux).hint).toBe(
      'Run: unset AWS_ACCESS_KEY_ID. Run: export AWS_PROFILE=other; unset AWS_DEFAULT_PROFILE (every tool reads AWS_PROFILE).',
    );
  });
});
