/**
 * Issue 10, item 8: messages that name the right cause. Each failure is one line on stderr, with
 * the cause as `doctor` would name it, the documented exit code, and the next step.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Emulator } from '../emulator/index.js';
import { CLI, runProcess, type Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

/** One line on stderr, nothing on stdout, no stack trace. */
function expectOneLine(r: { stdout: string; stderr: string }) {
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |TypeError|\(outputHelp\)/);
}

async function withKeys(): Promise<{ s: Sandbox; serial: string; user: ReturnType<typeof newUser> }> {
  const s = await sandbox();
  const user = newUser(emulator);
  await s.writeCredentials(longTermSection('default-long-term', user));
  return { s, user, serial: user.devices![0]!.serialNumber };
}

describe('the cause AWS gave, as doctor names it', () => {
  it('a stale aws_session_token next to good long-term keys: refresh says what doctor says, not "rotate your key"', async () => {
    const { s, user, serial } = await withKeys();
    await s.writeCredentials(`${longTermSection('default-long-term', user)}aws_session_token = FQoGZXIvYXdzEOLD\n`);
    const r = await s.run(['--serial-number', serial, '--code', emulator.lastingCode(serial)]);
    expect(r.code).toBe(5);
    expectOneLine(r);
    expect(r.stderr).not.toMatch(/unknown or was deleted/);
    expect(r.stderr).toMatch(
      /with the aws_session_token next to them: long-term keys take no token, so it is stale\. Remove aws_session_token from \[default-long-term\]/,
    );

    const d = await s.run(['doctor', '--json']);
    const keys = (JSON.parse(d.stdout) as { checks: { id: string; message: string; hint?: string }[] }).checks.find(
      (c) => c.id === 'keys',
    )!;
    // The same words: the refresh's line is the doctor's message and hint.
    expect(r.stderr).toBe(`aws-mfa-refresh: ${keys.message} ${keys.hint}\n`);
  });

  it('ListMFADevices denied in `devices`: the hint does not send the user to --serial-number, which devices lacks', async () => {
    const { s } = await withKeys();
    emulator.setFaults({ denyListMfaDevices: true });
    try {
      const r = await s.run(['devices']);
      expect(r.code).toBe(5);
      expectOneLine(r);
      expect(r.stderr).toMatch(/iam:ListMFADevices is denied/);
      expect(r.stderr).not.toContain('--serial-number');
    } finally {
      emulator.setFaults({});
    }
  });
});

describe('the host that failed', () => {
  it('a dead HTTPS_PROXY: names the proxy and its variable, not AWS', async () => {
    const { s, serial } = await withKeys();
    // The real STS endpoint (https), reached only through the dead proxy: nothing leaves the machine.
    const r = await s.run(['--serial-number', serial, '--code', '123456'], {
      env: { AWS_ENDPOINT_URL: undefined, HTTPS_PROXY: 'http://127.0.0.1:9' },
    });
    expect(r.code).toBe(6);
    expectOneLine(r);
    expect(r.stderr).toMatch(
      /GetSessionToken failed: connection refused by the proxy http:\/\/127\.0\.0\.1:9 \(HTTPS_PROXY\) on the way to the STS endpoint https:\/\/sts\.us-east-1\.amazonaws\.com\. Check that the proxy is running, or fix HTTPS_PROXY/,
    );
  });

  it('only AWS_ENDPOINT_URL_STS set, `devices` (offline): names the IAM endpoint that failed, not the STS one', async () => {
    const { s } = await withKeys();
    // An offline machine, whatever this one's network: names under amazonaws.com do not resolve.
    const offline = join(s.home, 'offline.mjs');
    await writeFile(
      offline,
      `import dns from 'node:dns';
const lookup = dns.lookup;
dns.lookup = function (host, opts, cb) {
  if (!/amazonaws\\.com$/.test(host)) return lookup.apply(this, arguments);
  const done = typeof opts === 'function' ? opts : cb;
  const e = Object.assign(new Error('getaddrinfo ENOTFOUND ' + host), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host });
  process.nextTick(done, e);
};
`,
    );
    const r = await s.run(['devices'], {
      env: {
        AWS_ENDPOINT_URL: undefined,
        AWS_ENDPOINT_URL_STS: s.env.AWS_ENDPOINT_URL,
        NODE_OPTIONS: `--import ${offline}`,
      },
    });
    expect(r.code).toBe(6);
    expectOneLine(r);
    expect(r.stderr).toMatch(
      /ListMFADevices failed: cannot resolve iam\.amazonaws\.com, the host of the IAM endpoint https:\/\/iam\.amazonaws\.com\. AWS_ENDPOINT_URL_STS applies to STS only: set AWS_ENDPOINT_URL_IAM/,
    );
    expect(r.stderr).not.toContain('127.0.0.1');
  });
});

describe('usage errors: exit 2, one line', () => {
  it('--endpoint-url notaurl, --region "moon 1", --timeout 0 and a bad AWS_REGION', async () => {
    const { s, serial } = await withKeys();
    const before = await s.readCredentials();
    const calls = emulator.countRequests('GetSessionToken');
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--endpoint-url', 'notaurl'], {}, /--endpoint-url "notaurl" is not an http:\/\/ or https:\/\/ URL/],
      [['--region', 'moon 1'], {}, /--region "moon 1" is not a region/],
      [['--timeout', '0'], {}, /--timeout must be more than 0/],
      [[], { AWS_REGION: 'moon 1' }, /AWS_REGION "moon 1" is not a region/],
    ];
    for (const [args, env, message] of cases) {
      const r = await s.run(['--serial-number', serial, '--code', '123456', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLine(r);
      expect(r.stderr).toMatch(message);
    }
    for (const command of ['devices', 'doctor']) {
      const r = await s.run([command, '--endpoint-url', 'notaurl']);
      expect(r.code, command).toBe(2);
      expect(r.stderr).toMatch(/--endpoint-url "notaurl" is not an http:\/\/ or https:\/\/ URL/);
    }
    expect(await s.readCredentials()).toBe(before);
    expect(emulator.countRequests('GetSessionToken')).toBe(calls);
  });

  it('a mistyped command, `help nosuch`, and a subcommand error pointing to its own --help', async () => {
    const s = await sandbox();
    const typo = await s.run(['statuss']);
    expect(typo.code).toBe(2);
    expectOneLine(typo);
    expect(typo.stderr).toMatch(/^aws-mfa-refresh: unknown command 'statuss' \(did you mean status\?\)/);

    const help = await s.run(['help', 'nosuch']);
    expect(help.code).toBe(2);
    expectOneLine(help);
    expect(help.stderr).toMatch(/^aws-mfa-refresh: unknown command 'nosuch'\. Run aws-mfa-refresh --help/);

    const sub = await s.run(['status', '--bogus']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown option '--bogus'\. Run aws-mfa-refresh status --help for usage\.\n$/);
  });
});

describe('one time format in human output', () => {
  it('an expired session: status and env say local time and how long ago, never a raw ISO timestamp', async () => {
    const s = await sandbox();
    const expired = new Date(Date.now() - 2 * 3600_000);
    const issued = new Date(expired.getTime() - 12 * 3600_000);
    await s.writeCredentials(
      `[default]\naws_access_key_id = ASIAEXPIRED\naws_secret_access_key = s\naws_session_token = t\nexpiration = ${expired.toISOString()}\nmfa_issued = ${issued.toISOString()}\n`,
    );
    const status = await s.run(['status']);
    expect(status.code).toBe(1);
    const env = await s.run(['env']);
    expect(env.code).toBe(1);
    for (const out of [status.stdout, env.stderr]) {
      expect(out).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
      expect(out).toMatch(/no longer usable since (\d{4}-\d\d-\d\d )?\d\d:\d\d \(2h 0m ago\)/);
    }
    // JSON keeps ISO 8601 UTC.
    const json = await s.run(['status', '--json']);
    expect(JSON.parse(json.stdout).usableUntil).toBe(expired.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });
});

describe('messages about the target profile', () => {
  it('long-term keys in a target chosen by AWS_PROFILE: says it came from there, and points to setup', async () => {
    const { s, user, serial } = await withKeys();
    await s.writeCredentials(longTermSection('work', user));
    const r = await s.run(['--serial-number', serial, '--code', '123456'], { env: { AWS_PROFILE: 'work' } });
    expect(r.code).toBe(5);
    expectOneLine(r);
    expect(r.stderr).toMatch(
      /Profile "work" \(from AWS_PROFILE\) in \S+ holds long-term keys; .*Run aws-mfa-refresh setup --profile work to move them to \[work-long-term\]/,
    );

    // env with no session: the message names where the profile came from too.
    const env = await s.run(['env'], { env: { AWS_PROFILE: 'dev' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/profile "dev" \(from AWS_PROFILE\) holds no MFA session/i);
  });
});

describe('zsh completion', () => {
  it('loaded in real zsh, the command descriptions keep quotes, $ and parentheses', async () => {
    const s = await sandbox();
    const bin = join(s.home, 'bin');
    await mkdir(bin);
    await symlink(CLI, join(bin, 'aws-mfa-refresh'));
    // _describe stubbed after loading: print what the completion offers, as zsh parsed it.
    const script = `autoload -U compinit && compinit -u && source <(aws-mfa-refresh completion zsh)
_describe() { print -rl -- \${(P)2} }
words=(aws-mfa-refresh ''); CURRENT=2; _aws_mfa_refresh
compadd() { shift; print -r -- "flags: $*" }
words=(aws-mfa-refresh devices -); CURRENT=3; _aws_mfa_refresh`;
    const out = await runProcess('zsh', ['-f', '-c', script], {
      env: { ...s.env, PATH: `${bin}:${process.env.PATH}` },
      stdin: 'open',
    });
    expect(out.stderr).toBe('');
    const lines = out.stdout.split('\n');
    expect(lines).toContain(`devices:list the caller's MFA devices, marking the one remembered in ~/.aws/config`);
    expect(lines).toContain('env:print the session as environment variables, for eval "$(aws-mfa-refresh env)"');
    const flags = lines.find((l) => l.startsWith('flags: '))!;
    expect(flags).toContain('--source-profile');
    expect(flags).not.toContain('--serial-number');
  });
});
