/**
 * Concurrency: many real CLI processes refreshing at the same moment against the emulator.
 *
 * - 20 refreshes of 20 different profiles in one credentials file (10 that hold an old session in
 *   the middle of the file, 10 new ones): all 20 sessions end up there and work (GetCallerIdentity
 *   with each), no update is lost, both readers parse the file, every other byte is unchanged; the
 *   config file gets each new profile's region the same way.
 * - Two refreshes of the same profile at once with different devices: both succeed (or one fails
 *   cleanly) and the profile holds one complete session, never keys of one and a token of the other.
 *
 * Each run holds its lock 25 ms longer (the pause hook at `locked`) so that the runs really queue.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type IssuedSession } from '../emulator/index.js';
import { longTermSection, newUser } from '../e2e/fixtures.js';
import { makeSandbox, type Sandbox } from '../e2e/harness.js';
import { IniDocument } from '../../src/profiles/ini-document.js';
import {
  botocoreAvailable,
  isoSeconds,
  keptLinesProblems,
  leftovers,
  outside,
  readWithBotocore,
  readWithSdk,
  refreshProblems,
  sessionProblems,
  sessionValues,
  spawnCli,
  type ExpectedSession,
} from './support.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const HOLD = { AWS_MFA_REFRESH_TEST_PAUSE: 'locked', AWS_MFA_REFRESH_TEST_PAUSE_MS: '25' };

let emulator: Emulator;
let scratch: string;
const sandboxes: Sandbox[] = [];
beforeAll(async () => {
  emulator = await startEmulator();
  scratch = await mkdtemp(join(tmpdir(), 'amr-concurrency-'));
});
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  if (scratch) await rm(scratch, { recursive: true, force: true });
  await emulator?.close();
});

async function sandbox(): Promise<Sandbox> {
  const s = await makeSandbox(emulator.url);
  sandboxes.push(s);
  mkdirSync(join(s.home, '.aws'), { mode: 0o700 });
  return s;
}

function expectedFrom(s: IssuedSession): ExpectedSession {
  return {
    aws_access_key_id: s.accessKeyId,
    aws_secret_access_key: s.secretAccessKey,
    aws_session_token: s.sessionToken,
    expiration: isoSeconds(s.expiration),
    mfa_device: s.serialNumber,
  };
}

/** stderr without the pause hook's own lines. */
const realStderr = (text: string) =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('paused:'))
    .join('\n');

const OLD =
  'aws_access_key_id = ASIAOLDSESSION000001\naws_secret_access_key = oldSecret\naws_session_token = oldToken==\nexpiration = 2020-01-01T00:00:00Z\n';

describe('concurrent refreshes, real processes', () => {
  it('20 profiles refreshed at once: all 20 sessions are there and work, nothing else moved', async () => {
    const s = await sandbox();
    const n = 20;
    const users = Array.from({ length: n }, () => newUser(emulator));
    const profiles = users.map((_, i) => `p${String(i).padStart(2, '0')}`);
    // Half the targets hold an old session between neighbours; half are new.
    let text =
      '# shared by 20 refreshes\r\n[personal]\naws_access_key_id = AKIAPERSONAL00000001\naws_secret_access_key = personalSecret ; keep\n\n';
    profiles.forEach((p, i) => {
      if (i % 2 === 0)
        text += `[${p}]\n# ${p}'s session\n${OLD}region = eu-west-${(i % 3) + 1}\n\n[n${i}]\nregion = us-east-1\n\n`;
    });
    users.forEach((u, i) => (text += `${longTermSection(`${profiles[i]}-long-term`, u)}\n`));
    text += '[tail]\noutput = json';
    const before = Buffer.from(text, 'latin1');
    writeFileSync(s.credentials, before, { mode: 0o600 });
    const configBefore = profiles.map((p) => `[profile ${p}-long-term]\nregion = eu-west-1\n`).join('\n');
    writeFileSync(s.config, configBefore, { mode: 0o600 });

    const children = users.map((u, i) => {
      const serial = u.devices![0]!.serialNumber;
      return spawnCli(['--profile', profiles[i]!, '--serial-number', serial, '--code', emulator.lastingCode(serial)], {
        ...s.env,
        ...HOLD,
      });
    });
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(
      exits.map((e) => e.code),
      children.map((c) => realStderr(c.stderr)).join('\n'),
    ).toEqual(Array(n).fill(0));
    for (const c of children) expect(realStderr(c.stderr)).toBe('');
    expect(leftovers(join(s.home, '.aws'))).toEqual([]);

    const after = readFileSync(s.credentials);
    expect(() => IniDocument.parse(after.toString('latin1'))).not.toThrow();
    // Outside the 20 sections: the old bytes; the last line (no newline) gets the file's first
    // line ending (CRLF), then one blank line comes before the first new section.
    expect(outside(after, profiles).toString('latin1')).toBe(outside(before, profiles).toString('latin1') + '\r\n\r\n');
    const sdk = await readWithSdk(s.credentials);
    for (const [i, p] of profiles.entries()) {
      const issued = emulator.sessions.filter((x) => x.userName === users[i]!.userName);
      expect(issued).toHaveLength(1);
      const expected = expectedFrom(issued[0]!);
      expect(sessionProblems(after, p, expected), p).toEqual([]);
      if (i % 2 === 0) expect(keptLinesProblems(before, after, p), p).toEqual([]);
      expect(sdk[p]?.aws_session_token, p).toBe(expected.aws_session_token);
      expect(sdk[`${p}-long-term`]?.aws_access_key_id).toBe(users[i]!.accessKeyId);
    }
    expect(sdk.personal).toEqual({
      aws_access_key_id: 'AKIAPERSONAL00000001',
      aws_secret_access_key: 'personalSecret',
    });
    expect(sdk.tail).toEqual({ output: 'json' });

    // Every session works.
    const arns = await Promise.all(
      profiles.map(async (p) => {
        const v = sdk[p] as Record<string, string>;
        const client = new STSClient({
          region: 'us-east-1',
          endpoint: emulator.url,
          credentials: {
            accessKeyId: v.aws_access_key_id!,
            secretAccessKey: v.aws_secret_access_key!,
            sessionToken: v.aws_session_token!,
          },
        });
        return (await client.send(new GetCallerIdentityCommand({}))).Arn;
      }),
    );
    expect(arns).toEqual(users.map((u) => `arn:aws:iam::123456789012:user/${u.userName}`));

    // botocore reads all 20 as well.
    if (await botocoreAvailable()) {
      const b = await readWithBotocore(profiles.map((p) => ({ id: p, path: s.credentials, profile: p })));
      for (const p of profiles)
        expect(b[p]!.credentials, p).toMatchObject({
          access_key: (sdk[p] as Record<string, string>).aws_access_key_id,
        });
    }

    // The config file: each new profile got its source's region, under its own lock; no update lost.
    const config = readFileSync(s.config);
    const configSections = profiles.map((p) => `profile ${p}`);
    expect(outside(config, configSections).toString('latin1')).toBe(`${configBefore}\n`);
    const doc = IniDocument.parse(config.toString('latin1'));
    for (const p of profiles) expect(doc.entries(`profile ${p}`), p).toEqual({ region: 'eu-west-1' });
  }, 60_000);

  it('two refreshes of the same profile at once (two devices): one whole session wins, never a mix', async () => {
    const rounds = 12;
    const summary = { bothOk: 0, oneFailed: 0, firstWon: 0, secondWon: 0 };
    for (let round = 0; round < rounds; round++) {
      const s = await sandbox();
      const user = newUser(emulator, 2);
      const serials = user.devices!.map((d) => d.serialNumber);
      const withOld = round % 2 === 0;
      const before = Buffer.from(
        `${longTermSection('work-long-term', user)}\n${withOld ? `[work]\nregion = eu-west-1\n${OLD}\n` : ''}[tail]\nregion = us-east-1\n`,
        'latin1',
      );
      writeFileSync(s.credentials, before, { mode: 0o600 });
      const children = serials.map((serial) =>
        spawnCli(['--profile', 'work', '--serial-number', serial, '--code', emulator.lastingCode(serial), '--force'], {
          ...s.env,
          ...HOLD,
        }),
      );
      const exits = await Promise.all(children.map((c) => c.exited));
      const after = readFileSync(s.credentials);
      expect(() => IniDocument.parse(after.toString('latin1'))).not.toThrow();
      expect(leftovers(join(s.home, '.aws'))).toEqual([]);

      const issued = emulator.sessions.filter((x) => x.userName === user.userName);
      const ok = exits.filter((e) => e.code === 0).length;
      expect(ok, children.map((c) => realStderr(c.stderr)).join('\n')).toBeGreaterThanOrEqual(1);
      if (ok === 2) summary.bothOk++;
      else {
        summary.oneFailed++;
        const failed = children[exits.findIndex((e) => e.code !== 0)]!;
        expect(realStderr(failed.stderr), 'a clean one-line failure').toMatch(/^aws-mfa-refresh: [^\n]+$/);
      }
      // The profile holds exactly one of the issued sessions, whole: key id, secret, token,
      // expiration and device all from the same GetSessionToken answer.
      const values = sessionValues(after, 'work');
      const winner = issued.find((x) => x.accessKeyId === values.aws_access_key_id);
      expect(winner, 'the access key id is one the emulator issued').toBeDefined();
      expect(refreshProblems(before, after, 'work', expectedFrom(winner!))).toEqual([]);
      if (winner!.serialNumber === serials[0]) summary.firstWon++;
      else summary.secondWon++;
      const sdk = (await readWithSdk(s.credentials)).work!;
      expect(sdk.aws_session_token).toBe(winner!.sessionToken);
      expect(sdk.mfa_device).toBe(winner!.serialNumber);
    }
    console.log(`same profile, ${rounds} rounds of 2 at once: ${JSON.stringify(summary)}`);
    expect(summary.bothOk + summary.oneFailed).toBe(rounds);
  }, 120_000);
});
