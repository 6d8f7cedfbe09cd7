/**
 * Every failure a user can meet: one line on stderr with the cause and the next step, the
 * documented exit code, the credentials file untouched, and no secret anywhere in the output,
 * even with --debug.
 */
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Emulator, Faults } from '../emulator/index.js';
import type { Sandbox } from './harness.js';
import { emulatorSuite, longTermSection, newUser } from './fixtures.js';

let emulator: Emulator;
const { sandbox } = emulatorSuite((e) => (emulator = e));

type User = ReturnType<typeof newUser>;
interface Scenario {
  name: string;
  exit: number;
  message: RegExp;
  /** Prepare files and faults; returns the CLI args. */
  setup(s: Sandbox, user: User): Promise<string[]>;
  faults?: Faults;
  devices?: number;
}

const serialOf = (u: User, i = 0) => u.devices![i]!.serialNumber;
const wrongCode = (code: string) => String((Number(code) + 500000) % 1000000).padStart(6, '0');

const SCENARIOS: Scenario[] = [
  {
    name: 'wrong code',
    exit: 4,
    message: /AWS rejected the MFA code: it is wrong, too old, or was already used\. Wait for the next code/,
    setup: async (_s, u) => ['--serial-number', serialOf(u), '--code', wrongCode(emulator.freshCode(serialOf(u)))],
  },
  {
    name: 'serial of another user',
    exit: 4,
    message:
      /could not validate the code against MFA device arn:aws:iam::123456789012:mfa\/\S+: it is not a device of this user\. Check --serial-number/,
    setup: async () => {
      const other = newUser(emulator);
      return ['--serial-number', serialOf(other), '--code', emulator.lastingCode(serialOf(other))];
    },
  },
  {
    name: 'a user ARN instead of the MFA ARN',
    exit: 2,
    message:
      /is a user ARN, not an MFA device ARN\. Give the MFA device's ARN instead, e\.g\. arn:aws:iam::123456789012:mfa\//,
    setup: async (_s, u) => ['--serial-number', `arn:aws:iam::123456789012:user/${u.userName}`, '--code', '123456'],
  },
  {
    name: 'a malformed code',
    exit: 2,
    message: /--code must be the 6 digits your MFA device shows/,
    setup: async (_s, u) => ['--serial-number', serialOf(u), '--code', '12a456'],
  },
  {
    name: 'duration out of range',
    exit: 2,
    message: /--duration is 200000 s; GetSessionToken accepts 900 to 129600 s/,
    setup: async (_s, u) => ['--serial-number', serialOf(u), '--code', '123456', '--duration', '200000'],
  },
  {
    name: 'unknown or deleted key (InvalidClientTokenId)',
    exit: 5,
    message:
      /AWS does not recognise the keys of profile "default-long-term" \(AKIA\w+\): the access key is unknown or was deleted/,
    setup: async (_s, u) => {
      emulator.deleteAccessKey(u.accessKeyId);
      return ['--serial-number', serialOf(u), '--code', '123456'];
    },
  },
  {
    name: 'wrong secret (SignatureDoesNotMatch)',
    exit: 5,
    message: /secret access key does not match the key id\. Fix aws_secret_access_key in profile "default-long-term"/,
    setup: async (s, u) => {
      await s.writeCredentials(
        longTermSection('default-long-term', { accessKeyId: u.accessKeyId, secretAccessKey: 'W'.repeat(40) }),
      );
      return ['--serial-number', serialOf(u), '--code', '123456'];
    },
  },
  {
    name: 'a stale aws_session_token in the source profile (ExpiredToken)',
    exit: 5,
    message:
      /Profile "default-long-term" holds an expired aws_session_token next to its keys\. Remove aws_session_token/,
    setup: async (s, u) => {
      // A real session that has expired: issue one, then move the emulator's clock past it.
      const { STSClient, GetSessionTokenCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: emulator.url,
        credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey },
      });
      const c = (
        await sts.send(
          new GetSessionTokenCommand({
            SerialNumber: serialOf(u),
            TokenCode: emulator.freshCode(serialOf(u)),
            DurationSeconds: 900,
          }),
        )
      ).Credentials!;
      await s.writeCredentials(
        `[default-long-term]\naws_access_key_id = ${c.AccessKeyId}\naws_secret_access_key = ${c.SecretAccessKey}\naws_session_token = ${c.SessionToken}\n`,
      );
      emulator.setFaults({ clockSkewSeconds: 1000 });
      return ['--serial-number', serialOf(u), '--code', '123456'];
    },
  },
  {
    name: 'session credentials in the source profile',
    exit: 5,
    message:
      /Profile "default-long-term" holds a session, not long-term keys: AWS says "Cannot call GetSessionToken with session credentials"/,
    setup: async (s, u) => {
      const { STSClient, GetSessionTokenCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: emulator.url,
        credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey },
      });
      const c = (
        await sts.send(
          new GetSessionTokenCommand({ SerialNumber: serialOf(u), TokenCode: emulator.freshCode(serialOf(u)) }),
        )
      ).Credentials!;
      await s.writeCredentials(
        `[default-long-term]\naws_access_key_id = ${c.AccessKeyId}\naws_secret_access_key = ${c.SecretAccessKey}\naws_session_token = ${c.SessionToken}\n`,
      );
      return ['--serial-number', serialOf(u), '--code', emulator.lastingCode(serialOf(u))];
    },
  },
  {
    name: 'ListMFADevices denied',
    exit: 5,
    message: /iam:ListMFADevices is denied\)\. Name the device with --serial-number ARN, or set mfa_serial/,
    faults: { denyListMfaDevices: true },
    setup: async () => ['--code', '123456'],
  },
  {
    name: 'throttling beyond the retries',
    exit: 6,
    message: /GetSessionToken failed: AWS is throttling requests .* Wait a minute and try again\./,
    faults: { throttle: 100 },
    setup: async (_s, u) => ['--serial-number', serialOf(u), '--code', '123456'],
  },
  {
    name: 'server errors beyond the retries',
    exit: 6,
    message: /GetSessionToken failed: AWS answered with a server error .* after retries\. Try again in a minute\./,
    faults: { serverError: 100 },
    setup: async (_s, u) => ['--serial-number', serialOf(u), '--code', '123456'],
  },
  {
    name: 'a server that never answers (--timeout)',
    exit: 6,
    message:
      /GetSessionToken failed: no answer from the STS endpoint http:\/\/127\.0\.0\.1:\d+ within 2 s\. .*--timeout raises the limit/,
    faults: { hang: true },
    setup: async (_s, u) => ['--serial-number', serialOf(u), '--code', '123456', '--timeout', '2s'],
  },
  {
    name: 'connection refused',
    exit: 6,
    message: /GetSessionToken failed: connection refused by the STS endpoint http:\/\/127\.0\.0\.1:9\./,
    setup: async (_s, u) => [
      '--serial-number',
      serialOf(u),
      '--code',
      '123456',
      '--endpoint-url',
      'http://127.0.0.1:9',
    ],
  },
  {
    name: 'DNS failure',
    exit: 6,
    message:
      /GetSessionToken failed: cannot resolve sts\.nowhere\.invalid, the host of the STS endpoint http:\/\/sts\.nowhere\.invalid\./,
    setup: async (_s, u) => [
      '--serial-number',
      serialOf(u),
      '--code',
      '123456',
      '--endpoint-url',
      'http://sts.nowhere.invalid',
    ],
  },
];

/** Every file under HOME (credentials, config, state), for the secret scan. */
async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else if (entry.isFile() && !/credentials$/.test(entry.name)) out.push(path);
  }
  return out;
}

describe('AWS and network failures', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: exit ${scenario.exit}, one line, nothing written, nothing secret`, async () => {
      const s = await sandbox();
      const user = newUser(emulator, scenario.devices ?? 1);
      await s.writeCredentials(longTermSection('default-long-term', user));
      try {
        const args = await scenario.setup(s, user);
        if (scenario.faults) emulator.setFaults(scenario.faults);
        const before = await s.readCredentials();
        const sessionsBefore = emulator.sessions.length;
        for (const debug of [false, true]) {
          const r = await s.run(debug ? [...args, '--debug'] : args, { timeoutMs: 30000 });
          expect(r.code, r.stderr).toBe(scenario.exit);
          expect(r.stdout).toBe('');
          const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('[debug') && !/^\s+at /.test(l));
          expect(lines, r.stderr).toHaveLength(1);
          expect(lines[0]).toMatch(/^aws-mfa-refresh: /);
          expect(lines[0]).toMatch(scenario.message);
          expect(await s.readCredentials()).toBe(before);
          // No secret in any output or file: the long-term secret, and any session issued meanwhile.
          const secrets = [
            user.secretAccessKey,
            'W'.repeat(40),
            ...emulator.sessions.flatMap((x) => [x.secretAccessKey, x.sessionToken]),
          ];
          const files = await Promise.all((await allFiles(s.home)).map((f) => readFile(f, 'latin1')));
          for (const text of [r.stdout, r.stderr, ...files])
            for (const secret of secrets) expect(text.includes(secret)).toBe(false);
        }
        expect(emulator.sessions.length - sessionsBefore).toBe(0);
      } finally {
        emulator.setFaults({});
      }
    });
  }
});
