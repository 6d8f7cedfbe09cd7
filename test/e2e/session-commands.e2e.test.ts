import { describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromIni } from '@aws-sdk/credential-providers';
import type { Emulator } from '../emulator/index.js';
import { CLI, NODE, ROOT, modulesLoadedBy, runProcess, sectionOf } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';
import { spawnCli } from './pty.js';
import { REFERENCE_PYTHON } from '../reference-python.js';

const exec = promisify(execFile);
let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
function sessionSection(
  name: string,
  o: { expiresIn: number; issuedAgo?: number; secret?: string; token?: string; id?: string },
) {
  return (
    `[${name}]\n` +
    `aws_access_key_id = ${o.id ?? 'ASIASESSION000000001'}\n` +
    `aws_secret_access_key = ${o.secret ?? 'sessionSecret'}\n` +
    `aws_session_token = ${o.token ?? 'sessionToken'}\n` +
    `expiration = ${iso(Date.now() + o.expiresIn * 1000)}\n` +
    `mfa_issued = ${iso(Date.now() - (o.issuedAgo ?? 0) * 1000)}\n` +
    `mfa_device = arn:aws:iam::123456789012:mfa/alice-phone\n`
  );
}

describe('status', () => {
  it('a result larger than a pipe holds reaches a reader that is slow to read, whole', async () => {
    // More than the 64 KiB a pipe buffers: the writes wait for the reader, and the process ends only after them.
    const s = await sandbox();
    const names = Array.from({ length: 700 }, (_, i) => `profile-with-a-long-name-${String(i).padStart(4, '0')}`);
    await s.writeCredentials(names.map((n) => sessionSection(n, { expiresIn: 3600 * 5 })).join(''));
    const { stdout } = await exec('sh', ['-c', '"$0" "$1" status --all --json | { sleep 0.4; cat; }', NODE, CLI], {
      env: s.env,
      maxBuffer: 1 << 24,
    });
    expect(stdout.length).toBeGreaterThan(65536);
    expect((JSON.parse(stdout) as { profile: string }[]).map((r) => r.profile)).toEqual(names);
  });

  it('exits 0 for a usable session and 1 for expiring, expired, missing and long-term; --all and --json', async () => {
    const s = await sandbox();
    await s.writeCredentials(
      sessionSection('default', { expiresIn: 3600 * 5 }) +
        sessionSection('soon', { expiresIn: 600, issuedAgo: 11 * 3600 }) + // a 12 h session near its end
        sessionSection('old', { expiresIn: -60 }) +
        sessionSection('stale-mfa', { expiresIn: 3600 * 20, issuedAgo: 43200 + 60 }) +
        '[keys]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n',
    );
    const ok = await s.run(['status']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^✔ default: usable until .* \(4h 59m left\), device arn:aws:iam::123456789012:mfa\/alice-phone\n$/,
    );
    expect((await s.run(['status', '-q'])).stdout).toBe('');

    for (const [profile, pattern] of [
      ['soon', /! soon: usable until .*, only 9m left/],
      ['old', /✖ The session of profile "old" is no longer usable/],
      ['stale-mfa', /✖ The session of profile "stale-mfa" is no longer usable/],
      ['keys', /✖ Profile "keys" holds long-term keys/],
      ['nothing', /✖ Profile "nothing" holds no MFA session/],
    ] as const) {
      const r = await s.run(['status', '--profile', profile]);
      expect(r.code, profile).toBe(1);
      expect(r.stdout, profile).toMatch(pattern);
      expect(r.stderr, profile).toBe('');
    }
    const q = await s.run(['status', '-q'], { env: { AWS_PROFILE: 'old' } });
    expect(q.code).toBe(1);
    expect(q.stdout + q.stderr).toBe('');

    const all = await s.run(['status', '--all', '--json']);
    expect(all.code).toBe(1);
    const rows = JSON.parse(all.stdout) as {
      profile: string;
      state: string;
      usable: boolean;
      limitedByMfaAge: boolean;
    }[];
    expect(rows.map((r) => [r.profile, r.state])).toEqual([
      ['default', 'usable'],
      ['soon', 'expiring'],
      ['old', 'expired'],
      ['stale-mfa', 'expired'],
    ]);
    expect(rows[3]!.limitedByMfaAge).toBe(true);
  });

  it('never loads the AWS SDK or the prompt library', async () => {
    const s = await sandbox();
    await s.writeCredentials(sessionSection('default', { expiresIn: 3600 }));
    // The build records which packages each output file holds (dist/contents.json).
    const contents = JSON.parse(await readFile(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<
      string,
      string[]
    >;
    const loaded = (await modulesLoadedBy(['status'], s.env))
      .filter((m) => m.includes('/dist/'))
      .map((m) => m.replace(/.*\/dist\//, ''));
    const packages = new Set(loaded.flatMap((file) => contents[file] ?? []));
    expect(packages).toContain('src/profiles/session-state.ts'); // the probe sees what status runs
    // Files are read by our own botocore-compatible reader: no SDK code at all.
    expect([...packages].filter((p) => p.startsWith('@smithy/'))).toEqual([]);
    expect([...packages].filter((p) => /^@aws-sdk\/|^@inquirer\//.test(p))).toEqual([]);
    // Positive control: a command that talks to AWS is seen loading the SDK.
    await s.writeCredentials(
      sessionSection('default', { expiresIn: 3600 }) +
        '[default-long-term]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n',
    );
    const devicesLoads = new Set(
      (await modulesLoadedBy(['devices', '--endpoint-url', 'http://127.0.0.1:9', '--timeout', '1s'], s.env)).flatMap(
        (m) => contents[m.replace(/.*\/dist\//, '')] ?? [],
      ),
    );
    expect(devicesLoads).toContain('@aws-sdk/client-sts');
  });
});

const HOSTILE = { secret: `it's $HOME \\n \`x\` "q";&|*`, token: `tok'en\\\\$(echo pwned)%%` };

describe('env', () => {
  it('prints assignments that bash, zsh and fish evaluate back to the exact values', async () => {
    const s = await sandbox();
    await s.writeCredentials(sessionSection('default', { expiresIn: 3600, ...HOSTILE }));
    for (const [shell, format, evalLine] of [
      [
        'bash',
        'bash',
        'eval "$(cat)"; printf %s "$AWS_SECRET_ACCESS_KEY" | od -An -tx1; printf "|%s|%s" "$AWS_SESSION_TOKEN" "${AWS_PROFILE-unset}"',
      ],
      [
        'zsh',
        'zsh',
        'eval "$(cat)"; printf %s "$AWS_SECRET_ACCESS_KEY" | od -An -tx1; printf "|%s|%s" "$AWS_SESSION_TOKEN" "${AWS_PROFILE-unset}"',
      ],
      [
        'fish',
        'fish',
        'cat | source; printf %s "$AWS_SECRET_ACCESS_KEY" | od -An -tx1; printf "|%s|%s" "$AWS_SESSION_TOKEN" (set -q AWS_PROFILE; and echo $AWS_PROFILE; or echo unset)',
      ],
    ] as const) {
      const r = await s.run(['env', '--format', format], { env: { AWS_PROFILE: 'default' } });
      expect(r.code, shell).toBe(0);
      const { stdout } = await new Promise<{ stdout: string }>((res, rej) => {
        const c = spawn(shell, ['-c', evalLine], {
          env: { PATH: process.env.PATH, AWS_PROFILE: 'default', HOME: s.home },
        });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => rej(new Error(`${shell}: ${d}`)));
        c.on('close', () => res({ stdout: out }));
        c.stdin.end(r.stdout);
      });
      const [hex, token, profile] = stdout.split('|');
      expect(Buffer.from(hex!.replace(/\s+/g, ''), 'hex').toString(), shell).toBe(HOSTILE.secret);
      expect(token, shell).toBe(HOSTILE.token);
      expect(profile, shell).toBe('unset');
    }
  });

  it('defaults the format from $SHELL, supports json/dotenv/powershell, and refuses an unusable session with exit 1', async () => {
    const s = await sandbox();
    await s.writeCredentials(sessionSection('default', { expiresIn: 3600 }) + sessionSection('old', { expiresIn: -5 }));
    expect((await s.run(['env'], { env: { SHELL: '/usr/bin/fish' } })).stdout).toMatch(
      /^set -e AWS_PROFILE\nset -gx AWS_ACCESS_KEY_ID 'ASIASESSION000000001'\n/,
    );
    const json = JSON.parse((await s.run(['env', '--format', 'json'])).stdout);
    expect(json).toMatchObject({
      AWS_ACCESS_KEY_ID: 'ASIASESSION000000001',
      AWS_SECRET_ACCESS_KEY: 'sessionSecret',
      AWS_SESSION_TOKEN: 'sessionToken',
    });
    expect(json.AWS_CREDENTIAL_EXPIRATION).toMatch(/Z$/);
    expect((await s.run(['env', '--format', 'dotenv'])).stdout).toContain('AWS_SESSION_TOKEN="sessionToken"\n');
    expect((await s.run(['env', '--format', 'powershell'])).stdout).toContain(
      "$Env:AWS_SESSION_TOKEN = 'sessionToken'\n",
    );
    const bad = await s.run(['env', '--format', 'tcsh']);
    expect(bad.code).toBe(2);
    const old = await s.run(['env', '--profile', 'old']);
    expect(old.code).toBe(1);
    expect(old.stdout).toBe('');
    expect(old.stderr).toMatch(
      /^aws-mfa-refresh: The session of profile "old" is no longer usable .* Run: aws-mfa-refresh --profile old \(or add --refresh\)\.\n$/,
    );
  });

  it('--refresh refreshes first, talking on stderr only', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run([
      'env',
      '--refresh',
      '--format',
      'bash',
      '--serial-number',
      serial,
      '--code',
      emulator.lastingCode(serial),
    ]);
    expect(r.code).toBe(0);
    const session = sectionOf(await s.readCredentials(), 'default')!;
    expect(r.stdout).toContain(`export AWS_ACCESS_KEY_ID='${session.aws_access_key_id}'`);
    expect(r.stderr).toBe('✔ Profile "default" refreshed.\n');
  });
});

describe('exec', () => {
  it('runs the command with the session in its environment only, without AWS_PROFILE, and returns its exit code', async () => {
    const s = await sandbox();
    await s.writeCredentials(sessionSection('work', { expiresIn: 3600, secret: 'execSecret' }));
    const script = `const argv=process.execArgv.concat(process.argv).join(' ');process.stdout.write(JSON.stringify({id:process.env.AWS_ACCESS_KEY_ID,secret:process.env.AWS_SECRET_ACCESS_KEY,token:process.env.AWS_SESSION_TOKEN,exp:process.env.AWS_CREDENTIAL_EXPIRATION,profile:process.env.AWS_PROFILE??null,argvHasSecret:argv.includes(process.env.AWS_SECRET_ACCESS_KEY),sdkSwitch:process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED??null}));process.exit(7)`;
    const r = await s.run(['exec', '--profile', 'work', '--', process.execPath, '-e', script], {
      env: { AWS_PROFILE: 'work' },
    });
    expect(r.code).toBe(7);
    const seen = JSON.parse(r.stdout);
    expect(seen).toMatchObject({
      id: 'ASIASESSION000000001',
      secret: 'execSecret',
      token: 'sessionToken',
      profile: null,
      argvHasSecret: false,
      sdkSwitch: null,
    });
    expect(seen.exp).toMatch(/Z$/);
    expect(r.stderr).toBe('');
  });

  it('passes signals to the child and exits with its code', async () => {
    const s = await sandbox();
    await s.writeCredentials(sessionSection('default', { expiresIn: 3600 }));
    const child = spawn(
      NODE,
      [CLI, 'exec', '--', 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'],
      { env: s.env },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((res) => child.stdout.on('data', () => out.includes('ready') && res()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(out).toContain('got-term');
    expect(code).toBe(42);
  });

  it('refreshes first when the session is missing, and reports a missing command with 127', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    const r = await s.run([
      'exec',
      '--serial-number',
      serial,
      '--code',
      emulator.lastingCode(serial),
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(process.env.AWS_ACCESS_KEY_ID)',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(sectionOf(await s.readCredentials(), 'default')!.aws_access_key_id);
    const missing = await s.run(['exec', '--', 'no-such-command-here']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/Command not found: no-such-command-here/);
  });
});

describe('credential-process', () => {
  it('is resolved by the JS SDK (fromIni) and by botocore from a credential_process profile', async () => {
    const s = await sandbox();
    await s.writeCredentials(sessionSection('work-session', { expiresIn: 3600, id: 'ASIACREDPROCESS00001' }));
    await s.writeConfig(
      `[profile work]\ncredential_process = ${NODE} ${CLI} credential-process --profile work-session\n`,
    );
    const out = await s.run(['credential-process', '--profile', 'work-session']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      Version: 1,
      AccessKeyId: 'ASIACREDPROCESS00001',
      SecretAccessKey: 'sessionSecret',
      SessionToken: 'sessionToken',
    });

    const env = { AWS_SHARED_CREDENTIALS_FILE: s.credentials, AWS_CONFIG_FILE: s.config, HOME: s.home };
    // The SDK runs credential_process with this process's environment: point it at the sandbox.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const js = await fromIni({
      profile: 'work',
      filepath: s.credentials,
      configFilepath: s.config,
      ignoreCache: true,
    })().finally(() => {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, { HOME: saved.HOME });
    });
    expect(js.accessKeyId).toBe('ASIACREDPROCESS00001');
    expect(js.expiration?.toISOString().replace(/\.000Z$/, 'Z')).toBe(json.Expiration);
    const { stdout } = await exec(
      REFERENCE_PYTHON,
      [
        '-c',
        'import botocore.session;c=botocore.session.Session(profile="work").get_credentials().get_frozen_credentials();print(c.access_key, c.token)',
      ],
      {
        env: { ...process.env, ...env, PATH: process.env.PATH },
      },
    );
    expect(stdout.trim()).toBe('ASIACREDPROCESS00001 sessionToken');
  });

  it('fails with exit 3 and a clear line when a refresh is needed and there is no terminal', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    await s.writeCredentials(longTermSection('default-long-term', user));
    await s.writeConfig(`[default]\nmfa_serial = ${user.devices![0]!.serialNumber}\n`);
    // detached: a new session, so the child has no controlling terminal, as under an SDK in CI.
    const r = await runProcess(NODE, [CLI, 'credential-process'], { env: s.env, detached: true, stdin: 'ignore' });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^aws-mfa-refresh: The MFA session needs a refresh and there is no terminal \(\/dev\/tty\)/,
    );
  });

  it('asks for the code on the controlling terminal, keeping stdout and stderr clean', async () => {
    const s = await sandbox();
    const user = newUser(emulator);
    const serial = user.devices![0]!.serialNumber;
    await s.writeCredentials(longTermSection('default-long-term', user));
    await s.writeConfig(`[default]\nmfa_serial = ${serial}\n`);
    const outFile = join(s.home, 'out.json');
    const errFile = join(s.home, 'err.txt');
    const term = spawnCli([], s.env, [
      'sh',
      '-c',
      `"${NODE}" "${CLI}" credential-process > "${outFile}" 2> "${errFile}"; echo "exit=$?"`,
    ]);
    await term.waitFor(`MFA code for ${user.userName}-phone:`);
    term.type(`${emulator.lastingCode(serial)}\r`);
    await term.waitFor(/exit=\d+/);
    expect(term.screen()).toContain('exit=0');
    const json = JSON.parse(await readFile(outFile, 'utf8'));
    expect(json.AccessKeyId).toBe(sectionOf(await s.readCredentials(), 'default')!.aws_access_key_id);
    expect(await readFile(errFile, 'utf8')).toBe('');
  });
});
