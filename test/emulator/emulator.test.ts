/**
 * Drives the emulator with the real AWS SDK v3 clients (and, where the SDK cannot express a
 * request, with requests signed by the SDK's own SigV4 signer) so the wire behaviour is checked
 * end to end.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { request as httpRequest } from 'node:http';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
  type AssumeRoleCommandInput,
  type GetSessionTokenCommandInput,
} from '@aws-sdk/client-sts';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { fromIni } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  startEmulator,
  totp,
  randomSeed,
  base32Encode,
  base32Decode,
  trustPolicy,
  parseTrustPolicy,
  evaluate,
  type Emulator,
  type RequestContext,
  type UserSpec,
} from './index.js';
import { totpAtStep, totpStep } from './totp.js';
import {
  canonicalQuery,
  formatAmzDate,
  headerMap,
  parseAuthorization,
  uriEncode,
  verifySignature,
  sha256Hex,
} from './sigv4.js';
import { escapeXml } from './xml.js';

// --- fixtures ------------------------------------------------------------------------------------

const ACCOUNT = '123456789012';
const ALICE_SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/alice`;
const ALICE_SERIAL_2 = `arn:aws:iam::${ACCOUNT}:mfa/alice-backup`;
const BOB_SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/bob`;
const alice: UserSpec = {
  userName: 'alice',
  accessKeyId: 'AKIAALICE00000000001',
  secretAccessKey: 'aliceSecretKey/+aaaaaaaaaaaaaaaaaaaaaaaaaa'.slice(0, 40),
  devices: [
    { serialNumber: ALICE_SERIAL, seed: randomSeed(), enableDate: new Date('2024-05-06T07:08:09Z') },
    { serialNumber: ALICE_SERIAL_2, seed: randomSeed() },
  ],
};
const bob: UserSpec = {
  userName: 'bob',
  path: '/eng/',
  accountId: '210987654321',
  accessKeyId: 'AKIABOB0000000000001',
  secretAccessKey: 'b'.repeat(40),
  devices: [{ serialNumber: BOB_SERIAL, seed: randomSeed() }],
};

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
const keysOf = (u: UserSpec): Creds => ({ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey });

let emu: Emulator;

function sts(creds: Creds, extra: Record<string, unknown> = {}): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: emu.url, credentials: creds, maxAttempts: 1, ...extra });
}
function iam(creds: Creds, extra: Record<string, unknown> = {}): IAMClient {
  return new IAMClient({ region: 'us-east-1', endpoint: emu.url, credentials: creds, maxAttempts: 1, ...extra });
}

/** Awaits a promise expected to reject and returns the error. */
async function failure(p: Promise<unknown>): Promise<{
  name: string;
  message: string;
  $fault?: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
}> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

/** Puts the server clock 10 s into a TOTP step, so step arithmetic in a test cannot straddle a boundary. */
function pinMidStep(): void {
  const into = Date.now() % 30_000;
  emu.setFaults({ clockSkewSeconds: (10_000 - into) / 1000 });
}

let userCount = 0;
/**
 * A new user with one MFA device. Each device only has three codes per 30 s window (and a used
 * code is refused), so tests that mint sessions get their own device.
 */
function freshUser(): UserSpec & { serial: string; devices: { serialNumber: string; seed: string }[] } {
  userCount += 1;
  const n = String(userCount).padStart(4, '0');
  const serial = `arn:aws:iam::${ACCOUNT}:mfa/user${n}`;
  const spec = {
    userName: `user${n}`,
    accessKeyId: `AKIATESTUSER0000${n}`,
    secretAccessKey: `secret${n}`.padEnd(40, 'x'),
    devices: [{ serialNumber: serial, seed: randomSeed() }],
  };
  emu.addUser(spec);
  return { ...spec, serial };
}

async function mfaSession(durationSeconds = 900): Promise<Creds> {
  const user = freshUser();
  const out = await sts(keysOf(user)).send(
    new GetSessionTokenCommand({
      SerialNumber: user.serial,
      TokenCode: emu.freshCode(user.serial),
      DurationSeconds: durationSeconds,
    }),
  );
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** SHA-256 for the SDK's SignatureV4 signer, on node:crypto. */
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}
function toBytes(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawPost(path: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
  const u = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST signed by the SDK's own SigV4 signer, for requests the typed clients cannot make. */
async function signedPost(
  body: string,
  opts: { creds?: Creds; service?: string; path?: string; query?: Record<string, string>; signingDate?: Date } = {},
): Promise<RawResponse> {
  const u = new URL(emu.url);
  const signer = new SignatureV4({
    credentials: opts.creds ?? keysOf(alice),
    region: 'us-east-1',
    service: opts.service ?? 'sts',
    sha256: NodeSha256 as never,
    uriEscapePath: true,
  });
  const path = opts.path ?? '/';
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path,
      query: opts.query ?? {},
      headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    },
    { signingDate: opts.signingDate ?? new Date() },
  );
  const qs = Object.entries(opts.query ?? {})
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  return rawPost(qs ? `${path}?${qs}` : path, signed.headers as Record<string, string>, body);
}

beforeAll(async () => {
  emu = await startEmulator({ users: [alice, bob] });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  emu.setFaults({});
});

// --- TOTP ----------------------------------------------------------------------------------------

describe('totp', () => {
  // RFC 6238 appendix B, SHA-1, seed "12345678901234567890" (ASCII).
  const rfcSeed = base32Encode(Buffer.from('12345678901234567890', 'ascii'));
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('RFC 6238 SHA-1 vector at T=%i', (seconds, expected) => {
    expect(totp(rfcSeed, seconds * 1000, { digits: 8 })).toBe(expected);
    // 6-digit codes are the same truncated value mod 10^6.
    expect(totp(rfcSeed, seconds * 1000)).toBe(expected.slice(2));
  });

  it('base32 round-trips and matches RFC 4648 vectors', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded).toString()).toBe(plain);
    }
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZ1')).toThrow(/invalid base32/);
    const seed = randomSeed();
    expect(seed).toMatch(/^[A-Z2-7]{64}$/);
    expect(base32Encode(base32Decode(seed))).toBe(seed);
  });
});

// --- SigV4 verifier against the SDK's signer -----------------------------------------------------

describe('sigv4 verifier', () => {
  it('accepts what @smithy/signature-v4 signs, including odd paths, queries and headers, and rejects tampering', async () => {
    const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const signer = new SignatureV4({
      credentials: creds,
      region: 'eu-west-1',
      service: 'iam',
      sha256: NodeSha256 as never,
      uriEscapePath: true,
    });
    const body = 'Action=GetUser&Version=2010-05-08';
    const query = { 'b key': 'v/1', a: 'x y*', Zed: '' };
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: 'example.test',
        path: '/a%20b/c%25d', // the SDK's request path is the on-the-wire (encoded) path
        query,
        headers: {
          host: 'example.test',
          'x-custom': '  spaced   out  value ',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      },
      { signingDate: new Date('2026-11-27T19:01:23Z') },
    );
    const headers = signed.headers as Record<string, string>;
    const auth = parseAuthorization(headers.authorization!);
    if ('code' in auth) throw new Error(auth.message);
    expect(auth).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', date: '20261127', region: 'eu-west-1', service: 'iam' });
    const rawHeaders = Object.entries(headers).flat();
    // On the wire the path is percent-encoded once; the verifier encodes it a second time.
    const wirePath = '/a%20b/c%25d';
    const wireQuery = Object.entries(query)
      .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
      .join('&');
    const base = {
      method: 'POST',
      rawPath: wirePath,
      rawQuery: wireQuery,
      headers: headerMap(rawHeaders),
      payloadHash: sha256Hex(body),
      auth,
      amzDate: '20261127T190123Z',
      secretAccessKey: creds.secretAccessKey,
    };
    expect(verifySignature(base)).toBe(true);
    expect(verifySignature({ ...base, secretAccessKey: 'x' + creds.secretAccessKey.slice(1) })).toBe(false);
    expect(verifySignature({ ...base, payloadHash: sha256Hex(body + 'x') })).toBe(false);
    expect(verifySignature({ ...base, rawQuery: wireQuery + '&extra=1' })).toBe(false);
    expect(canonicalQuery('b=2&a=2&a=1')).toBe('a=1&a=2&b=2');
    expect(formatAmzDate(Date.UTC(2026, 10, 27, 19, 1, 23))).toBe('20261127T190123Z');
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });

  it('the server accepts SDK-signed requests with a non-root path and a query string', async () => {
    const res = await signedPost('Action=GetCallerIdentity&Version=2011-06-15', {
      path: '/some%20path/x.y',
      query: { 'q 1': 'a/b', z: '' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain(`<Arn>arn:aws:iam::${ACCOUNT}:user/alice</Arn>`);
  });
});

// --- the happy path ------------------------------------------------------------------------------

describe('GetSessionToken and session credentials', () => {
  it('issues MFA session credentials that work for GetCallerIdentity and IAM', async () => {
    const before = emu.requests.length;
    const code = emu.freshCode(ALICE_SERIAL);
    const started = emu.now();
    const out = await sts(keysOf(alice)).send(
      new GetSessionTokenCommand({ SerialNumber: ALICE_SERIAL, TokenCode: code, DurationSeconds: 3600 }),
    );
    expect(emu.freshCode(ALICE_SERIAL)).not.toBe(code);
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c.SecretAccessKey).toHaveLength(40);
    expect(c.SessionToken!.length).toBeGreaterThan(300);
    expect(c.Expiration).toBeInstanceOf(Date);
    expect(Math.abs(c.Expiration!.getTime() - (started + 3600_000))).toBeLessThan(2000);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const issued = emu.sessions.at(-1)!;
    expect(issued).toEqual({
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
      userName: 'alice',
      serialNumber: ALICE_SERIAL,
    });
    const rec = emu.requests[before]!;
    expect(rec).toMatchObject({
      service: 'sts',
      action: 'GetSessionToken',
      accessKeyId: alice.accessKeyId,
      status: 200,
    });
    expect(rec.params).toMatchObject({
      SerialNumber: ALICE_SERIAL,
      TokenCode: code,
      DurationSeconds: '3600',
      Version: '2011-06-15',
    });
    expect(typeof rec.receivedHr).toBe('bigint');
    expect(Math.abs(rec.receivedAt - Date.now())).toBeLessThan(5000);

    const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const longTermId = await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}));
    const id = await sts(session).send(new GetCallerIdentityCommand({}));
    // GetSessionToken sessions act as the IAM user: same ARN and user id as the long-term keys.
    expect(id.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(id.Account).toBe(ACCOUNT);
    expect(id.UserId).toMatch(/^AIDA[A-Z0-9]{17}$/);
    expect(id.UserId).toBe(longTermId.UserId);
    expect(emu.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', accessKeyId: c.AccessKeyId, status: 200 });

    const user = await iam(session).send(new GetUserCommand({}));
    expect(user.User).toMatchObject({ UserName: 'alice', Path: '/', Arn: id.Arn, UserId: id.UserId });
    expect(user.User!.CreateDate).toBeInstanceOf(Date);
  });

  it('defaults DurationSeconds to 43200 and works without MFA (but IAM refuses such sessions)', async () => {
    const started = emu.now();
    const out = await sts(keysOf(alice)).send(new GetSessionTokenCommand({}));
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - (started + 43_200_000))).toBeLessThan(2000);
    expect(emu.sessions.at(-1)!.serialNumber).toBe('');
    const c = out.Credentials!;
    const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    expect((await sts(session).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    const err = await failure(iam(session).send(new GetUserCommand({})));
    expect(err.name).toBe('InvalidClientTokenId');
  });

  it('reports user paths and other accounts in ARNs', async () => {
    const id = await sts(keysOf(bob)).send(new GetCallerIdentityCommand({}));
    expect(id.Arn).toBe('arn:aws:iam::210987654321:user/eng/bob');
    expect(id.Account).toBe('210987654321');
    const user = await iam(keysOf(bob)).send(new GetUserCommand({}));
    expect(user.User).toMatchObject({ Path: '/eng/', UserName: 'bob', Arn: id.Arn });
  });

  it('lists MFA devices (with and without UserName, paginated with MaxItems/Marker)', async () => {
    const all = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ UserName: 'alice' }));
    expect(all.IsTruncated).toBe(false);
    expect(all.MFADevices).toEqual([
      { UserName: 'alice', SerialNumber: ALICE_SERIAL, EnableDate: new Date('2024-05-06T07:08:09Z') },
      { UserName: 'alice', SerialNumber: ALICE_SERIAL_2, EnableDate: expect.any(Date) },
    ]);
    const implicit = await iam(keysOf(alice)).send(new ListMFADevicesCommand({}));
    expect(implicit.MFADevices!.map((d) => d.SerialNumber)).toEqual([ALICE_SERIAL, ALICE_SERIAL_2]);
    expect(emu.requests.at(-1)).toMatchObject({ service: 'iam', action: 'ListMFADevices', status: 200 });

    const page1 = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ MaxItems: 1 }));
    expect(page1.IsTruncated).toBe(true);
    expect(page1.MFADevices!.map((d) => d.SerialNumber)).toEqual([ALICE_SERIAL]);
    const page2 = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ MaxItems: 1, Marker: page1.Marker! }));
    expect(page2.IsTruncated).toBe(false);
    expect(page2.MFADevices!.map((d) => d.SerialNumber)).toEqual([ALICE_SERIAL_2]);

    const missing = await failure(iam(keysOf(alice)).send(new ListMFADevicesCommand({ UserName: 'nobody' })));
    // The wire code is NoSuchEntity; the IAM SDK maps it to its modelled NoSuchEntityException.
    expect(missing.name).toBe('NoSuchEntityException');
    expect((missing as unknown as { Error: { Code: string } }).Error.Code).toBe('NoSuchEntity');
    expect(missing.message).toBe('The user with name nobody cannot be found.');
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });

  it('is reachable through AWS_ENDPOINT_URL without an explicit endpoint', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = emu.url;
    try {
      const s = new STSClient({ region: 'us-east-1', credentials: keysOf(alice), maxAttempts: 1 });
      const i = new IAMClient({ region: 'us-east-1', credentials: keysOf(alice), maxAttempts: 1 });
      expect((await s.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
      expect((await i.send(new GetUserCommand({}))).User!.UserName).toBe('alice');
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('answers with AWS wire headers and XML shapes', async () => {
    const ok = await signedPost('Action=GetCallerIdentity&Version=2011-06-15');
    expect(ok.headers['content-type']).toBe('text/xml');
    expect(ok.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.body).toMatch(/^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(ok.body).toContain(`<RequestId>${ok.headers['x-amzn-requestid']}</RequestId>`);

    const iamErr = await signedPost('Action=Nope&Version=2010-05-08', { service: 'iam' });
    expect(iamErr.status).toBe(400);
    expect(iamErr.body).toMatch(/^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/">/);
    expect(iamErr.body).toMatch(
      /<Error>\s*<Type>Sender<\/Type>\s*<Code>InvalidAction<\/Code>\s*<Message>Could not find operation Nope for version 2010-05-08<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>/,
    );

    const unsigned = await rawPost(
      '/',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Action=GetCallerIdentity&Version=2011-06-15',
    );
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain('<Code>MissingAuthenticationToken</Code>');

    emu.setFaults({ clockSkewSeconds: -3600 });
    const skewed = await signedPost('Action=GetCallerIdentity&Version=2011-06-15', {
      signingDate: new Date(Date.now() - 3600_000),
    });
    expect(skewed.status).toBe(200);
    expect(Math.abs(Date.parse(String(skewed.headers.date)) - (Date.now() - 3600_000))).toBeLessThan(3000);
  });
});

// --- authentication errors -----------------------------------------------------------------------

describe('authentication errors', () => {
  it('unknown access key → InvalidClientTokenId', async () => {
    const err = await failure(
      sts({ accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x'.repeat(40) }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(err.name).toBe('InvalidClientTokenId');
    expect(err.message).toBe('The security token included in the request is invalid.');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.$fault).toBe('client');
    expect(emu.requests.at(-1)).toMatchObject({ accessKeyId: 'AKIANOBODY0000000000', status: 403 });
  });

  it('wrong secret → SignatureDoesNotMatch', async () => {
    const err = await failure(iam({ ...keysOf(alice), secretAccessKey: 'y'.repeat(40) }).send(new GetUserCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.message).toBe(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('server clock far ahead → Signature expired (AWS wording); the SDK then corrects its clock from the Date header', async () => {
    emu.setFaults({ clockSkewSeconds: 600 });
    const client = sts(keysOf(alice));
    const err = await failure(client.send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    const [, sent, limit, serverNow] = /(\S+) is now earlier than (\S+) \((\S+) - 5 min/.exec(err.message)!;
    const t = (s: string) => Date.parse(s.replace(/(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/, '$1-$2-$3T$4:$5:$6Z'));
    expect(t(serverNow!) - t(limit!)).toBe(300_000);
    expect(Math.abs(t(serverNow!) - t(sent!) - 600_000)).toBeLessThan(3000);
    // Like against AWS, the SDK picks up the server time from the Date header and the retry signs right.
    expect((await client.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });

  it('server clock far behind → Signature not yet current', async () => {
    emu.setFaults({ clockSkewSeconds: -600 });
    const err = await failure(sts(keysOf(alice)).send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.message).toMatch(
      /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/,
    );
  });

  it('small skew is tolerated', async () => {
    emu.setFaults({ clockSkewSeconds: 240 });
    expect((await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    expect(Math.abs(emu.now() - Date.now() - 240_000)).toBeLessThan(50);
  });

  it('session token: wrong or missing token → InvalidClientTokenId; expired → ExpiredToken', async () => {
    const session = await mfaSession();
    const wrong = await failure(
      sts({ ...session, sessionToken: session.sessionToken!.slice(0, -4) + 'AAAA' }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(wrong.name).toBe('InvalidClientTokenId');
    const missing = await failure(
      sts({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(missing.name).toBe('InvalidClientTokenId');
    const onLongTerm = await failure(
      sts({ ...keysOf(alice), sessionToken: session.sessionToken! }).send(new GetCallerIdentityCommand({})),
    );
    expect(onLongTerm.name).toBe('InvalidClientTokenId');

    // Expire it by moving the server clock past its 900 s lifetime.
    emu.setFaults({ clockSkewSeconds: 901 });
    const expired = await failure(sts(session).send(new GetCallerIdentityCommand({})));
    expect(expired.name).toBe('ExpiredToken');
    expect(expired.message).toBe('The security token included in the request is expired');
    expect(expired.$metadata.httpStatusCode).toBe(403);
    emu.setFaults({});
    expect((await sts(session).send(new GetCallerIdentityCommand({}))).Arn).toMatch(/:user\/user\d{4}$/);
  });

  it('deleteAccessKey → later calls get InvalidClientTokenId', async () => {
    const spec: UserSpec = { userName: 'carol', accessKeyId: 'AKIACAROL00000000001', secretAccessKey: 'c'.repeat(40) };
    emu.addUser(spec);
    expect((await sts(keysOf(spec)).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:iam::${ACCOUNT}:user/carol`,
    );
    emu.deleteAccessKey(spec.accessKeyId);
    expect((await failure(sts(keysOf(spec)).send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    expect(() => emu.addUser({ ...spec, accessKeyId: 'AKIACAROL00000000002' })).toThrow(/already exists/);
  });
});

// --- GetSessionToken errors ----------------------------------------------------------------------

describe('GetSessionToken errors', () => {
  const gst = (input: GetSessionTokenCommandInput, creds: Creds = keysOf(alice)) =>
    failure(sts(creds).send(new GetSessionTokenCommand(input)));

  it('with session credentials → AccessDenied', async () => {
    const session = await mfaSession();
    const owner = emu.sessions.find((s) => s.accessKeyId === session.accessKeyId)!;
    const err = await gst({ SerialNumber: owner.serialNumber, TokenCode: emu.freshCode(owner.serialNumber) }, session);
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toBe('Cannot call GetSessionToken with session credentials');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('DurationSeconds out of range → ValidationError', async () => {
    const low = await gst({ DurationSeconds: 10 });
    expect(low.name).toBe('ValidationError');
    expect(low.message).toBe(
      "1 validation error detected: Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    expect(low.$metadata.httpStatusCode).toBe(400);
    const high = await gst({ DurationSeconds: 129_601 });
    expect(high.message).toBe(
      "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
    );
  });

  it('TokenCode not 6 digits → ValidationError', async () => {
    const short = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: '12345' });
    expect(short.name).toBe('ValidationError');
    expect(short.message).toBe(
      "1 validation error detected: Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
    );
    const letters = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: 'abcdef' });
    expect(letters.message).toBe(
      "1 validation error detected: Value 'abcdef' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*",
    );
    const long = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: '1234567' });
    expect(long.message).toMatch(/Member must have length less than or equal to 6$/);
    const both = await gst({ SerialNumber: ALICE_SERIAL, TokenCode: '12a', DurationSeconds: 5 });
    expect(both.message).toMatch(
      /^3 validation errors detected: Value '5' at 'durationSeconds'.*; Value '12a' at 'tokenCode'.*; Value '12a' at 'tokenCode'/,
    );
  });

  it('serial number not a device of this user → AccessDenied (unable to validate)', async () => {
    const message =
      'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.';
    for (const serial of [BOB_SERIAL, `arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:mfa/nobody`]) {
      const err = await gst({ SerialNumber: serial, TokenCode: '123456' });
      expect(err.name).toBe('AccessDenied');
      expect(err.message).toBe(message);
      expect(err.$metadata.httpStatusCode).toBe(403);
    }
  });

  it('wrong code and reused code → AccessDenied (invalid one time pass code)', async () => {
    pinMidStep();
    const user = freshUser();
    const seed = user.devices[0]!.seed;
    const message = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';
    const t = totpStep(emu.now());
    const valid = new Set([t - 1, t, t + 1].map((s) => totpAtStep(seed, s)));
    let wrong = '000000';
    while (valid.has(wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
    const bad = await gst({ SerialNumber: user.serial, TokenCode: wrong }, keysOf(user));
    expect(bad.name).toBe('AccessDenied');
    expect(bad.message).toBe(message);

    const code = emu.freshCode(user.serial);
    expect(code).toBe(totpAtStep(seed, t));
    await sts(keysOf(user)).send(new GetSessionTokenCommand({ SerialNumber: user.serial, TokenCode: code }));
    const reused = await gst({ SerialNumber: user.serial, TokenCode: code }, keysOf(user));
    expect(reused.name).toBe('AccessDenied');
    expect(reused.message).toBe(message);
    // Another user's valid code is no good either.
    const other = freshUser();
    const foreignCode = emu.freshCode(other.serial);
    if (!valid.has(foreignCode)) {
      expect((await gst({ SerialNumber: user.serial, TokenCode: foreignCode }, keysOf(user))).message).toBe(message);
    }
    expect(emu.freshCode(user.serial)).toBe(totpAtStep(seed, t + 1));
  });

  it('accepts codes from steps t-1 and t+1, rejects t-2 and t+2', async () => {
    pinMidStep();
    const device = alice.devices![1]!; // a device no other test consumes codes of
    const at = (deltaSteps: number) => totp(device.seed, emu.now() + deltaSteps * 30_000);
    for (const delta of [-2, 2]) {
      const code = at(delta);
      if ([-1, 0, 1].some((d) => at(d) === code)) continue; // a 1-in-10^6 collision would make this meaningless
      const err = await gst({ SerialNumber: device.serialNumber, TokenCode: code });
      expect(err.name, `step ${delta}`).toBe('AccessDenied');
    }
    for (const delta of [-1, 1, 0]) {
      const out = await sts(keysOf(alice)).send(
        new GetSessionTokenCommand({ SerialNumber: device.serialNumber, TokenCode: at(delta) }),
      );
      expect(out.Credentials!.AccessKeyId, `step ${delta}`).toMatch(/^ASIA/);
    }
    // All three steps of the window are now used.
    expect(() => emu.freshCode(device.serialNumber)).toThrow(/used/);
    expect(() => emu.freshCode('arn:aws:iam::123456789012:mfa/unknown')).toThrow(/no MFA device/);
  });

  it('uses the server clock for TOTP (clock skew shifts the accepted codes)', async () => {
    pinMidStep();
    const skewSeconds = 10 - (Date.now() % 30_000) / 1000 + 120; // 4 steps ahead, still within the 5-minute signing window
    emu.setFaults({ clockSkewSeconds: skewSeconds });
    const localCode = totp(bob.devices![0]!.seed, Date.now());
    const serverCode = emu.freshCode(BOB_SERIAL);
    expect(serverCode).toBe(totp(bob.devices![0]!.seed, emu.now()));
    if (localCode !== serverCode) {
      const err = await gst({ SerialNumber: BOB_SERIAL, TokenCode: localCode }, keysOf(bob));
      expect(err.name).toBe('AccessDenied');
    }
    const ok = await sts(keysOf(bob)).send(
      new GetSessionTokenCommand({ SerialNumber: BOB_SERIAL, TokenCode: serverCode }),
    );
    expect(ok.Credentials!.Expiration!.getTime() - emu.now()).toBeGreaterThan(43_200_000 - 3000);
  });
});

// --- IAM errors ----------------------------------------------------------------------------------

describe('IAM faults', () => {
  it('denyListMfaDevices → AccessDenied naming the caller and the user', async () => {
    emu.setFaults({ denyListMfaDevices: true });
    const err = await failure(iam(keysOf(bob)).send(new ListMFADevicesCommand({ UserName: 'bob' })));
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toMatch(
      /^User: arn:aws:iam::210987654321:user\/eng\/bob is not authorized to perform: iam:ListMFADevices on resource: user bob\b/,
    );
    expect(err.$metadata.httpStatusCode).toBe(403);
    // GetUser is unaffected.
    expect((await iam(keysOf(bob)).send(new GetUserCommand({}))).User!.UserName).toBe('bob');
  });

  it('requireUserName → ValidationError without UserName, fine with it', async () => {
    emu.setFaults({ requireUserName: true });
    const err = await failure(iam(keysOf(alice)).send(new ListMFADevicesCommand({})));
    expect(err.name).toBe('ValidationError');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const ok = await iam(keysOf(alice)).send(new ListMFADevicesCommand({ UserName: 'alice' }));
    expect(ok.MFADevices).toHaveLength(2);
  });
});

// --- transport faults ----------------------------------------------------------------------------

describe('transport faults', () => {
  it('throttle: the next N requests get Throttling, then calls succeed', async () => {
    emu.setFaults({ throttle: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await failure(sts(keysOf(alice)).send(new GetCallerIdentityCommand({})));
      expect(err.name).toBe('Throttling');
      expect(err.message).toBe('Rate exceeded');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(emu.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', status: 400 });
    }
    expect((await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });

  it('serverError: 500 InternalFailure; the SDK retries through it', async () => {
    emu.setFaults({ serverError: 1 });
    const err = await failure(iam(keysOf(alice)).send(new GetUserCommand({})));
    expect(err.name).toBe('InternalFailure');
    expect(err.$metadata.httpStatusCode).toBe(500);
    expect(err.$fault).toBe('server');

    emu.setFaults({ serverError: 1 });
    const before = emu.requests.length;
    const out = await sts(keysOf(alice), { maxAttempts: 2 }).send(new GetCallerIdentityCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(emu.requests.slice(before).map((r) => r.status)).toEqual([500, 200]);
  });

  it('hang: the client times out, and close() still returns promptly', async () => {
    const own = await startEmulator({ users: [alice], faults: { hang: true } });
    try {
      const client = new STSClient({
        region: 'us-east-1',
        endpoint: own.url,
        credentials: keysOf(alice),
        maxAttempts: 1,
        // With this SDK version requestTimeout alone only logs a warning; it throws only when asked to.
        requestHandler: new NodeHttpHandler({ requestTimeout: 500, throwOnRequestTimeout: true }),
      });
      const started = Date.now();
      const err = await failure(client.send(new GetCallerIdentityCommand({})));
      expect(err.name).toBe('TimeoutError');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(own.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', status: 0 });

      // Leave a hung request open while closing.
      const pending = client
        .send(new GetCallerIdentityCommand({}), { requestTimeout: 60_000 } as never)
        .catch((e: Error) => e);
      await new Promise((r) => setTimeout(r, 100));
      const closing = Date.now();
      await own.close();
      expect(Date.now() - closing).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await own.close();
    }
  });

  it('hang: an abort signal ends the wait even without a request timeout', async () => {
    emu.setFaults({ hang: true });
    const started = Date.now();
    const err = await failure(
      sts(keysOf(alice)).send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(300) }),
    );
    expect(err.name).toMatch(/AbortError|TimeoutError/);
    expect(Date.now() - started).toBeLessThan(2000);
    emu.setFaults({});
    // The server is still healthy for everyone else.
    expect((await sts(keysOf(alice)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });

  it('listens on 127.0.0.1 with an ephemeral port by default', () => {
    expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
    expect(emu.port).toBeGreaterThan(0);
  });
});

// --- AssumeRole and trust policies ---------------------------------------------------------------

let roleCount = 0;
/** A new role in ACCOUNT (unless told otherwise) with the given trust policy. */
function newRole(
  policy: string | object,
  opts: { path?: string; maxSessionDuration?: number; accountId?: string } = {},
) {
  roleCount += 1;
  const roleName = `role${String(roleCount).padStart(3, '0')}`;
  const { arn, roleId } = emu.addRole({ roleName, trustPolicy: policy, ...opts });
  return { roleName, arn, roleId };
}

const credsOf = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Creds => ({
  accessKeyId: c!.AccessKeyId!,
  secretAccessKey: c!.SecretAccessKey!,
  sessionToken: c!.SessionToken!,
});

/** A fresh user with an MFA session of `durationSeconds`. */
async function userWithMfaSession(durationSeconds = 3600) {
  const user = freshUser();
  const out = await sts(keysOf(user)).send(
    new GetSessionTokenCommand({
      SerialNumber: user.serial,
      TokenCode: emu.freshCode(user.serial),
      DurationSeconds: durationSeconds,
    }),
  );
  return { user, session: credsOf(out.Credentials) };
}

const assume = (creds: Creds, input: Partial<AssumeRoleCommandInput>, extra: Record<string, unknown> = {}) =>
  sts(creds, extra).send(new AssumeRoleCommand({ RoleSessionName: 'work', ...input } as AssumeRoleCommandInput));

const denied = (who: string, roleArn: string) =>
  `User: ${who} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;

describe('AssumeRole', () => {
  it('an MFA session assumes a role that requires MFA; the role credentials work for GetCallerIdentity', async () => {
    const role = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const { session } = await userWithMfaSession();
    const assumesBefore = emu.countRequests('AssumeRole');
    const started = emu.now();
    const out = await assume(session, { RoleArn: role.arn, RoleSessionName: 'alice@laptop' });
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c.SecretAccessKey).toHaveLength(40);
    expect(c.SessionToken!.length).toBeGreaterThan(300);
    expect(Math.abs(c.Expiration!.getTime() - (started + 3600_000))).toBeLessThan(2000);
    expect(out.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/alice@laptop`,
      AssumedRoleId: `${role.roleId}:alice@laptop`,
    });
    expect(role.roleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(emu.countRequests('AssumeRole')).toBe(assumesBefore + 1);
    expect(emu.roleSessions.at(-1)).toMatchObject({
      accessKeyId: c.AccessKeyId,
      roleArn: role.arn,
      roleSessionName: 'alice@laptop',
      assumedRoleArn: out.AssumedRoleUser!.Arn,
      sourceAccessKeyId: session.accessKeyId,
      mfa: true,
      expiration: c.Expiration,
    });

    const id = await sts(credsOf(c)).send(new GetCallerIdentityCommand({}));
    expect(id).toMatchObject({
      Arn: out.AssumedRoleUser!.Arn,
      UserId: out.AssumedRoleUser!.AssumedRoleId,
      Account: ACCOUNT,
    });
    // SigV4 is checked for role credentials too.
    const forged = await failure(
      sts({ ...credsOf(c), secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})),
    );
    expect(forged.name).toBe('SignatureDoesNotMatch');
    const noToken = await failure(
      sts({ ...credsOf(c), sessionToken: session.sessionToken }).send(new GetCallerIdentityCommand({})),
    );
    expect(noToken.name).toBe('InvalidClientTokenId');
  });

  it('long-term keys carry no MFA context: refused by an MFA trust policy with AWS wording, unless a code is sent', async () => {
    const role = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const user = freshUser();
    const err = await failure(assume(keysOf(user), { RoleArn: role.arn }));
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toBe(denied(`arn:aws:iam::${ACCOUNT}:user/${user.userName}`, role.arn));
    expect(err.$metadata.httpStatusCode).toBe(403);

    // AssumeRole with SerialNumber/TokenCode (what the AWS CLI does for mfa_serial on a role profile).
    const code = emu.freshCode(user.serial);
    const withCode = await assume(keysOf(user), { RoleArn: role.arn, SerialNumber: user.serial, TokenCode: code });
    expect(withCode.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/work`);
    expect(emu.roleSessions.at(-1)!.mfa).toBe(true);
    // The code is used once, as for GetSessionToken.
    const reused = await failure(
      assume(keysOf(user), { RoleArn: role.arn, SerialNumber: user.serial, TokenCode: code }),
    );
    expect(reused.name).toBe('AccessDenied');
    expect(reused.message).toBe('MultiFactorAuthentication failed with invalid MFA one time pass code.');
    const foreign = await failure(
      assume(keysOf(user), { RoleArn: role.arn, SerialNumber: BOB_SERIAL, TokenCode: '123456' }),
    );
    expect(foreign.message).toBe(
      'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
    );
  });
});

describe('AssumeRole: MFA context, chaining and durations', () => {
  it('a role session inherits the MFA context of the session it was assumed from', async () => {
    const mfaRole = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const plainRole = newRole(trustPolicy(ACCOUNT));
    const { user, session } = await userWithMfaSession();

    // MFA session → role → role that requires MFA: allowed without another code.
    const first = await assume(session, { RoleArn: plainRole.arn });
    const chained = await assume(credsOf(first.Credentials), { RoleArn: mfaRole.arn, RoleSessionName: 'chained' });
    expect(chained.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${mfaRole.roleName}/chained`);
    expect(emu.roleSessions.at(-1)).toMatchObject({ mfa: true, sourceAccessKeyId: first.Credentials!.AccessKeyId });

    // Long-term keys → role (no MFA) → MFA role: the role session says MultiFactorAuthPresent=false.
    const noMfa = await assume(keysOf(user), { RoleArn: plainRole.arn });
    expect(emu.roleSessions.at(-1)!.mfa).toBe(false);
    const err = await failure(assume(credsOf(noMfa.Credentials), { RoleArn: mfaRole.arn }));
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toBe(denied(noMfa.AssumedRoleUser!.Arn!, mfaRole.arn));

    // A GetSessionToken session without a code carries MultiFactorAuthPresent=false as well.
    const bare = await sts(keysOf(user)).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const bareErr = await failure(assume(credsOf(bare.Credentials), { RoleArn: mfaRole.arn }));
    expect(bareErr.message).toBe(denied(`arn:aws:iam::${ACCOUNT}:user/${user.userName}`, mfaRole.arn));
  });

  it('aws:MultiFactorAuthAge is counted from the MFA authentication, at request time, through chained roles', async () => {
    const young = newRole(trustPolicy(ACCOUNT, { mfa: true, maxMfaAgeSeconds: 3600 }));
    const plain = newRole(trustPolicy(ACCOUNT));
    const { session } = await userWithMfaSession(7200);
    const hop = await assume(session, { RoleArn: plain.arn });
    expect((await assume(credsOf(hop.Credentials), { RoleArn: young.arn })).Credentials!.AccessKeyId).toMatch(/^ASIA/);

    // 61 minutes later the MFA authentication is too old for this role; the session itself still works.
    emu.setFaults({ clockSkewSeconds: 3660 });
    const later = { systemClockOffset: 3660_000 };
    const err = await failure(assume(session, { RoleArn: young.arn }, later));
    expect(err.name).toBe('AccessDenied');
    expect((await assume(session, { RoleArn: plain.arn, DurationSeconds: 900 }, later)).Credentials).toBeDefined();
    // Meanwhile the first role session (one hour) has expired.
    const expired = await failure(sts(credsOf(hop.Credentials), later).send(new GetCallerIdentityCommand({})));
    expect(expired.name).toBe('ExpiredToken');
  });

  it('DurationSeconds > 3600 with session or role credentials → the role-chaining ValidationError', async () => {
    const role = newRole(trustPolicy(ACCOUNT), { maxSessionDuration: 43_200 });
    const { user, session } = await userWithMfaSession();
    const message =
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.';
    const fromSession = await failure(assume(session, { RoleArn: role.arn, DurationSeconds: 3601 }));
    expect(fromSession.name).toBe('ValidationError');
    expect(fromSession.message).toBe(message);
    expect(fromSession.$metadata.httpStatusCode).toBe(400);
    const hop = await assume(session, { RoleArn: role.arn, DurationSeconds: 3600 });
    const fromRole = await failure(assume(credsOf(hop.Credentials), { RoleArn: role.arn, DurationSeconds: 7200 }));
    expect(fromRole.message).toBe(message);

    // Long-term keys may ask for up to the role's MaxSessionDuration.
    const started = emu.now();
    const long = await assume(keysOf(user), { RoleArn: role.arn, DurationSeconds: 43_200 });
    expect(Math.abs(long.Credentials!.Expiration!.getTime() - (started + 43_200_000))).toBeLessThan(2000);
  });

  it("DurationSeconds beyond the role's MaxSessionDuration, or out of 900..43200 → ValidationError", async () => {
    const role = newRole(trustPolicy(ACCOUNT)); // MaxSessionDuration 3600 (IAM's default)
    const user = freshUser();
    const over = await failure(assume(keysOf(user), { RoleArn: role.arn, DurationSeconds: 3601 }));
    expect(over.name).toBe('ValidationError');
    expect(over.message).toBe('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    const low = await failure(assume(keysOf(user), { RoleArn: role.arn, DurationSeconds: 899 }));
    expect(low.message).toBe(
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    const high = await failure(assume(keysOf(user), { RoleArn: role.arn, DurationSeconds: 43_201 }));
    expect(high.message).toMatch(/Member must have value less than or equal to 43200$/);
    expect(() =>
      emu.addRole({ roleName: 'tooLong', trustPolicy: trustPolicy(ACCOUNT), maxSessionDuration: 50_000 }),
    ).toThrow(/3600\.\.43200/);
  });

  it('the roleSessionSeconds knob issues short role sessions, then ExpiredToken', async () => {
    const role = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const { session } = await userWithMfaSession();
    emu.setFaults({ roleSessionSeconds: 5 });
    const started = emu.now();
    const out = await assume(session, { RoleArn: role.arn, DurationSeconds: 3600 });
    expect(Math.abs(out.Credentials!.Expiration!.getTime() - (started + 5000))).toBeLessThan(1500);
    const creds = credsOf(out.Credentials);
    expect((await sts(creds).send(new GetCallerIdentityCommand({}))).Arn).toContain(':assumed-role/');
    emu.setFaults({ roleSessionSeconds: 5, clockSkewSeconds: 6 });
    const err = await failure(sts(creds, { systemClockOffset: 6000 }).send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('ExpiredToken');
    expect(err.message).toBe('The security token included in the request is expired');
    expect(err.$metadata.httpStatusCode).toBe(403);
    // The user session it came from is still good, and a re-assume gives fresh credentials.
    const again = await assume(session, { RoleArn: role.arn }, { systemClockOffset: 6000 });
    expect(again.Credentials!.AccessKeyId).not.toBe(creds.accessKeyId);
  });
});

describe('AssumeRole: parameters and trust policy evaluation', () => {
  it('RoleSessionName, RoleArn and ExternalId validated with AWS wording', async () => {
    const role = newRole(trustPolicy(ACCOUNT));
    const cases: [Partial<AssumeRoleCommandInput>, string][] = [
      [
        { RoleSessionName: 'a' },
        "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
      ],
      [
        { RoleSessionName: 'bad name' },
        "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      ],
      [
        { RoleSessionName: 's'.repeat(65) },
        `1 validation error detected: Value '${'s'.repeat(65)}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
      ],
      [
        { RoleSessionName: undefined },
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
      ],
      [
        { RoleArn: 'arn:aws:iam::1:role' },
        "1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
      ],
      [{ RoleArn: 'not-an-arn-but-long-enough' }, 'Request ARN is invalid'],
      [
        { ExternalId: 'x' },
        "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
      ],
      [
        { RoleSessionName: 'a/b', DurationSeconds: 60 },
        "2 validation errors detected: Value 'a/b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      ],
    ];
    for (const [input, message] of cases) {
      const err = await failure(assume(keysOf(alice), { RoleArn: role.arn, ...input }));
      expect(err.name, JSON.stringify(input)).toBe('ValidationError');
      expect(err.message).toBe(message);
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    for (const name of ['ab', 'a'.repeat(64), 'user+tag=x,y.z@corp-1_2']) {
      expect((await assume(keysOf(alice), { RoleArn: role.arn, RoleSessionName: name })).AssumedRoleUser!.Arn).toMatch(
        new RegExp(`/${name.replace(/[+.]/g, '\\$&')}$`),
      );
    }
  });

  it('unknown roles, a role ARN without its path, and wrong principals → AccessDenied', async () => {
    const pathRole = newRole(trustPolicy(ACCOUNT), { path: '/team/ops/' });
    expect(pathRole.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/team/ops/${pathRole.roleName}`);
    // The assumed-role ARN has no path.
    expect((await assume(keysOf(alice), { RoleArn: pathRole.arn })).AssumedRoleUser!.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/${pathRole.roleName}/work`,
    );
    const aliceArn = `arn:aws:iam::${ACCOUNT}:user/alice`;
    for (const arn of [
      `arn:aws:iam::${ACCOUNT}:role/${pathRole.roleName}`,
      `arn:aws:iam::${ACCOUNT}:role/nobody`,
      `arn:aws:iam:${ACCOUNT}:role/typo`,
    ]) {
      const err = await failure(assume(keysOf(alice), { RoleArn: arn }));
      expect(err.name).toBe('AccessDenied');
      expect(err.message).toBe(denied(aliceArn, arn));
    }
    // Another account's root is not this account.
    const foreign = newRole(trustPolicy('999999999999'));
    expect((await failure(assume(keysOf(alice), { RoleArn: foreign.arn }))).message).toBe(
      denied(aliceArn, foreign.arn),
    );
  });

  it('principals: a user ARN, an account id, cross-account, a role ARN, and "*" with an ExternalId', async () => {
    const onlyAlice = newRole(trustPolicy(`arn:aws:iam::${ACCOUNT}:user/alice`));
    expect((await assume(keysOf(alice), { RoleArn: onlyAlice.arn })).Credentials).toBeDefined();
    const other = freshUser();
    expect((await failure(assume(keysOf(other), { RoleArn: onlyAlice.arn }))).name).toBe('AccessDenied');

    // bob lives in 210987654321; a role in ACCOUNT trusting that account (by plain account id).
    const crossAccount = newRole({
      Statement: { Effect: 'Allow', Principal: { AWS: '210987654321' }, Action: 'sts:AssumeRole' },
    });
    const out = await assume(keysOf(bob), { RoleArn: crossAccount.arn, RoleSessionName: 'bob' });
    expect(out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${crossAccount.roleName}/bob`);
    expect((await sts(credsOf(out.Credentials)).send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
    expect((await failure(assume(keysOf(alice), { RoleArn: crossAccount.arn }))).name).toBe('AccessDenied');

    // A role trusting another role's sessions (role chaining by role ARN).
    const hub = newRole(trustPolicy(ACCOUNT));
    const spoke = newRole(trustPolicy(hub.arn));
    const hubSession = credsOf((await assume(keysOf(alice), { RoleArn: hub.arn })).Credentials);
    expect((await assume(hubSession, { RoleArn: spoke.arn })).Credentials).toBeDefined();
    expect((await failure(assume(keysOf(alice), { RoleArn: spoke.arn }))).name).toBe('AccessDenied');

    // "*" with sts:ExternalId, the third-party pattern.
    const thirdParty = newRole({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'Unique-123' } },
        },
      ],
    });
    expect((await failure(assume(keysOf(bob), { RoleArn: thirdParty.arn }))).name).toBe('AccessDenied');
    expect((await failure(assume(keysOf(bob), { RoleArn: thirdParty.arn, ExternalId: 'unique-123' }))).name).toBe(
      'AccessDenied',
    );
    await assume(keysOf(bob), { RoleArn: thirdParty.arn, ExternalId: 'Unique-123' });
    expect(emu.roleSessions.at(-1)).toMatchObject({ roleArn: thirdParty.arn, externalId: 'Unique-123' });
  });

  it('an explicit Deny wins over an Allow (BoolIfExists on MFA); setTrustPolicy applies at once', async () => {
    const role = newRole({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:*' },
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sts:AssumeRole',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        },
      ],
    });
    const { user, session } = await userWithMfaSession();
    expect((await failure(assume(keysOf(user), { RoleArn: role.arn }))).name).toBe('AccessDenied');
    expect((await assume(session, { RoleArn: role.arn })).Credentials).toBeDefined();

    emu.setTrustPolicy(role.roleName, { Statement: { Effect: 'Deny', Principal: '*', Action: '*' } });
    expect((await failure(assume(session, { RoleArn: role.arn }))).message).toBe(
      denied(`arn:aws:iam::${ACCOUNT}:user/${user.userName}`, role.arn),
    );
  });

  it('role credentials: IAM needs a UserName, GetSessionToken is refused', async () => {
    const role = newRole(trustPolicy(ACCOUNT));
    const creds = credsOf((await assume(keysOf(alice), { RoleArn: role.arn })).Credentials);
    const noName = await failure(iam(creds).send(new GetUserCommand({})));
    expect(noName.name).toBe('ValidationError');
    expect(noName.message).toBe('Must specify userName when calling with non-User credentials');
    expect((await iam(creds).send(new GetUserCommand({ UserName: 'alice' }))).User!.UserName).toBe('alice');
    const gst = await failure(sts(creds).send(new GetSessionTokenCommand({})));
    expect(gst.name).toBe('AccessDenied');
    expect(gst.message).toBe('Cannot call GetSessionToken with session credentials');
  });

  it('answers AssumeRole in the Query XML shape AWS uses, errors included', async () => {
    const role = newRole(trustPolicy(ACCOUNT));
    const ok = await signedPost(
      `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(role.arn)}&RoleSessionName=raw`,
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(
      /^<AssumeRoleResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<AssumeRoleResult><Credentials><AccessKeyId>ASIA[A-Z0-9]{16}<\/AccessKeyId><SecretAccessKey>[^<]{40}<\/SecretAccessKey><SessionToken>[^<]+<\/SessionToken><Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expiration><\/Credentials><AssumedRoleUser><AssumedRoleId>AROA[A-Z0-9]{17}:raw<\/AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role\/role\d{3}\/raw<\/Arn><\/AssumedRoleUser><\/AssumeRoleResult>\s*<ResponseMetadata>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>/,
    );
    const session = await mfaSession();
    const chained = await signedPost(
      `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(role.arn)}&RoleSessionName=raw&DurationSeconds=7200`,
      { creds: session },
    );
    expect(chained.status).toBe(400);
    expect(chained.body).toMatch(
      /<Error>\s*<Type>Sender<\/Type>\s*<Code>ValidationError<\/Code>\s*<Message>The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining\.<\/Message>\s*<\/Error>/,
    );
  });

  it('counts AssumeRole and GetSessionToken calls, by status and key', async () => {
    const role = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const since = Date.now();
    const { user, session } = await userWithMfaSession();
    await assume(session, { RoleArn: role.arn });
    await failure(assume(keysOf(user), { RoleArn: role.arn }));
    expect(emu.countRequests('GetSessionToken', { since })).toBe(1);
    expect(emu.countRequests('AssumeRole', { since })).toBe(2);
    expect(emu.countRequests('AssumeRole', { since, status: 200 })).toBe(1);
    expect(emu.countRequests('AssumeRole', { since, status: 403, accessKeyId: user.accessKeyId })).toBe(1);
  });
});

describe('trust policy documents', () => {
  const ctx = (keys: Record<string, string>, principal = `arn:aws:iam::${ACCOUNT}:user/alice`): RequestContext => ({
    principalArn: principal,
    principalAccount: ACCOUNT,
    action: 'sts:AssumeRole',
    keys,
  });
  const stmt = (Condition: object) =>
    parseTrustPolicy({
      Statement: { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole', Condition },
    });

  it('evaluates operators, IfExists, Null, multiple values and missing keys as IAM does', () => {
    const age = stmt({ NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } });
    expect(evaluate(age, ctx({ 'aws:multifactorauthage': '3599' }))).toBe('allow');
    expect(evaluate(age, ctx({ 'aws:multifactorauthage': '3600' }))).toBe('implicit-deny');
    expect(evaluate(age, ctx({}))).toBe('implicit-deny'); // missing key: no match
    expect(evaluate(stmt({ NumericLessThanIfExists: { 'aws:MultiFactorAuthAge': '3600' } }), ctx({}))).toBe('allow');
    expect(evaluate(stmt({ Null: { 'aws:MultiFactorAuthAge': 'true' } }), ctx({}))).toBe('allow');
    expect(evaluate(stmt({ Null: { 'aws:MultiFactorAuthAge': 'false' } }), ctx({}))).toBe('implicit-deny');
    // Condition keys are case-insensitive, values of one key are ORed, keys and operators ANDed.
    const multi = stmt({
      StringLike: { 'STS:EXTERNALID': ['abc-*', 'x?z'] },
      Bool: { 'aws:MultiFactorAuthPresent': 'true' },
    });
    expect(evaluate(multi, ctx({ 'sts:externalid': 'xyz', 'aws:multifactorauthpresent': 'true' }))).toBe('allow');
    expect(evaluate(multi, ctx({ 'sts:externalid': 'abc-1', 'aws:multifactorauthpresent': 'false' }))).toBe(
      'implicit-deny',
    );
    expect(evaluate(multi, ctx({ 'sts:externalid': 'xz', 'aws:multifactorauthpresent': 'true' }))).toBe(
      'implicit-deny',
    );
    expect(evaluate(stmt({ StringNotEquals: { 'sts:ExternalId': 'a' } }), ctx({}))).toBe('allow');
    expect(
      evaluate(parseTrustPolicy(JSON.stringify(trustPolicy(ACCOUNT))), { ...ctx({}), action: 'sts:TagSession' }),
    ).toBe('implicit-deny');
  });

  it('refuses documents it cannot evaluate faithfully', () => {
    expect(() => parseTrustPolicy('{not json')).toThrow(/not JSON/);
    expect(() =>
      parseTrustPolicy({ Statement: { Effect: 'Allow', NotPrincipal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' } }),
    ).toThrow(/NotPrincipal/);
    expect(() =>
      parseTrustPolicy({ Statement: { Effect: 'Permit', Principal: '*', Action: 'sts:AssumeRole' } }),
    ).toThrow(/Effect/);
    expect(() => stmt({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } })).toThrow(
      /unsupported condition operator/,
    );
    expect(() =>
      parseTrustPolicy({ Statement: { Effect: 'Allow', Principal: { AWS: 'alice' }, Action: 'sts:AssumeRole' } }),
    ).toThrow(/invalid principal/);
    expect(() => emu.addRole({ roleName: 'broken', trustPolicy: '{}' })).toThrow(/no Statement/);
  });
});

// --- IAM access keys -----------------------------------------------------------------------------

describe('IAM access keys', () => {
  it('CreateAccessKey → a key that signs at once; two keys at most; DeleteAccessKey retires the old one', async () => {
    const { user, session } = await userWithMfaSession();
    const before = emu.accessKeys(user.userName);
    expect(before.map((k) => k.accessKeyId)).toEqual([user.accessKeyId]);

    const created = await iam(session).send(new CreateAccessKeyCommand({}));
    const k = created.AccessKey!;
    expect(k).toMatchObject({ UserName: user.userName, Status: 'Active' });
    expect(k.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(k.SecretAccessKey).toHaveLength(40);
    expect(k.CreateDate).toBeInstanceOf(Date);
    const fresh = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    expect((await sts(fresh).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:iam::${ACCOUNT}:user/${user.userName}`,
    );

    const listed = await iam(session).send(new ListAccessKeysCommand({}));
    expect(listed.IsTruncated).toBe(false);
    expect(listed.AccessKeyMetadata!.map((m) => [m.UserName, m.AccessKeyId, m.Status])).toEqual([
      [user.userName, user.accessKeyId, 'Active'],
      [user.userName, k.AccessKeyId, 'Active'],
    ]);
    const page1 = await iam(session).send(new ListAccessKeysCommand({ MaxItems: 1 }));
    expect(page1.IsTruncated).toBe(true);
    const page2 = await iam(session).send(new ListAccessKeysCommand({ MaxItems: 1, Marker: page1.Marker! }));
    expect(page2.AccessKeyMetadata!.map((m) => m.AccessKeyId)).toEqual([k.AccessKeyId]);

    const third = await failure(iam(session).send(new CreateAccessKeyCommand({})));
    expect(third.name).toBe('LimitExceededException');
    expect((third as unknown as { Error: { Code: string } }).Error.Code).toBe('LimitExceeded');
    expect(third.message).toBe('Cannot exceed quota for AccessKeysPerUser: 2');
    expect(third.$metadata.httpStatusCode).toBe(409);

    // The rotation's last step: delete the old key with the new one, by UserName.
    const deleted = await iam(fresh).send(
      new DeleteAccessKeyCommand({ UserName: user.userName, AccessKeyId: user.accessKeyId }),
    );
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect(emu.accessKeys(user.userName).map((x) => x.accessKeyId)).toEqual([k.AccessKeyId]);
    const old = await failure(sts(keysOf(user)).send(new GetCallerIdentityCommand({})));
    expect(old.name).toBe('InvalidClientTokenId');
    expect(old.message).toBe('The security token included in the request is invalid.');
    // Sessions issued before stay valid until they expire.
    expect((await sts(session).send(new GetCallerIdentityCommand({}))).Arn).toContain(user.userName);

    const again = await failure(iam(fresh).send(new DeleteAccessKeyCommand({ AccessKeyId: user.accessKeyId })));
    expect(again.name).toBe('NoSuchEntityException');
    expect(again.message).toBe(`The Access Key with id ${user.accessKeyId} cannot be found.`);
    expect(again.$metadata.httpStatusCode).toBe(404);
    // Another user's key is not found under this user.
    const foreign = await failure(iam(fresh).send(new DeleteAccessKeyCommand({ AccessKeyId: alice.accessKeyId })));
    expect(foreign.message).toBe(`The Access Key with id ${alice.accessKeyId} cannot be found.`);
    const nobody = await failure(iam(fresh).send(new CreateAccessKeyCommand({ UserName: 'nobody' })));
    expect(nobody.message).toBe('The user with name nobody cannot be found.');
  });

  it('answers DeleteAccessKey with no Result element, and CreateAccessKey in the AWS shape', async () => {
    const user = freshUser();
    const created = await signedPost('Action=CreateAccessKey&Version=2010-05-08', {
      creds: keysOf(user),
      service: 'iam',
    });
    expect(created.body).toMatch(
      new RegExp(
        `^<CreateAccessKeyResponse xmlns="https://iam\\.amazonaws\\.com/doc/2010-05-08/">\\s*<CreateAccessKeyResult><AccessKey><UserName>${user.userName}</UserName><AccessKeyId>AKIA[A-Z0-9]{16}</AccessKeyId><Status>Active</Status><SecretAccessKey>[^<]{40}</SecretAccessKey><CreateDate>[\\dT:-]+Z</CreateDate></AccessKey></CreateAccessKeyResult>`,
      ),
    );
    const id = /<AccessKeyId>(\w+)</.exec(created.body)![1]!;
    const deleted = await signedPost(`Action=DeleteAccessKey&Version=2010-05-08&AccessKeyId=${id}`, {
      creds: keysOf(user),
      service: 'iam',
    });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatch(
      /^<DeleteAccessKeyResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/">\s*<ResponseMetadata>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ResponseMetadata>\s*<\/DeleteAccessKeyResponse>\s*$/,
    );
  });

  it('UpdateAccessKey Inactive → the key is refused; Active → it works again; GetAccessKeyLastUsed', async () => {
    const user = freshUser();
    const admin = keysOf(alice);
    const unused = await iam(admin).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: user.accessKeyId }));
    expect(unused.UserName).toBe(user.userName);
    expect(unused.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });

    await iam(admin).send(
      new UpdateAccessKeyCommand({ UserName: user.userName, AccessKeyId: user.accessKeyId, Status: 'Inactive' }),
    );
    expect(emu.accessKeys(user.userName)[0]!.status).toBe('Inactive');
    expect((await failure(sts(keysOf(user)).send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    await iam(admin).send(
      new UpdateAccessKeyCommand({ UserName: user.userName, AccessKeyId: user.accessKeyId, Status: 'Active' }),
    );
    await sts(keysOf(user), { region: 'eu-west-1' }).send(new GetCallerIdentityCommand({}));

    const used = await iam(admin).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: user.accessKeyId }));
    expect(used.AccessKeyLastUsed).toMatchObject({ ServiceName: 'sts', Region: 'eu-west-1' });
    expect(Math.abs(used.AccessKeyLastUsed!.LastUsedDate!.getTime() - emu.now())).toBeLessThan(3000);

    const bad = await failure(
      iam(admin).send(
        new UpdateAccessKeyCommand({ UserName: user.userName, AccessKeyId: user.accessKeyId, Status: 'Off' as never }),
      ),
    );
    expect(bad.name).toBe('ValidationError');
    expect(bad.message).toBe(
      "1 validation error detected: Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]",
    );
  });

  it('role sessions manage keys only by UserName', async () => {
    const role = newRole(trustPolicy(ACCOUNT));
    const user = freshUser();
    const creds = credsOf((await assume(keysOf(alice), { RoleArn: role.arn })).Credentials);
    const err = await failure(iam(creds).send(new CreateAccessKeyCommand({})));
    expect(err.name).toBe('ValidationError');
    expect(err.message).toBe('Must specify userName when calling with non-User credentials');
    const made = await iam(creds).send(new CreateAccessKeyCommand({ UserName: user.userName }));
    expect(made.AccessKey!.UserName).toBe(user.userName);
    expect(
      (await iam(creds).send(new ListAccessKeysCommand({ UserName: user.userName }))).AccessKeyMetadata,
    ).toHaveLength(2);
  });

  it('propagation knobs: a new key is refused for its first N requests, or N ms; bounded retries get through', async () => {
    const { session } = await userWithMfaSession();
    emu.setFaults({ keyPropagationRequests: 2 });
    const k = (await iam(session).send(new CreateAccessKeyCommand({}))).AccessKey!;
    const fresh = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await sts(fresh).send(new GetCallerIdentityCommand({}));
        outcomes.push('ok');
        break;
      } catch (e) {
        outcomes.push((e as Error).name);
      }
    }
    expect(outcomes).toEqual(['InvalidClientTokenId', 'InvalidClientTokenId', 'ok']);
    expect(emu.countRequests('GetCallerIdentity', { accessKeyId: k.AccessKeyId!, status: 403 })).toBe(2);

    // By time (server clock): refused until keyPropagationMs have passed.
    const other = await userWithMfaSession();
    emu.setFaults({ keyPropagationMs: 60_000 });
    const timed = (await iam(other.session).send(new CreateAccessKeyCommand({}))).AccessKey!;
    const timedCreds = { accessKeyId: timed.AccessKeyId!, secretAccessKey: timed.SecretAccessKey! };
    expect((await failure(sts(timedCreds).send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    emu.setFaults({ clockSkewSeconds: 61 });
    expect((await sts(timedCreds).send(new GetCallerIdentityCommand({}))).Arn).toContain(':user/');
    // Keys given in the spec (addUser) never propagate slowly.
    emu.setFaults({ keyPropagationRequests: 5 });
    const spec = freshUser();
    expect((await sts(keysOf(spec)).send(new GetCallerIdentityCommand({}))).Arn).toContain(spec.userName);
  });
});

describe('failActions fault', () => {
  it('fails chosen actions after authentication: every time by default, or N times with an error of choice', async () => {
    const { user, session } = await userWithMfaSession();
    const created = (await iam(session).send(new CreateAccessKeyCommand({}))).AccessKey!;
    emu.setFaults({ failActions: { DeleteAccessKey: {} } });
    for (let i = 0; i < 2; i++) {
      const err = await failure(iam(session).send(new DeleteAccessKeyCommand({ AccessKeyId: user.accessKeyId })));
      expect(err.name).toBe('AccessDenied');
      expect(err.message).toBe(
        `User: arn:aws:iam::${ACCOUNT}:user/${user.userName} is not authorized to perform: iam:DeleteAccessKey because no identity-based policy allows the iam:DeleteAccessKey action`,
      );
      expect(err.$metadata.httpStatusCode).toBe(403);
    }
    expect(emu.accessKeys(user.userName)).toHaveLength(2); // nothing was deleted

    const fault = {
      failActions: { DeleteAccessKey: { times: 1, status: 500, code: 'ServiceFailure', message: 'boom' } },
    };
    emu.setFaults(fault);
    const once = await failure(iam(session).send(new DeleteAccessKeyCommand({ AccessKeyId: created.AccessKeyId! })));
    expect(once.name).toBe('ServiceFailureException');
    expect(once.message).toBe('boom');
    expect(once.$metadata.httpStatusCode).toBe(500);
    await iam(session).send(new DeleteAccessKeyCommand({ AccessKeyId: created.AccessKeyId! }));
    expect(emu.accessKeys(user.userName).map((k) => k.accessKeyId)).toEqual([user.accessKeyId]);
    expect(fault.failActions.DeleteAccessKey.times).toBe(1); // the caller's object is not consumed
    // Unauthenticated requests do not reach the injected failure.
    emu.setFaults({ failActions: { GetCallerIdentity: {} } });
    expect(
      (
        await failure(
          sts({ accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x'.repeat(40) }).send(
            new GetCallerIdentityCommand({}),
          ),
        )
      ).name,
    ).toBe('InvalidClientTokenId');
  });
});

// --- real clients reading role profiles -----------------------------------------------------------

describe('role profiles through real SDKs', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'emu-roles-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  /** A session profile [dev] (MFA session keys) and a role profile [admin] sourced from it. */
  async function writeProfiles(roleArn: string): Promise<{ config: string; credentials: string; session: Creds }> {
    const { session } = await userWithMfaSession();
    const config = join(home, `config-${roleCount}`);
    const credentials = join(home, `credentials-${roleCount}`);
    await writeFile(
      config,
      `[profile admin]\nrole_arn = ${roleArn}\nsource_profile = dev\nrole_session_name = emu-test\nregion = us-east-1\n`,
    );
    await writeFile(
      credentials,
      `[dev]\naws_access_key_id = ${session.accessKeyId}\naws_secret_access_key = ${session.secretAccessKey}\naws_session_token = ${session.sessionToken}\n`,
    );
    return { config, credentials, session };
  }

  it("the JS SDK's fromIni assumes the role from the MFA session without any MFA callback", async () => {
    const role = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const { config, credentials, session } = await writeProfiles(role.arn);
    const provider = fromIni({
      profile: 'admin',
      configFilepath: config,
      filepath: credentials,
      clientConfig: { endpoint: emu.url, region: 'us-east-1' },
      mfaCodeProvider: async () => {
        throw new Error('no MFA prompt expected');
      },
    });
    const id = await new STSClient({
      region: 'us-east-1',
      endpoint: emu.url,
      credentials: provider,
      maxAttempts: 1,
    }).send(new GetCallerIdentityCommand({}));
    expect(id.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/emu-test`);
    expect(emu.roleSessions.at(-1)).toMatchObject({ sourceAccessKeyId: session.accessKeyId, mfa: true });
  });

  it('the AWS CLI (botocore) assumes the role from the MFA session', async () => {
    const role = newRole(trustPolicy(ACCOUNT, { mfa: true }));
    const { config, credentials, session } = await writeProfiles(role.arn);
    const { stdout } = await promisify(execFile)(
      'aws',
      ['sts', 'get-caller-identity', '--profile', 'admin', '--output', 'json'],
      {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          AWS_CONFIG_FILE: config,
          AWS_SHARED_CREDENTIALS_FILE: credentials,
          AWS_ENDPOINT_URL: emu.url,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        timeout: 60_000,
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/emu-test`,
      Account: ACCOUNT,
    });
    expect(emu.roleSessions.at(-1)).toMatchObject({ sourceAccessKeyId: session.accessKeyId, roleArn: role.arn });
  });
});
